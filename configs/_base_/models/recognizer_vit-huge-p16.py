# Fine-tuning model with the ViT-H/16 encoder (see recognizer_vit-base-p16):
# drop path 0.2 and dropout 0.5 before the head, as VideoMAE's ViT-H
# fine-tuning (reference notes section 1.5), and activation checkpointing.
_base_ = ['./recognizer_vit-base-p16.py']

model = dict(
    backbone=dict(arch='huge', drop_path_rate=0.2, with_cp=True),
    cls_head=dict(in_channels=1280, dropout_ratio=0.5))
