# VideoMAE pretraining model, ViT-H/16: encoder 1280 / 32 blocks / 16 heads,
# decoder 640 wide, 8 heads and 12 blocks, activation checkpointing in
# encoder and decoder (VideoMAE's ViT-H scripts: decoder depth 12 and
# `--use_checkpoint`; reference notes section 1.2).
_base_ = ['./videomae_vit-base-p16.py']

model = dict(
    backbone=dict(arch='huge', with_cp=True),
    neck=dict(in_dims=1280, embed_dims=640, depth=12, num_heads=8,
              with_cp=True))
