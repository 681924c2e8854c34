# AudioSet audio-visual fine-tuning and evaluation, CAV-MAE recipe
# (reference notes multimodal-mae.md sections 1.1, 1.2 and 6; cav-mae
# src/dataloader.py, egs/audioset/run_cavmae_ft_*.sh). Multi-label, 527
# classes. Layout (docs/multimodal_data.md, Audio): videos in
# data/audioset/videos, one 16 kHz mono FLAC per video in
# data/audioset/audio, lists of `<id>.mp4 <class> [<class> ...]` (0-based
# indices of class_labels_indices.csv); a leaf sets its training list.
#
# Per sample: one frame (random in training, the middle one at test),
# short side 224 (bicubic), centre crop 224, ImageNet mean / std; the 10 s
# of audio around it, fbank 1024 x 128 normalized with CAV-MAE's AudioSet
# statistics (-5.081 / 4.4849); SpecAugment in training (a frequency mask
# up to 48 bins, a time mask up to 192 frames). Mixup: with probability
# 0.5 a sample's frame and audio are mixed with a random other sample's at
# lam ~ Beta(10, 10), labels alike. Metric: mAP over classes.
num_classes = 527
data_root = 'data/audioset/videos'
ann_file_test = 'data/audioset/eval_list.txt'

data_preprocessor = dict(
    type='MultiModalBlendingPreprocessor',
    preprocessors=dict(
        imgs=dict(
            type='ActionDataPreprocessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            format_shape='NCTHW'),
        audios=dict(type='ActionDataPreprocessor')),
    blending=dict(
        type='MultiModalMixup', num_classes=num_classes, alpha=10.,
        prob=0.5))

audio_loader = dict(
    type='LoadAudioWindow',
    sample_rate=16000,
    path_template='{dirname}/../audio/{stem}.flac',
    duration=10.,
    on_missing='fill',  # the learned missing-audio embedding, logged
    on_short='pad')  # clips under 10 s: zero-padded, as CAV-MAE
fbank = dict(
    type='AudioFbank', num_mel_bins=128, target_length=1024, norm='cavmae')
frame = [
    dict(type='Resize', scale=(-1, 224), interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW')
]
pack = dict(
    type='PackActionInputs',
    collect_keys=('imgs', 'audios'),
    algorithm_keys=('audios_present', ))
train_pipeline = [
    audio_loader,
    dict(fbank, freq_mask=48, time_mask=192), *frame, pack
]
test_pipeline = [audio_loader, fbank, *frame, pack]

frame_sampler = dict(
    type='SampleFrames', clip_len=1, frame_interval=1, num_clips=1)
train_dataloader = dict(
    batch_size=12,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='VideoClipDataset',
        ann_file='data/audioset/as20k_train_list.txt',
        data_prefix=dict(video=data_root),
        multi_class=True,
        num_classes=num_classes,
        sampler=frame_sampler,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=12,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='VideoClipDataset',
        ann_file=ann_file_test,
        data_prefix=dict(video=data_root),
        multi_class=True,
        num_classes=num_classes,
        sampler=dict(frame_sampler, test_mode=True),
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='AccMetric', metric_list=('mean_average_precision', ))
test_evaluator = val_evaluator
