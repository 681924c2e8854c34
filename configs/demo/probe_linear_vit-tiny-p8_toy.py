# Linear probing of the encoder of videomae_vit-tiny-p8_1xb8-toy_pretrain.py
# on the toy videos: the encoder is frozen (eval mode, no gradients) and
# only a BatchNorm (no affine) + linear head is trained.
_base_ = ['../_base_/default_runtime.py']

data_root = 'data/toy'
pretrained = 'work_dirs/videomae_vit-tiny-p8_1xb8-toy_pretrain/epoch_20.pth'
num_classes = 4
clip_len = 8
frame_interval = 2
img_size = 64
embed_dims = 96
model = dict(
    type='Recognizer3D',
    backbone=dict(
        type='VideoViT',
        arch=dict(embed_dims=embed_dims, depth=4, num_heads=4),
        img_size=img_size,
        patch_size=8,
        num_frames=clip_len,
        tubelet_size=2,
        # Keep the pretrained `norm`: `fc_norm` would be new, random and
        # frozen.
        use_mean_pooling=False,
        out_type='avg',
        frozen=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    cls_head=dict(
        type='LinearProbeHead',
        num_classes=num_classes,
        in_channels=embed_dims,
        with_bn=True,
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW'))

# No flips: the toy classes are motion directions (a flip swaps left and
# right).
train_pipeline = [
    dict(
        type='MultiScaleCrop',
        input_size=img_size,
        scales=(1, .875, .75, .66),
        random_crop=False,
        max_wh_scale_gap=1),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='Resize', scale=(-1, img_size)),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='VideoClipDataset',
        ann_file=data_root + '/train_list.txt',
        data_prefix=dict(video=data_root + '/videos'),
        sampler=dict(
            type='SampleFrames',
            clip_len=clip_len,
            frame_interval=frame_interval,
            num_clips=1),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='VideoClipDataset',
        ann_file=data_root + '/val_list.txt',
        data_prefix=dict(video=data_root + '/videos'),
        sampler=dict(
            type='SampleFrames',
            clip_len=clip_len,
            frame_interval=frame_interval,
            num_clips=1,
            test_mode=True),
        pipeline=test_pipeline,
        test_mode=True))
# Test on 2 clips per video; the head averages their softmax scores.
test_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='VideoClipDataset',
        ann_file=data_root + '/val_list.txt',
        data_prefix=dict(video=data_root + '/videos'),
        sampler=dict(
            type='SampleFrames',
            clip_len=clip_len,
            frame_interval=frame_interval,
            num_clips=2,
            test_mode=True),
        pipeline=test_pipeline,
        test_mode=True))
val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator

max_epochs = 20
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# MAE probes with LARS at batch 16384; plain SGD suits the batch of 8 here
# (the BatchNorm standardizes the features, so one lr fits most encoders).
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=0.))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 2, eta_min=0.,
         by_epoch=True, begin=2, end=max_epochs, convert_to_iter_based=True)
]
auto_scale_lr = dict(enable=False, base_batch_size=8)
default_hooks = dict(
    checkpoint=dict(interval=5, save_best='auto'),
    logger=dict(interval=10))
