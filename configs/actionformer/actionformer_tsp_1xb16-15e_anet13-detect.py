# ActionFormer on ActivityNet 1.3 with TSP features (actionformer_release
# configs/anet_tsp.yaml): 512-d R(2+1)D-34 features of 16-frame clips every
# 16 frames at 15 fps, linearly resampled to 192 steps; a class-agnostic
# localizer (one class) with 256 channels, absolute position embedding,
# local windows 7 (global attention on the coarsest level), label smoothing
# 0.1, regression loss weight 2, lr 1e-3 for a batch of 16, 10 + 5 warmup
# epochs; class-agnostic Soft-NMS (sigma 0.75, 100 segments) with segment
# voting 0.9; mAP at tIoU 0.5:0.05:0.95.
# Reported: 36.56 average mAP (54.67 / 37.81 / 8.36 at 0.5 / 0.75 / 0.95);
# OpenTAD 37.07. Both fuse the localizer with external video-level class
# scores (CUHK classifier), which mmvmae does not implement: this config
# trains the reference's localizer and reports its class-agnostic mAP
# (ground truth labels all set to one class), a different number.
#
# Data: the reference's anet_1.3.tar.gz unpacked as
#   data/anet_1.3/annotations/anet1.3_tsp_filtered.json
#   data/anet_1.3/tsp_features/v_<video_id>.npy   (num_features, 512)
_base_ = [
    '../_base_/models/actionformer.py',
    '../_base_/datasets/temporal_action_features.py',
    '../_base_/schedules/actionformer_adamw_cosine.py'
]

data_root = 'data/anet_1.3'
feature_dim = 512
embed_dims = 256
max_seq_len = 192
num_levels = 6
features = dict(
    ann_file=data_root + '/annotations/anet1.3_tsp_filtered.json',
    feature_dir=data_root + '/tsp_features',
    index_file=None,
    feature_prefix='v_',
    feature_window=16,
    feature_stride=16,
    feature_fps=15,
    feature_dim=feature_dim,
    class_agnostic=True,
    # ActivityNet videos miss frames: their features are often shorter
    # than the duration says, and the reference keeps them.
    length_tolerance=None)

model = dict(
    backbone=dict(
        in_channels=feature_dim,
        embed_dims=embed_dims,
        window_size=[7, 7, 7, 7, 7, -1],
        abs_pos_embed=True,
        max_seq_len=max_seq_len),
    neck=dict(in_channels=embed_dims),
    cls_head=dict(in_channels=embed_dims, feat_channels=embed_dims,
                  num_classes=1),
    reg_head=dict(in_channels=embed_dims, feat_channels=embed_dims),
    loss_reg=dict(loss_weight=2.),
    loss_normalizer=dict(init_value=200.),
    label_smoothing=0.1,
    test_cfg=dict(
        pre_nms_topk=2000,
        duration_thresh=0.001,
        nms=dict(method='gaussian', sigma=0.75, min_score=0.001,
                 max_num=100, multiclass=False, voting_threshold=0.9)),
    # max(stride * (window // 2) * 2) over the levels = 16 * 6
    data_preprocessor=dict(max_seq_len=max_seq_len, size_divisor=96))

train_pipeline = [
    dict(type='LoadTemporalFeatures'),
    dict(type='ResizeTemporalFeatures', length=max_seq_len),
    dict(type='RandomFeatureTruncation', max_seq_len=max_seq_len,
         trunc_thresh=0.5, crop_ratio=(0.9, 1.0)),
    dict(type='PackTemporalInputs')
]
test_pipeline = [
    dict(type='LoadTemporalFeatures'),
    dict(type='ResizeTemporalFeatures', length=max_seq_len),
    dict(type='PackTemporalInputs')
]
train_dataloader = dict(
    batch_size=16, dataset=dict(pipeline=train_pipeline, **features))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline, **features))
test_dataloader = val_dataloader
# Ground truth from the samples (class-agnostic labels), not the JSON.
val_evaluator = dict(
    tiou_thresholds=[0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95])
test_evaluator = val_evaluator

max_epochs = 15
warmup_epochs = 5
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-8, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-8, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True)
]
auto_scale_lr = dict(base_batch_size=16)
