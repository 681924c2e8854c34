# ActionFormer on the toy detection videos, from features of the toy
# VideoMAE demo encoder (docs/methods/actionformer.md): a tiny detector
# (32 channels, 4 pyramid levels of strides 1..8) that trains in seconds
# on a CPU. Produce the inputs first:
#   python data_preparation/toy/generate_toy_detection.py \
#       --out-dir data/toy_det
#   python tools/misc/extract_features.py \
#       configs/demo/videomae_vit-tiny-p8_1xb8-toy_pretrain.py \
#       work_dirs/videomae_vit-tiny-p8_1xb8-toy_pretrain/epoch_20.pth \
#       data/toy_det/annotations/toy_tad.json \
#       --video-root data/toy_det/videos --out-dir data/toy_det/features \
#       --clip-len 8 --frame-interval 2 --stride 4
# Features: 96-d, one per 16-frame window (2 s) every 4 frames (0.5 s) of
# the 8 fps videos; a 96-160-frame video gives 21-37 of them.
_base_ = ['../_base_/default_runtime.py']

data_root = 'data/toy_det'
ann_file = data_root + '/annotations/toy_tad.json'
classes_file = data_root + '/annotations/classes.txt'
feature_dir = data_root + '/features'
feature_dim = 96
num_classes = 4
max_seq_len = 64
embed_dims = 32
num_levels = 4

model = dict(
    type='ActionFormer',
    backbone=dict(
        type='TemporalConvTransformer',
        in_channels=feature_dim,
        embed_dims=embed_dims,
        num_heads=4,
        arch=(2, 1, num_levels - 1),
        window_size=9,
        drop_path_rate=0.,
        layer_scale_init=None,
        max_seq_len=max_seq_len),
    neck=dict(type='IdentityFPN', in_channels=embed_dims,
              num_levels=num_levels),
    cls_head=dict(type='TemporalClsHead', in_channels=embed_dims,
                  feat_channels=embed_dims, num_classes=num_classes),
    reg_head=dict(type='TemporalRegHead', in_channels=embed_dims,
                  feat_channels=embed_dims, num_levels=num_levels),
    # Toy segments last 12-48 frames: 3-12 features.
    regression_ranges=[(0, 4), (4, 8), (8, 16), (16, 10000)],
    loss_normalizer=dict(init_value=20., momentum=0.9),
    test_cfg=dict(
        pre_nms_topk=1000,
        nms=dict(method='gaussian', sigma=0.5, min_score=0.001,
                 max_num=100, multiclass=True)),
    data_preprocessor=dict(type='TemporalFeaturePreprocessor',
                           max_seq_len=max_seq_len, size_divisor=8))

features = dict(
    type='TemporalActionDataset',
    ann_file=ann_file,
    feature_dir=feature_dir,
    classes_file=classes_file,
    feature_dim=feature_dim)
train_pipeline = [
    dict(type='LoadTemporalFeatures'),
    dict(type='RandomFeatureTruncation', max_seq_len=max_seq_len,
         trunc_thresh=0.5, crop_ratio=(0.9, 1.0)),
    dict(type='PackTemporalInputs')
]
test_pipeline = [
    dict(type='LoadTemporalFeatures'),
    dict(type='PackTemporalInputs')
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(subset='training', pipeline=train_pipeline, **features))
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(subset='validation', pipeline=test_pipeline,
                 test_mode=True, **features))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='TADmAPMetric',
    ann_file=ann_file,
    subset='validation',
    classes=classes_file,
    tiou_thresholds=[0.3, 0.4, 0.5, 0.6, 0.7])
test_evaluator = val_evaluator

max_epochs = 30
warmup_epochs = 2
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='FiniteLossOptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=1.0, norm_type=2),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.,
                       custom_keys={'.scale': dict(decay_mult=0.)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-6, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True)
]
# Evaluate a moving average of the weights, as the reference (decay 0.99
# here instead of 0.999: the demo trains for a few hundred iterations).
custom_hooks = [
    dict(type='EMAHook', ema_type='ExponentialMovingAverage',
         momentum=0.01, priority='ABOVE_NORMAL')
]
default_hooks = dict(
    checkpoint=dict(interval=10, save_best='tad/mAP', rule='greater'),
    logger=dict(interval=10))
auto_scale_lr = dict(enable=False, base_batch_size=4)
