# Fine-tuning model with the ViT-L/16 encoder (see recognizer_vit-base-p16).
_base_ = ['./recognizer_vit-base-p16.py']

model = dict(backbone=dict(arch='large'), cls_head=dict(in_channels=1024))
