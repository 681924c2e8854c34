# Kinetics-400 train videos for VideoMAE pretraining (labels unused).
# Lists and folders as made by data_preparation/kinetics (README step 3,
# after the recommended resize of step 2; point `data_root` at
# `data/kinetics400/videos_train` if you kept the original videos).
# Clips: 16 frames at stride 4; MultiScaleCrop only, no flip, no colour
# jitter; tube masking at 0.9 (reference notes section 1.1, 1.4).
data_root = 'data/kinetics400/videos_train_320p'
ann_file_train = 'data/kinetics400/kinetics400_train_list_videos.txt'

# Augmentation up to the clip tensor; the mask transforms follow it.
train_augment = [
    dict(
        type='MultiScaleCrop',
        input_size=224,
        scales=(1, .875, .75, .66),
        random_crop=False,
        max_wh_scale_gap=1,
        num_fixed_crops=13),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
]
train_pipeline = train_augment + [
    dict(
        type='TubeMaskGenerator',
        mask_ratio=0.9,
        patch_size=16,
        tubelet_size=2),
    dict(
        type='PackActionInputs',
        algorithm_keys=('visible_ids', 'masked_ids'))
]
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
        sampler=dict(
            type='SampleFrames', clip_len=16, frame_interval=4,
            num_clips=1),
        pipeline=train_pipeline))
