# AudioSet audio-visual fine-tuning and evaluation, AV-MAE recipe
# (reference notes multimodal-mae.md section 1.4; scenic
# projects/av_mae/configs/audioset/finetune.py). Multi-label, 527 classes.
# Layout as audioset_finetune_cav-mae.py: data/audioset/videos/<id>.mp4,
# data/audioset/audio/<id>.flac, lists of `<id>.mp4 <class> [...]`; the
# training list is AV-MAE's balanced AudioSet-500K subset (MBT's split,
# 508,994 videos in the reference config).
#
# Video: 32 frames at stride 2; training short side rescaled to 230-340
# (AV-MAE: 256 with scale jitter 0.9-1.33), random 224 crop, flip, colour
# jitter with probability 0.8 and grayscale ("colour drop") with
# probability 0.1; test: short side 256, centre crop, 4 clips. Audio: the
# 10 s around the clip as a 1024 x 128 Kaldi fbank with Audio-MAE's
# AudioSet normalization (the one mmvmae's AV-MAE pretraining used; AV-MAE's
# own log-mel spectrogram is normalized with 1.102 / 2.762), SpecAugment in
# training (AV-MAE: 2 frequency masks up to 36 bins, 4 time masks up to 48
# frames; here one of each, of those sizes). Mixup of both modalities and
# the labels at Beta(0.5, 0.5) on every sample (AV-MAE: one weight per
# batch, and per modality with `mixmod`, which needs MBT's per-modality
# logits). Metric: mAP over classes.
# Not in the reference config, mmvmae's choices [unverified]: the flip,
# the jitter strengths (0.4 / 0.4 / 0.4 / 0.1) and one crop per test clip.
num_classes = 527
data_root = 'data/audioset/videos'
ann_file_test = 'data/audioset/eval_list.txt'

data_preprocessor = dict(
    type='MultiModalBlendingPreprocessor',
    preprocessors=dict(
        imgs=dict(
            type='ActionDataPreprocessor',
            mean=[127.5, 127.5, 127.5],
            std=[127.5, 127.5, 127.5],
            format_shape='NCTHW'),
        audios=dict(type='ActionDataPreprocessor')),
    blending=dict(
        type='MultiModalMixup', num_classes=num_classes, alpha=0.5, prob=1.))

audio_loader = dict(
    type='LoadAudioWindow',
    sample_rate=16000,
    path_template='{dirname}/../audio/{stem}.flac',
    duration=10.,
    on_missing='fill',  # the learned missing-audio embedding, logged
    on_short='pad')
fbank = dict(
    type='AudioFbank', num_mel_bins=128, target_length=1024, norm='audiomae')
spec_augment = dict(freq_mask=36, time_mask=48)
train_video = [
    dict(type='RandomRescale', scale_range=(230, 340)),
    dict(type='RandomCrop', size=224),
    dict(type='Flip', flip_ratio=0.5),
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='TorchVisionWrapper',
                op='ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.4,
                hue=0.1)
        ],
        prob=0.8),
    dict(type='TorchVisionWrapper', op='RandomGrayscale', p=0.1),
    dict(type='FormatShape', input_format='NCTHW')
]
test_video = [
    dict(type='Resize', scale=(-1, 256)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW')
]
pack = dict(
    type='PackActionInputs',
    collect_keys=('imgs', 'audios'),
    algorithm_keys=('audios_present', ))
train_pipeline = [
    audio_loader, dict(fbank, **spec_augment), *train_video, pack
]
test_pipeline = [audio_loader, fbank, *test_video, pack]

clip_sampler = dict(
    type='SampleFrames', clip_len=32, frame_interval=2, num_clips=1)
train_dataloader = dict(
    batch_size=2,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='VideoClipDataset',
        ann_file='data/audioset/as500k_train_list.txt',
        data_prefix=dict(video=data_root),
        multi_class=True,
        num_classes=num_classes,
        sampler=clip_sampler,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=2,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='VideoClipDataset',
        ann_file=ann_file_test,
        data_prefix=dict(video=data_root),
        multi_class=True,
        num_classes=num_classes,
        sampler=dict(clip_sampler, num_clips=4, test_mode=True),
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='AccMetric', metric_list=('mean_average_precision', ))
test_evaluator = val_evaluator
