# VideoMAE pretraining model, ViT-L/16: encoder 1024 / 24 blocks / 16 heads,
# decoder 512 wide, 8 heads and 12 blocks (VideoMAE's ViT-L scripts use
# decoder depth 12; reference notes section 1.2).
_base_ = ['./videomae_vit-base-p16.py']

model = dict(
    backbone=dict(arch='large'),
    neck=dict(in_dims=1024, embed_dims=512, depth=12, num_heads=8))
