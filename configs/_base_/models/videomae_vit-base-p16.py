# VideoMAE pretraining model, ViT-B/16 encoder on 16 x 224^2 clips
# (8 x 14 x 14 = 1568 tokens). Encoder 768 / 12 blocks / 12 heads, decoder
# 384 wide, 6 heads, 4 blocks, predicting the 2 x 16 x 16 x 3 = 1536
# normalized pixels of each masked tubelet (reference notes section 1.2,
# 1.3). The mask comes from the data pipeline (TubeMaskGenerator).
model = dict(
    type='VideoMAE',
    backbone=dict(
        type='VideoViT',
        arch='base',
        img_size=224,
        patch_size=16,
        num_frames=16,
        tubelet_size=2,
        # Pretraining: tokens go through `norm`; fine-tuning replaces it by
        # mean pooling + a fresh `fc_norm`.
        use_mean_pooling=False),
    neck=dict(
        type='MAEDecoder',
        in_dims=768,
        embed_dims=384,
        depth=4,
        num_heads=6,
        out_dims=2 * 16 * 16 * 3),
    head=dict(
        type='PixelReconstructionHead',
        patch_size=16,
        tubelet_size=2,
        target='videomae'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW'))
