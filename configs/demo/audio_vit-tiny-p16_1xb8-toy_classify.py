# Audio-only classification of the toy videos by their audio track (a tone
# whose pitch is the class): a tiny AudioViT from scratch on the fbank of
# 0.64 s around each sampled clip, mean pooling, a linear head with label
# smoothing; test: 5 windows per video, softmax probabilities averaged.
# AudioVisualRecognizer with an audio encoder only. On CPU in minutes.
# Data: python data_preparation/toy/generate_toy_dataset.py \
#     --out-dir data/toy_mm --audio
# To start from the audio encoder of the CAV-MAE toy pretraining instead,
# use its patch size (8) and add to the encoder
# init_cfg=dict(type='Pretrained', checkpoint=<its epoch_20.pth>,
#               prefix='encoders.audios.').
_base_ = ['../_base_/default_runtime.py']

data_root = 'data/toy_mm'
num_classes = 4
clip_len = 8
frame_interval = 2
embed_dims = 96
# 0.64 s of audio (the 8 x 2 frames at 30 fps span 0.53 s) -> 62 fbank
# frames, padded to 64; 64 mel bins; 16x16 patches -> a 4x4 token grid.
audio_frames = 64
n_mels = 64

model = dict(
    type='AudioVisualRecognizer',
    encoders=dict(
        audios=dict(
            type='AudioViT',
            arch=dict(embed_dims=embed_dims, depth=4, num_heads=4),
            target_length=audio_frames,
            n_mels=n_mels,
            patch_size=16,
            layout='ft',
            drop_path_rate=0.1,
            use_mean_pooling=True)),
    cls_head=dict(
        type='TimeSformerHead',
        num_classes=num_classes,
        in_channels=embed_dims,
        average_clips='prob',
        label_smooth_eps=0.1))

audio = [
    dict(type='LoadAudioWindow', sample_rate=16000, duration=0.64,
         on_missing='fill'),
]
pack = dict(
    type='PackActionInputs',
    collect_keys=('audios', ),
    algorithm_keys=('audios_present', ))
# SpecAugment scaled down from CAV-MAE's 48 / 192 (of 128 bins / 1024
# frames): the toy tone covers only a few mel bins.
train_pipeline = audio + [
    dict(type='AudioFbank', num_mel_bins=n_mels, target_length=audio_frames,
         norm='cavmae', freq_mask=8, time_mask=12), pack
]
test_pipeline = audio + [
    dict(type='AudioFbank', num_mel_bins=n_mels, target_length=audio_frames,
         norm='cavmae'), pack
]

# VideoClipDataset decodes the sampled frames (their times place the audio
# window); they are not packed (8 small frames: cheap).
sampler = dict(
    type='SampleFrames',
    clip_len=clip_len,
    frame_interval=frame_interval,
    num_clips=1)
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='VideoClipDataset',
        ann_file=data_root + '/train_list.txt',
        data_prefix=dict(video=data_root + '/videos'),
        sampler=sampler,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='VideoClipDataset',
        ann_file=data_root + '/val_list.txt',
        data_prefix=dict(video=data_root + '/videos'),
        sampler=dict(sampler, test_mode=True),
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='VideoClipDataset',
        ann_file=data_root + '/val_list.txt',
        data_prefix=dict(video=data_root + '/videos'),
        sampler=dict(sampler, num_clips=5, test_mode=True),
        pipeline=test_pipeline,
        test_mode=True))
val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator

max_epochs = 10
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='FiniteLossOptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        custom_keys=dict(
            modality_embed=dict(decay_mult=0.),
            missing_audio=dict(decay_mult=0.),
            q_bias=dict(decay_mult=0.),
            v_bias=dict(decay_mult=0.))))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=1e-6,
         by_epoch=True, begin=1, end=max_epochs, convert_to_iter_based=True)
]
default_hooks = dict(
    checkpoint=dict(interval=5, save_best='acc/top1'),
    logger=dict(interval=10))
