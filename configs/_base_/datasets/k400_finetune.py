# Kinetics-400 fine-tuning and testing, VideoMAE recipe (reference notes
# section 1.5). Lists and folders as made by data_preparation/kinetics
# (README step 3, after the recommended resize of step 2).
#
# Train: 16 frames at stride 4; short side rescaled to 256-320, random
# resized crop (area 0.08-1, aspect 3/4-4/3) to 224, flip, RandAugment,
# random erasing 0.25; mixup 0.8 / cutmix 1.0 on the batch; 2 clips per
# video visit (repeated augmentation). Val: 1 centre clip. Test: 5 clips x
# 3 crops, softmax probabilities averaged (the head's `average_clips`).
num_classes = 400
data_root = 'data/kinetics400/videos_train_320p'
data_root_val = 'data/kinetics400/videos_val_320p'
ann_file_train = 'data/kinetics400/kinetics400_train_list_videos.txt'
ann_file_val = 'data/kinetics400/kinetics400_val_list_videos.txt'
ann_file_test = ann_file_val

# Merged into the model by the runner (the model base sets none).
data_preprocessor = dict(
    type='ActionDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    format_shape='NCTHW',
    blending=dict(
        type='RandomBatchAugment',
        augments=[
            dict(type='MixupBlending', num_classes=num_classes, alpha=0.8),
            dict(type='CutmixBlending', num_classes=num_classes, alpha=1.0)
        ]))

# RandAugment `rand-m7-n4`: 4 ops at magnitude 7 of 10 (torchvision's op set,
# one draw per clip; timm's magnitude noise `mstd0.5` and `inc1` op variants
# are not reproduced). Random erasing fills with uniform noise, one box per
# clip.
rand_augment = dict(
    type='TorchVisionWrapper',
    op='RandAugment',
    num_ops=4,
    magnitude=7,
    num_magnitude_bins=11)
random_erasing = dict(type='RandomErasing', erase_prob=0.25, mode='rand')
train_pipeline = [
    dict(type='RandomRescale', scale_range=(256, 320)),
    dict(type='RandomResizedCrop'),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    rand_augment,
    random_erasing,
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='Resize', scale=(-1, 224)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='Resize', scale=(-1, 224)),
    dict(type='ThreeCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]

clip_sampler = dict(
    type='SampleFrames', clip_len=16, frame_interval=4, num_clips=1)
train_dataloader = dict(
    batch_size=6,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='repeat_pseudo_collate'),
    dataset=dict(
        type='VideoClipDataset',
        ann_file=ann_file_train,
        data_prefix=dict(video=data_root),
        sampler=clip_sampler,
        num_repeats=2,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='VideoClipDataset',
        ann_file=ann_file_val,
        data_prefix=dict(video=data_root_val),
        sampler=dict(clip_sampler, test_mode=True),
        pipeline=val_pipeline,
        test_mode=True))
test_dataloader = dict(
    batch_size=2,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='VideoClipDataset',
        ann_file=ann_file_test,
        data_prefix=dict(video=data_root_val),
        sampler=dict(clip_sampler, num_clips=5, test_mode=True),
        pipeline=test_pipeline,
        test_mode=True))
val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator
