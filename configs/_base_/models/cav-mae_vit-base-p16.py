# CAV-MAE pretraining model (reference notes multimodal-mae.md section
# 1.2), as AudioVisualMAE (docs/methods/audio_visual_mae.md):
# - video: ONE RGB frame 224^2 (CAV-MAE pairs a single frame with the 10 s
#   of audio), i.e. a 1-frame clip with tubelet 1 -> 14 x 14 = 196 tokens;
# - audio: 1024 x 128 fbank, 16 x 16 patches in CAV-MAE's frequency-major
#   order (layout 'ft') -> 8 x 64 = 512 tokens;
# - ViT-B encoders of 11 modality-specific blocks each, then 1 shared block
#   with per-modality LayerNorms (MidFusion depth 1), learned modality
#   embeddings, fixed sin-cos position tables;
# - one joint decoder: 8 blocks, 512 wide, 16 heads; heads predict 16*16*3
#   pixels (video) and 16*16 fbank values (audio) per masked patch, each
#   patch standardized (norm_pix_loss), loss weights 1 and 1;
# - InfoNCE on the mean-pooled visible tokens of the shared block run per
#   modality: one-way (log_softmax over dim 0), fixed temperature 0.05,
#   weight 0.01.
# CAV-MAE starts from an ImageNet MAE checkpoint adapted to both branches;
# mmvmae has no converter for it, so the encoders start from scratch here
# (set an init_cfg per encoder to load your own weights).
embed_dims = 768
model = dict(
    type='AudioVisualMAE',
    encoders=dict(
        imgs=dict(
            type='VideoViT',
            arch=dict(embed_dims=embed_dims, depth=11, num_heads=12),
            img_size=224,
            patch_size=16,
            num_frames=1,
            tubelet_size=1,
            use_mean_pooling=False),
        audios=dict(
            type='AudioViT',
            arch=dict(embed_dims=embed_dims, depth=11, num_heads=12),
            target_length=1024,
            n_mels=128,
            patch_size=16,
            layout='ft',
            use_mean_pooling=False)),
    fusion=dict(
        type='MidFusion', embed_dims=embed_dims, depth=1, num_heads=12),
    decoder=dict(
        type='JointMAEDecoder',
        in_dims=embed_dims,
        out_dims=dict(imgs=16 * 16 * 3, audios=16 * 16),
        embed_dims=512,
        depth=8,
        num_heads=16),
    heads=dict(
        # MAE's norm_pix_loss: each patch standardized over all its values
        imgs=dict(
            type='PixelReconstructionHead',
            patch_size=16,
            tubelet_size=1,
            target='mae_st'),
        audios=dict(
            type='SpectrogramReconstructionHead', patch_size=16,
            layout='ft')),
    contrastive=dict(
        type='InfoNCELoss',
        temperature=0.05,
        symmetric=False,
        direction='a2b',  # each video frame against every audio clip
        loss_weight=0.01))
