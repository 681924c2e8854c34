# CMU-MMAC video-only fine-tuning and testing: 32 classes (EgoProceL
# labels), scored by mean average precision as EVI-MAE reports (reference
# notes multimodal-mae.md section 2.1). mmaction2 lists
# `<clip>.mp4 <label>` in data/cmummac; the dataset turns each label into a
# one-hot vector (multi_class=True), which mmaction2's mAP needs.
#
# Train: 16 frames at stride 4, EVI-MAE's multi-scale crop. Test: one
# centre clip, centre crop (the notes give no test protocol). No mixup
# (none in the notes).
num_classes = 32
data_root = 'data/cmummac/videos'
ann_file_train = 'data/cmummac/train_list.txt'
ann_file_test = 'data/cmummac/test_list.txt'

data_preprocessor = dict(
    type='ActionDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    format_shape='NCTHW')

train_pipeline = [
    dict(
        type='MultiScaleCrop',
        input_size=224,
        scales=(1, .875, .75, .66),
        random_crop=False,
        max_wh_scale_gap=1,
        num_fixed_crops=13),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='Resize', scale=(-1, 224)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
clip_sampler = dict(
    type='SampleFrames', clip_len=16, frame_interval=4, num_clips=1)
labels = dict(multi_class=True, num_classes=num_classes)
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
        pipeline=train_pipeline,
        **labels))
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
        pipeline=test_pipeline,
        test_mode=True,
        **labels))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='AccMetric', metric_list=('mean_average_precision', ))
test_evaluator = val_evaluator
