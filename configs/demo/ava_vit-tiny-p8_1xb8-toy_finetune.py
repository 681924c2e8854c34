# Spatio-temporal action detection (AVA format) on the toy detection data:
# the toy-pretrained tiny ViT fine-tuned with SpatioTemporalDetector, on CPU
# in minutes. Consumes the checkpoint of
# videomae_vit-tiny-p8_1xb8-toy_pretrain.py; the data come from
#   python data_preparation/toy/generate_toy_detection.py \
#       --out-dir data/toy_det
# Every toy object ("person") has one action per keyframe (1 s apart): its
# motion direction (ids 1-4) or "still" (5); proposals are the jittered
# ground-truth boxes plus random false boxes. Evaluated with mmaction2's
# AVAMetric (frame mAP@0.5). See docs/methods/ava.md.
_base_ = ['../_base_/default_runtime.py']

data_root = 'data/toy_det/ava'
anno_root = data_root + '/annotations'
# Score columns: 0 (no AVA action has id 0), 4 directions, still.
num_classes = 6
clip_len = 8
frame_interval = 2
img_size = 64
patch_size = 8
embed_dims = 96
depth = 4
pretrained = 'work_dirs/videomae_vit-tiny-p8_1xb8-toy_pretrain/epoch_20.pth'

model = dict(
    type='SpatioTemporalDetector',
    backbone=dict(
        type='VideoViT',
        arch=dict(embed_dims=embed_dims, depth=depth, num_heads=4),
        img_size=img_size,
        patch_size=patch_size,
        num_frames=clip_len,
        tubelet_size=2,
        drop_path_rate=0.1,
        use_mean_pooling=False,
        out_type='featmap',
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    roi_head=dict(
        type='ActionRoIHead',
        bbox_roi_extractor=dict(
            type='RoIFeatureExtractor3D',
            output_size=4,
            featmap_stride=patch_size),
        bbox_head=dict(
            type='MultiLabelActionHead',
            in_channels=embed_dims,
            num_classes=num_classes,
            dropout_ratio=0.5,
            topk=(1, 3))),
    data_preprocessor=dict(
        type='DetectionDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW',
        pad_size_divisor=patch_size))

# AVADataset arguments of the toy AVA copy (generate_toy_detection.py's
# ava_dataset_kwargs): 8 fps, frames from 0, keyframe t at frame 8 t;
# timestamp_end = ceil(max_frames / fps) of the default 160-frame videos.
ava_dataset = dict(
    type='AVADataset',
    label_file=anno_root + '/ava_action_list.pbtxt',
    data_prefix=dict(img=data_root + '/rawframes'),
    filename_tmpl='img_{:05}.jpg',
    start_index=0,
    fps=8,
    timestamp_start=0,
    timestamp_end=20,
    num_classes=num_classes,
    person_det_score_thr=0.9)
# No flip: the toy actions are motion directions (left / right).
train_pipeline = [
    dict(
        type='SampleAVAFrames',
        clip_len=clip_len,
        frame_interval=frame_interval),
    dict(type='RawFrameDecode'),
    dict(type='RandomRescale', scale_range=(img_size, img_size * 5 // 4)),
    dict(type='RandomCrop', size=img_size),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(
        type='SampleAVAFrames',
        clip_len=clip_len,
        frame_interval=frame_interval,
        test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, img_size)),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        ava_dataset,
        ann_file=anno_root + '/ava_train.csv',
        exclude_file=anno_root + '/ava_train_excluded_timestamps.csv',
        proposal_file=anno_root + '/ava_dense_proposals_train.pkl',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        ava_dataset,
        ann_file=anno_root + '/ava_val.csv',
        exclude_file=anno_root + '/ava_val_excluded_timestamps.csv',
        proposal_file=anno_root + '/ava_dense_proposals_val.pkl',
        pipeline=val_pipeline,
        test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='AVAMetric',
    ann_file=anno_root + '/ava_val.csv',
    exclude_file=anno_root + '/ava_val_excluded_timestamps.csv',
    label_file=anno_root + '/ava_action_list.pbtxt',
    num_classes=num_classes)
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
    constructor='LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(decay_rate=0.75, num_layers=depth),
    clip_grad=dict(max_norm=40, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=1e-6,
         by_epoch=True, begin=1, end=max_epochs, convert_to_iter_based=True)
]
default_hooks = dict(
    checkpoint=dict(interval=5, save_best='mAP/overall', rule='greater'),
    logger=dict(interval=10))
auto_scale_lr = dict(enable=False, base_batch_size=8)
