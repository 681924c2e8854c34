# Ego-Only stage 2 on the toy detection videos: fine-tune the toy-pretrained
# tiny ViT for per-frame temporal segmentation (multi-label sigmoid BCE on
# the frames of 16-frame windows of the long videos; docs/methods/ego_only.md).
# Consumes the checkpoint of videomae_vit-tiny-p8_1xb8-toy_pretrain.py;
# its own checkpoint feeds the feature extraction of Ego-Only stage 3.
_base_ = ['../_base_/default_runtime.py']

# Toy detection data of data_preparation/toy/generate_toy_detection.py:
# long 64x64 videos at 8 fps; the classes are motion directions.
data_root = 'data/toy_det'
ann_file = data_root + '/annotations/toy_tad.json'
num_classes = 4
clip_len = 8
frame_interval = 2
img_size = 64
embed_dims = 96
depth = 4
pretrained = 'work_dirs/videomae_vit-tiny-p8_1xb8-toy_pretrain/epoch_20.pth'

model = dict(
    type='TemporalSegmenter',
    backbone=dict(
        type='VideoViT',
        arch=dict(embed_dims=embed_dims, depth=depth, num_heads=4),
        img_size=img_size,
        patch_size=8,
        num_frames=clip_len,
        tubelet_size=2,
        drop_path_rate=0.1,
        # Tokens go through the pretrained final norm; the head pools them
        # per temporal slice.
        use_mean_pooling=False,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    head=dict(
        type='TemporalSegmentationHead',
        num_classes=num_classes,
        in_channels=embed_dims,
        tubelet_size=2))

sampler = dict(
    type='SampleWindowFrames',
    clip_len=clip_len,
    frame_interval=frame_interval)
pack = dict(
    type='PackActionInputs',
    algorithm_keys=('frame_labels', ),
    meta_keys=('video_id', 'frame_inds', 'window_start', 'fps'))
# No flip: the toy classes are motion directions (left / right). No crop
# either: the labels are per frame, a crop could cut the moving object out
# of frames labelled with its motion. Random windows are the augmentation.
train_pipeline = [
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'), pack
]
test_pipeline = [
    dict(type='Resize', scale=(-1, img_size)),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='FormatShape', input_format='NCTHW'), pack
]

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='TemporalSegmentationDataset',
        ann_file=ann_file,
        subset='training',
        num_classes=num_classes,
        data_prefix=dict(video=data_root + '/videos'),
        sampler=sampler,
        pipeline=train_pipeline))
# Test windows tile every validation video (one per 16 frames, the last
# one ending at the last frame); the metric averages overlapping frames.
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='TemporalSegmentationDataset',
        ann_file=ann_file,
        subset='validation',
        num_classes=num_classes,
        data_prefix=dict(video=data_root + '/videos'),
        sampler=dict(sampler, test_mode=True),
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='FrameSegmentationMetric')
test_evaluator = val_evaluator

max_epochs = 30
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# VideoMAE fine-tuning recipe at demo scale: layer-wise lr decay, warmup,
# cosine.
optim_wrapper = dict(
    type='FiniteLossOptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(decay_rate=0.75, num_layers=depth))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 2, eta_min=1e-6,
         by_epoch=True, begin=2, end=max_epochs, convert_to_iter_based=True)
]
default_hooks = dict(
    checkpoint=dict(interval=5, save_best='seg/mAP', rule='greater'),
    logger=dict(interval=10))
