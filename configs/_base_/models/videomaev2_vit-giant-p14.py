# VideoMAE V2 pretraining model, ViT-g/14: encoder 1408 / 40 blocks /
# 16 heads (mlp ratio 48/11), patch 14 so 8 x 16 x 16 = 2048 tokens;
# decoder 512 wide, 8 heads, 4 blocks, predicting 2 x 14 x 14 x 3 = 1176
# values per token (reference notes section 2.2). Activation checkpointing
# in encoder and decoder, as V2's `--with_checkpoint`. Dual masking comes
# from the pipeline (TubeMaskGenerator + RunningCellDecoderMask).
_base_ = ['./videomae_vit-base-p16.py']

model = dict(
    backbone=dict(arch='giant', patch_size=14, with_cp=True),
    neck=dict(
        in_dims=1408,
        embed_dims=512,
        depth=4,
        num_heads=8,
        out_dims=2 * 14 * 14 * 3,
        with_cp=True),
    head=dict(patch_size=14))
