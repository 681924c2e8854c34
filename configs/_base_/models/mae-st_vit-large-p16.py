# MAE-ST pretraining model, ViT-L/16 (reference notes section 5):
# learned separable space (14 x 14) + time (8) position embeddings in the
# encoder and in the decoder, decoder 512 wide, 16 heads, 4 blocks. The
# target is 8 of the 16 frames (`pred_t_dim=8`), normalized over the whole
# patch, so each token predicts 16 x 16 x 3 x 1 = 768 values. Inputs are
# normalized with mean 0.45 / std 0.225 as in mae_st; the head un-normalizes
# with the same values. mmvmae's encoder has no class token (mae_st uses
# `cls_embed=True`): fine-tuning mean-pools the tokens instead.
model = dict(
    type='VideoMAE',
    backbone=dict(
        type='VideoViT',
        arch='large',
        img_size=224,
        patch_size=16,
        num_frames=16,
        tubelet_size=2,
        pos_embed_type='learned_separable',
        use_mean_pooling=False),
    neck=dict(
        type='MAEDecoder',
        in_dims=1024,
        embed_dims=512,
        depth=4,
        num_heads=16,
        out_dims=16 * 16 * 3 * 1,
        pos_embed_type='learned_separable',
        grid=(8, 14, 14)),
    head=dict(
        type='PixelReconstructionHead',
        patch_size=16,
        tubelet_size=2,
        target='mae_st',
        target_frames=8,
        mean=(0.45, 0.45, 0.45),
        std=(0.225, 0.225, 0.225)),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[114.75, 114.75, 114.75],
        std=[57.375, 57.375, 57.375],
        format_shape='NCTHW'))
