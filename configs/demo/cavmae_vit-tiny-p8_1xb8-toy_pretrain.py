# Audio-visual MAE of tiny ViTs on the toy videos and their audio track
# (a tone whose pitch is the class), CAV-MAE design: video and audio
# encoders, one joint block with per-modality norms, one joint decoder,
# InfoNCE (one-way, temperature 0.05, weight 0.01). On CPU in minutes.
# Data: python data_preparation/toy/generate_toy_dataset.py \
#     --out-dir data/toy_mm --audio
# Fine-tuned by cavmae_vit-tiny-p8_1xb8-toy_finetune.py (video encoder)
# and cavmae_vit-tiny-p8_1xb8-toy_finetune-av.py (audio-visual).
_base_ = ['../_base_/default_runtime.py']

data_root = 'data/toy_mm'
clip_len = 8
frame_interval = 2
img_size = 64
patch_size = 8
tubelet_size = 2
embed_dims = 96
# Audio: 0.64 s around the clip (8 frames x 2 at 30 fps span 0.53 s) ->
# 62 fbank frames, padded to 64; 64 mel bins; 8x8 patches, CAV-MAE's
# frequency-major order -> grid (8, 8).
audio_frames = 64
n_mels = 64
audio_patch = 8
layout = 'ft'
model = dict(
    type='AudioVisualMAE',
    encoders=dict(
        imgs=dict(
            type='VideoViT',
            arch=dict(embed_dims=embed_dims, depth=4, num_heads=4),
            img_size=img_size,
            patch_size=patch_size,
            num_frames=clip_len,
            tubelet_size=tubelet_size,
            use_mean_pooling=False),
        audios=dict(
            type='AudioViT',
            arch=dict(embed_dims=embed_dims, depth=4, num_heads=4),
            target_length=audio_frames,
            n_mels=n_mels,
            patch_size=audio_patch,
            layout=layout,
            use_mean_pooling=False)),
    fusion=dict(
        type='MidFusion', embed_dims=embed_dims, depth=1, num_heads=4),
    decoder=dict(
        type='JointMAEDecoder',
        in_dims=embed_dims,
        out_dims=dict(
            imgs=tubelet_size * patch_size**2 * 3, audios=audio_patch**2),
        embed_dims=64,
        depth=2,
        num_heads=4),
    heads=dict(
        imgs=dict(
            type='PixelReconstructionHead',
            patch_size=patch_size,
            tubelet_size=tubelet_size,
            target='videomae'),
        audios=dict(
            type='SpectrogramReconstructionHead',
            patch_size=audio_patch,
            layout=layout)),
    contrastive=dict(
        type='InfoNCELoss',
        temperature=0.05,
        symmetric=False,
        direction='a2b',  # each video against every audio clip (CAV-MAE)
        loss_weight=0.01))

train_pipeline = [
    dict(type='LoadAudioWindow', sample_rate=16000, duration=0.64,
         on_missing='fill'),
    dict(type='AudioFbank', num_mel_bins=n_mels, target_length=audio_frames,
         norm='cavmae'),
    dict(
        type='MultiScaleCrop',
        input_size=img_size,
        scales=(1, .875, .75, .66),
        random_crop=False,
        max_wh_scale_gap=1),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(
        type='TubeMaskGenerator',
        mask_ratio=0.75,
        patch_size=patch_size,
        tubelet_size=tubelet_size),
    dict(
        type='SpectrogramRandomMaskGenerator',
        mask_ratio=0.75,
        patch_size=audio_patch,
        layout=layout),
    dict(
        type='PackActionInputs',
        collect_keys=('imgs', 'audios'),
        algorithm_keys=('visible_ids', 'masked_ids', 'audio_visible_ids',
                        'audio_masked_ids', 'audios_present'))
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='repeat_pseudo_collate'),
    dataset=dict(
        type='VideoClipDataset',
        ann_file=data_root + '/pretrain_list.txt',
        data_prefix=dict(video=data_root + '/videos'),
        sampler=dict(
            type='SampleFrames',
            clip_len=clip_len,
            frame_interval=frame_interval,
            num_clips=1),
        num_repeats=2,
        pipeline=train_pipeline))

max_epochs = 20
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
optim_wrapper = dict(
    type='FiniteLossOptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1.5e-4, betas=(0.9, 0.95), weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        custom_keys=dict(
            mask_token=dict(decay_mult=0.),
            modality_embed=dict(decay_mult=0.),
            q_bias=dict(decay_mult=0.),
            v_bias=dict(decay_mult=0.))))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 2, eta_min=1e-6,
         by_epoch=True, begin=2, end=max_epochs, convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=5), logger=dict(interval=10))
