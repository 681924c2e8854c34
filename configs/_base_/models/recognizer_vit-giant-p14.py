# Fine-tuning model with the ViT-g/14 encoder (see recognizer_vit-base-p16),
# with activation checkpointing.
_base_ = ['./recognizer_vit-base-p16.py']

model = dict(
    backbone=dict(arch='giant', patch_size=14, with_cp=True),
    cls_head=dict(in_channels=1408))
