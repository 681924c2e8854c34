# ActionFormer on EPIC-Kitchens 100 verbs with SlowFast features
# (actionformer_release configs/epic_slowfast_verb.yaml): 2304-d features
# of 32-frame clips every 16 frames at 30 fps (.npz files, array 'feats'),
# 97 verb classes, overlapping regression ranges, local windows 9, initial
# loss normalizer 250, 16 + 5 warmup epochs; Soft-NMS sigma 0.4 keeping
# 2000 segments; mAP at tIoU 0.1:0.1:0.5.
# Reported: 23.51 average mAP (26.58 / 25.42 / 24.15 / 22.29 / 19.09);
# OpenTAD 24.93. Not reproduced with mmvmae.
#
# Data: the reference's epic_kitchens.tar.gz unpacked as
#   data/epic_kitchens/annotations/epic_kitchens_100_verb.json
#   data/epic_kitchens/features/<video_id>.npz   (num_features, 2304)
_base_ = [
    '../_base_/models/actionformer.py',
    '../_base_/datasets/temporal_action_features.py',
    '../_base_/schedules/actionformer_adamw_cosine.py'
]

data_root = 'data/epic_kitchens'
ann_file = data_root + '/annotations/epic_kitchens_100_verb.json'
num_classes = 97
feature_dim = 2304
max_seq_len = 2304
features = dict(
    ann_file=ann_file,
    feature_dir=data_root + '/features',
    index_file=None,
    feature_suffix='.npz',
    feature_window=32,
    feature_stride=16,
    feature_fps=30,
    feature_dim=feature_dim,
    length_tolerance=16)

model = dict(
    backbone=dict(in_channels=feature_dim, window_size=9),
    cls_head=dict(num_classes=num_classes),
    regression_ranges=[(0, 4), (2, 8), (4, 16), (8, 32), (16, 64),
                       (32, 10000)],
    loss_normalizer=dict(init_value=250.),
    test_cfg=dict(
        pre_nms_topk=5000,
        nms=dict(method='gaussian', sigma=0.4, min_score=0.001,
                 max_num=2000, multiclass=True)),
    # max(stride * (window // 2) * 2) = 32 * 8
    data_preprocessor=dict(size_divisor=256))

train_pipeline = [
    dict(type='LoadTemporalFeatures', npz_key='feats'),
    dict(type='RandomFeatureTruncation', max_seq_len=max_seq_len,
         trunc_thresh=0.3, crop_ratio=(0.9, 1.0)),
    dict(type='PackTemporalInputs')
]
test_pipeline = [
    dict(type='LoadTemporalFeatures', npz_key='feats'),
    dict(type='PackTemporalInputs')
]
train_dataloader = dict(
    dataset=dict(pipeline=train_pipeline, **features))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline, **features))
test_dataloader = val_dataloader
val_evaluator = dict(
    ann_file=ann_file,
    subset='validation',
    tiou_thresholds=[0.1, 0.2, 0.3, 0.4, 0.5])
test_evaluator = val_evaluator

max_epochs = 21
warmup_epochs = 5
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-8, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-8, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True)
]
