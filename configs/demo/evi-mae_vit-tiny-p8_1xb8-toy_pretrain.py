# Video-IMU MAE of tiny ViTs on the toy videos and their IMU readings (3
# virtual devices measuring the shape's velocity), EVI-MAE design: video and
# IMU encoders, device tokens averaged over the present devices, one joint
# block with per-modality norms, one joint decoder, InfoNCE (one-way from
# video anchors, temperature 0.05, weight 0.01) and the device-graph
# masked node-feature loss (SCE, weight 10). On CPU in minutes.
# Data: python data_preparation/toy/generate_toy_dataset.py \
#     --out-dir data/toy_mm --imu
# Fine-tuned by evi-mae_vit-tiny-p8_1xb8-toy_finetune.py (video encoder).
# The VideoMAE demo's video settings, augmentation, optimizer and schedule.
_base_ = ['./videomae_vit-tiny-p8_1xb8-toy_pretrain.py']

data_root = 'data/toy_mm'
clip_len = 8
frame_interval = 2
img_size = 64
patch_size = 8
tubelet_size = 2
embed_dims = 96
# IMU: the toy generator's devices and channels (imu/channels.json), 50 Hz;
# the clip's 0.53 s resampled to 64 samples, cut into 1-D patches of 4
# samples -> 16 tokens per device, averaged over the present devices.
imu_channels = ('vel_x', 'vel_y', 'acc_x', 'acc_y')
imu_devices = ('imu0', 'imu1', 'imu2')
imu_samples = 64
imu_patch = 4
imu_tokens = imu_samples // imu_patch
model = dict(
    _delete_=True,
    type='VideoIMUMAE',
    encoders=dict(
        imgs=dict(
            type='VideoViT',
            arch=dict(embed_dims=embed_dims, depth=4, num_heads=4),
            img_size=img_size,
            patch_size=patch_size,
            num_frames=clip_len,
            tubelet_size=tubelet_size,
            use_mean_pooling=False),
        imu=dict(
            type='IMUEncoder',
            arch=dict(embed_dims=embed_dims, depth=4, num_heads=4),
            num_devices=len(imu_devices),
            in_channels=len(imu_channels),
            num_samples=imu_samples,
            # EVI-MAE cuts spectrogram images instead
            # (IMUSpectrogramEmbed); they drop each channel's mean, which
            # is the whole class signal (the velocity) of the toy data.
            tokenizer=dict(type='IMUPatchEmbed', patch_size=imu_patch),
            device_fusion='mean',
            use_mean_pooling=False)),
    fusion=dict(
        type='MidFusion',
        embed_dims=embed_dims,
        modalities=('imgs', 'imu'),
        depth=1,
        num_heads=4),
    decoder=dict(
        type='JointMAEDecoder',
        in_dims=embed_dims,
        out_dims=dict(
            imgs=tubelet_size * patch_size**2 * 3,
            imu=len(imu_devices) * len(imu_channels) * imu_patch),
        embed_dims=64,
        depth=2,
        num_heads=4),
    heads=dict(
        imgs=dict(
            type='PixelReconstructionHead',
            patch_size=patch_size,
            tubelet_size=tubelet_size,
            target='videomae'),
        # Raw readings: a per-patch standardization would remove the
        # velocity level too.
        imu=dict(
            type='IMUReconstructionHead', patch_size=imu_patch,
            norm_pix=False)),
    contrastive=dict(
        type='InfoNCELoss',
        temperature=0.05,
        symmetric=False,
        direction='a2b',  # each video against every IMU window (EVI-MAE)
        loss_weight=0.01),
    graph=dict(
        type='DeviceGraphMAEHead',
        in_dims=embed_dims,
        hidden_dims=64,
        mask_ratio=0.5,
        loss=dict(type='SCELoss', alpha=1., loss_weight=10.)))

train_pipeline = [
    dict(
        type='LoadIMUWindow',
        path_template='{dirname}/../imu/{stem}.csv',
        channels={
            device: [f'{device}_{channel}' for channel in imu_channels]
            for device in imu_devices
        },
        num_samples=imu_samples,
        on_missing='fill',
        on_unsorted='sort'),
    *_base_.train_pipeline[:-2],  # crop, resize, format
    dict(
        type='TubeMaskGenerator',
        mask_ratio=0.9,
        patch_size=patch_size,
        tubelet_size=tubelet_size),
    dict(
        type='IMURandomMaskGenerator', mask_ratio=0.75,
        num_tokens=imu_tokens),
    dict(
        type='PackActionInputs',
        collect_keys=('imgs', 'imu'),
        algorithm_keys=('visible_ids', 'masked_ids', 'imu_visible_ids',
                        'imu_masked_ids', 'imu_presence'))
]
train_dataloader = dict(
    dataset=dict(
        ann_file=data_root + '/pretrain_list.txt',
        data_prefix=dict(video=data_root + '/videos'),
        pipeline=train_pipeline))
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys=dict(
            modality_embed=dict(decay_mult=0.),
            device_embed=dict(decay_mult=0.),
        )))
# The reconstruction picture hook is VideoMAE's.
custom_hooks = []
