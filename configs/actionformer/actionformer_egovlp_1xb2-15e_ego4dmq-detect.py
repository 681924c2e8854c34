# ActionFormer on Ego4D Moment Queries with EgoVLP features
# (actionformer_release configs/ego4d_egovlp.yaml): 256-d features, one per
# 16 frames of the 30 fps videos, 110 classes, sequences up to 1024; 8
# pyramid levels (arch 2-2-7, strides up to 128) with overlapping
# regression ranges, local windows 9, 384 channels, absolute position
# embedding, dropout and drop path 0.1, 10 + 5 warmup epochs; Soft-NMS
# sigma 0.9 keeping 2000 segments; mAP at tIoU 0.1:0.1:0.5 and Recall@1x.
# Reported (EgoVLP alone): 20.60 average mAP (26.84 / 23.86 / 20.57 / 17.19
# / 14.54), Recall@1x at tIoU 0.5 37.12; with SlowFast + Omnivore + EgoVLP
# features 22.09 (needs per-stream projections, not configured here). Not
# reproduced with mmvmae.
#
# Data: annotations converted by the reference's
# tools/convert_ego4d_trainval.py, features from EgoVLP:
#   data/ego4d/annotations/ego4d.json
#   data/ego4d/egovlp_features/<video_id>.npy   (num_features, 256)
_base_ = [
    '../_base_/models/actionformer.py',
    '../_base_/datasets/temporal_action_features.py',
    '../_base_/schedules/actionformer_adamw_cosine.py'
]

data_root = 'data/ego4d'
ann_file = data_root + '/annotations/ego4d.json'
feature_dim = 256
embed_dims = 384
max_seq_len = 1024
num_levels = 8
features = dict(
    ann_file=ann_file,
    feature_dir=data_root + '/egovlp_features',
    index_file=None,
    feature_window=16,
    feature_stride=16,
    feature_fps=30,
    feature_dim=feature_dim,
    length_tolerance=16)

model = dict(
    backbone=dict(
        in_channels=feature_dim,
        embed_dims=embed_dims,
        arch=(2, 2, num_levels - 1),
        window_size=9,
        proj_drop=0.1,
        abs_pos_embed=True,
        max_seq_len=max_seq_len),
    neck=dict(in_channels=embed_dims, num_levels=num_levels),
    cls_head=dict(in_channels=embed_dims, feat_channels=embed_dims,
                  num_classes=110),
    reg_head=dict(in_channels=embed_dims, feat_channels=embed_dims,
                  num_levels=num_levels),
    regression_ranges=[(0, 4), (2, 8), (4, 16), (8, 32), (16, 64),
                       (32, 128), (64, 256), (128, 10000)],
    test_cfg=dict(
        pre_nms_topk=5000,
        nms=dict(method='gaussian', sigma=0.9, min_score=0.001,
                 max_num=2000, multiclass=True)),
    # max(stride * (window // 2) * 2) = 128 * 8
    data_preprocessor=dict(max_seq_len=max_seq_len, size_divisor=1024))

train_pipeline = [
    dict(type='LoadTemporalFeatures'),
    dict(type='RandomFeatureTruncation', max_seq_len=max_seq_len,
         trunc_thresh=0.3, crop_ratio=(0.9, 1.0)),
    dict(type='PackTemporalInputs')
]
train_dataloader = dict(
    dataset=dict(pipeline=train_pipeline, **features))
val_dataloader = dict(dataset=features)
test_dataloader = val_dataloader
val_evaluator = dict(
    ann_file=ann_file,
    subset='validation',
    tiou_thresholds=[0.1, 0.2, 0.3, 0.4, 0.5],
    recall_top_kx=(1, 5))
test_evaluator = val_evaluator

max_epochs = 15
warmup_epochs = 5
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-8, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-8, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True)
]
