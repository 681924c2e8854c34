# VGGSound video-only fine-tuning and testing (309 classes, top-1). Layout
# (docs/multimodal_data.md, Audio): data/vggsound/videos/{train,test}/
# <id>.mp4 and mmaction2 lists `train/<id>.mp4 <label>`; the audio track is
# not read by these video-only configs.
#
# Frames: short side 224 (bicubic), centre crop 224, ImageNet mean / std
# (the image transform of CAV-MAE, reference notes multimodal-mae.md
# section 1.2; the notes give no other fine-tuning image augmentation for
# CAV-MAE or AV-MAE). Mixup on the batch ("mixup 0.5" in both references'
# fine-tuning; the notes do not say whether 0.5 is the Beta alpha or a
# probability: here alpha 0.5 on every batch). Test: one centre clip, one
# crop (CAV-MAE evaluates the middle frame; AV-MAE's test views are not in
# the notes). Leaves set the clip sampler (frames, stride) of every loader.
num_classes = 309
data_root = 'data/vggsound/videos'
ann_file_train = 'data/vggsound/train_list.txt'
ann_file_test = 'data/vggsound/test_list.txt'

data_preprocessor = dict(
    type='ActionDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    format_shape='NCTHW',
    blending=dict(
        type='RandomBatchAugment',
        augments=[
            dict(type='MixupBlending', num_classes=num_classes, alpha=0.5)
        ]))

pipeline = [
    dict(type='Resize', scale=(-1, 224), interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
clip_sampler = dict(
    type='SampleFrames', clip_len=16, frame_interval=4, num_clips=1)
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='VideoClipDataset',
        ann_file=ann_file_train,
        data_prefix=dict(video=data_root),
        sampler=clip_sampler,
        pipeline=pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='VideoClipDataset',
        ann_file=ann_file_test,
        data_prefix=dict(video=data_root),
        sampler=dict(clip_sampler, test_mode=True),
        pipeline=pipeline,
        test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator
