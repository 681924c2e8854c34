# VideoMAE pretraining model, ViT-S/16: encoder 384 / 12 blocks / 6 heads,
# decoder 192 wide, 3 heads, 4 blocks (reference notes section 1.2).
_base_ = ['./videomae_vit-base-p16.py']

model = dict(
    backbone=dict(arch='small'),
    neck=dict(in_dims=384, embed_dims=192, depth=4, num_heads=3))
