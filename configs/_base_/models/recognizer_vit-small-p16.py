# Fine-tuning model with the ViT-S/16 encoder (see recognizer_vit-base-p16).
_base_ = ['./recognizer_vit-base-p16.py']

model = dict(backbone=dict(arch='small'), cls_head=dict(in_channels=384))
