# AMD student ViT-S/16 (encoder 384 / 12 blocks / 6 heads, decoder 192 wide,
# 3 heads, 4 blocks) with the ViT-L/16 teacher and alignment of
# amd_vit-base-p16.py (projectors Linear(384 -> 1024)).
_base_ = ['./amd_vit-base-p16.py']

model = dict(
    backbone=dict(arch='small'),
    neck=dict(in_dims=384, embed_dims=192, depth=4, num_heads=3))
