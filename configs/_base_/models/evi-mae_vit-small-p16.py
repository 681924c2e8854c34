# EVI-MAE pretraining model (reference notes multimodal-mae.md section 2.1,
# released code's 'both' path), as VideoIMUMAE (docs/methods/evi_mae.md):
# - video: VideoMAE ViT-S (384 wide, 12 blocks, 6 heads), 16 frames 224^2,
#   2 x 16 x 16 tubelets -> 1568 tokens;
# - IMU: 4 devices x 3-axis acceleration, 320 samples per clip, each channel
#   a dB spectrogram (n_fft 256, window 24, hop 1, 128 bins, CMU-MMAC
#   pretraining statistics -69.8 / 23.5), 16 x 16 patches -> 160 tokens per
#   device, averaged over the (present) devices into one sequence, 11
#   blocks;
# - one unified block with per-modality LayerNorms (MidFusion depth 1);
# - joint decoder: 8 blocks, 192 wide, 3 heads; the IMU head predicts all
#   4 x 3 channels' 16 x 16 patches, the video head 2 x 16 x 16 x 3 pixels,
#   MSE on standardized patches (norm_pix_loss);
# - InfoNCE, one way from video anchors, temperature 0.05, weight 0.01;
# - device graph: GraphMAE on the complete graph of devices (2-layer GIN,
#   hidden 512, PReLU, batch norm, dropout 0.2, 1-layer GIN decoder), half
#   the nodes masked, SCE (alpha 1) weight 10.
# IMU WIDTH: EVI-MAE's IMU encoder is 768 wide and average-pooled to 384
# before the unified block; mmvmae's MidFusion needs one width, so the IMU
# encoder here is 384 wide with 6 heads (configs/evi_mae/README.md).
# EVI-MAE starts its video branch from an adapted VideoMAE-S checkpoint;
# set encoders.imgs.init_cfg to load one (e.g. an mmvmae VideoMAE ViT-S
# pretraining checkpoint, prefix 'backbone.').
embed_dims = 384
model = dict(
    type='VideoIMUMAE',
    encoders=dict(
        imgs=dict(
            type='VideoViT',
            arch='small',
            img_size=224,
            patch_size=16,
            num_frames=16,
            tubelet_size=2,
            use_mean_pooling=False),
        imu=dict(
            type='IMUEncoder',
            arch=dict(embed_dims=embed_dims, depth=11, num_heads=6),
            num_devices=4,
            in_channels=3,
            num_samples=320,
            tokenizer=dict(
                type='IMUSpectrogramEmbed',
                patch_size=16,
                n_fft=256,
                win_length=24,
                hop_length=1,
                num_freqs=128,
                db_mean=-69.8,
                db_std=23.5),
            device_fusion='mean',
            use_mean_pooling=False)),
    fusion=dict(
        type='MidFusion',
        embed_dims=embed_dims,
        modalities=('imgs', 'imu'),
        depth=1,
        num_heads=6),
    decoder=dict(
        type='JointMAEDecoder',
        in_dims=embed_dims,
        out_dims=dict(imgs=2 * 16 * 16 * 3, imu=4 * 3 * 16 * 16),
        embed_dims=192,
        depth=8,
        num_heads=3),
    heads=dict(
        imgs=dict(
            type='PixelReconstructionHead',
            patch_size=16,
            tubelet_size=2,
            target='mae_st'),
        imu=dict(type='IMUReconstructionHead', patch_size=16,
                 norm_pix=True)),
    contrastive=dict(
        type='InfoNCELoss',
        temperature=0.05,
        symmetric=False,
        direction='a2b',  # each video against every IMU window
        loss_weight=0.01),
    graph=dict(
        type='DeviceGraphMAEHead',
        in_dims=embed_dims,
        hidden_dims=512,
        num_layers=2,
        dropout=0.2,
        norm='bn',
        act='prelu',
        mask_ratio=0.5,
        loss=dict(type='SCELoss', alpha=1., loss_weight=10.)))
