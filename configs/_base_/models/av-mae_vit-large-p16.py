# AV-MAE pretraining model, default design (reference notes
# multimodal-mae.md section 1.4, scenic projects/av_mae), as AudioVisualMAE
# (docs/methods/audio_visual_mae.md):
# - ViT-L (1024 wide, 16 heads): video 16 frames 224^2 in 2 x 16 x 16
#   tubelets (8 x 14 x 14 = 1568 tokens), spectrogram in 16 x 16 patches;
# - mid fusion ('separate_encoders_and_concat', fusion_layers=2): 22
#   blocks per modality, then 2 blocks on the concatenation, no
#   per-modality norms, no modality tokens (off by default in AV-MAE);
# - decoders: 4 blocks, 512 wide, 8 heads, one per modality. AV-MAE's
#   default 'same_decoder' shares one decoder's weights between the
#   modalities; mmvmae has no shared-weight decoder, so these are two
#   ('separate_decoders');
# - joint reconstruction, no per-patch standardization (raw targets, MSE
#   averaged over the output values), weight 0.5 per modality; no
#   contrastive term.
# Video pixels are zero-centred (AV-MAE's zero_centering: x / 127.5 - 1);
# the video target is the clip in [0, 1] (AV-MAE regresses [-1, 1], twice
# the scale).
embed_dims = 1024
model = dict(
    type='AudioVisualMAE',
    encoders=dict(
        imgs=dict(
            type='VideoViT',
            arch=dict(embed_dims=embed_dims, depth=22, num_heads=16),
            img_size=224,
            patch_size=16,
            num_frames=16,
            tubelet_size=2,
            use_mean_pooling=False),
        audios=dict(
            type='AudioViT',
            arch=dict(embed_dims=embed_dims, depth=22, num_heads=16),
            target_length=1024,
            n_mels=128,
            patch_size=16,
            layout='tf',
            use_mean_pooling=False)),
    fusion=dict(
        type='MidFusion',
        embed_dims=embed_dims,
        depth=2,
        num_heads=16,
        modality_norms=False),
    modality_embed=False,
    decoder=dict(
        imgs=dict(
            type='MAEDecoder',
            in_dims=embed_dims,
            embed_dims=512,
            depth=4,
            num_heads=8,
            out_dims=2 * 16 * 16 * 3),
        audios=dict(
            type='MAEDecoder',
            in_dims=embed_dims,
            embed_dims=512,
            depth=4,
            num_heads=8,
            out_dims=16 * 16)),
    heads=dict(
        imgs=dict(
            type='PixelReconstructionHead',
            patch_size=16,
            tubelet_size=2,
            target='pixel',
            mean=(.5, .5, .5),
            std=(.5, .5, .5),
            loss=dict(type='PixelReconstructionLoss', loss_weight=0.5)),
        audios=dict(
            type='SpectrogramReconstructionHead',
            patch_size=16,
            layout='tf',
            norm_pix=False,
            loss=dict(type='PixelReconstructionLoss', loss_weight=0.5))),
    data_preprocessor=dict(
        type='MultiModalDataPreprocessor',
        preprocessors=dict(
            imgs=dict(
                type='ActionDataPreprocessor',
                mean=[127.5, 127.5, 127.5],
                std=[127.5, 127.5, 127.5],
                format_shape='NCTHW'),
            audios=dict(type='ActionDataPreprocessor'))))
