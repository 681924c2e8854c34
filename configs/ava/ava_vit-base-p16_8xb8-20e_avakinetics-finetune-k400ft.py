# AVA 2.2 spatio-temporal action detection with a VideoMAE ViT-B/16, the
# recipe of mmaction2's configs/detection/videomae/
# vit-base-p16_videomae-k400-pre_8xb8-16x4x1-20e-adamw_ava-kinetics-rgb.py
# (reference notes, downstream section 3.1): trained on the AVA-Kinetics
# train set, evaluated on AVA 2.2 val (frame mAP@0.5 over the 60 classes of
# the ActivityNet 2019 list; reported 33.6).
# Starts from the Kinetics-400 fine-tuned encoder (pretrained, then
# fine-tuned on K400 labels, as mmaction2's checkpoint) of
# configs/videomae/videomae_vit-base-p16_64xb6-75e_k400-finetune.py.
# SpatioTemporalDetector = mmaction2's FastRCNN + AVARoIHead + BBoxHeadAVA
# in pure torch (torchvision RoIAlign, no mmdet / mmcv ops); see
# docs/methods/ava.md.
_base_ = ['../_base_/default_runtime.py']

pretrained = ('work_dirs/videomae_vit-base-p16_64xb6-75e_k400-finetune/'
              'epoch_75.pth')
embed_dims = 768
patch_size = 16
model = dict(
    type='SpatioTemporalDetector',
    backbone=dict(
        type='VideoViT',
        arch='base',
        img_size=224,
        patch_size=patch_size,
        num_frames=16,
        tubelet_size=2,
        drop_path_rate=0.2,
        use_mean_pooling=False,
        out_type='featmap',
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    roi_head=dict(
        type='ActionRoIHead',
        bbox_roi_extractor=dict(
            type='RoIFeatureExtractor3D',
            output_size=8,
            featmap_stride=patch_size,
            temporal_pool='avg'),
        bbox_head=dict(
            type='MultiLabelActionHead',
            in_channels=embed_dims,
            num_classes=81,
            background_class=True,
            dropout_ratio=0.5),
        assigner=dict(
            type='MaxIoUBoxAssigner',
            pos_iou_thr=0.9,
            neg_iou_thr=0.9,
            min_pos_iou=0.9),
        sampler=dict(
            type='PositiveRoISampler', num=32, add_gt_as_proposals=True)),
    data_preprocessor=dict(
        type='DetectionDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW',
        pad_size_divisor=patch_size))

dataset_type = 'AVAKineticsDataset'
data_root = 'data/ava_kinetics/rawframes'
anno_root = 'data/ava_kinetics/annotations'
ann_file_train = f'{anno_root}/ava_train_v2.2.csv'
ann_file_val = f'{anno_root}/ava_val_v2.2.csv'
exclude_file_train = f'{anno_root}/ava_train_excluded_timestamps_v2.2.csv'
exclude_file_val = f'{anno_root}/ava_val_excluded_timestamps_v2.2.csv'
label_file = f'{anno_root}/ava_action_list_v2.2_for_activitynet_2019.pbtxt'
proposal_file_train = (f'{anno_root}/ava_dense_proposals_train.FAIR.'
                       'recall_93.9.pkl')
proposal_file_val = f'{anno_root}/ava_dense_proposals_val.FAIR.recall_93.9.pkl'

# 16 frames at stride 4 centred on the keyframe.
train_pipeline = [
    dict(type='SampleAVAFrames', clip_len=16, frame_interval=4),
    dict(type='RawFrameDecode'),
    dict(type='RandomRescale', scale_range=(256, 320)),
    dict(type='RandomCrop', size=256),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
# No crop or flip at test: short side 256, the width padded to a multiple
# of the patch size by the data preprocessor.
val_pipeline = [
    dict(
        type='SampleAVAFrames', clip_len=16, frame_interval=4, test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]

train_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_train,
        exclude_file=exclude_file_train,
        pipeline=train_pipeline,
        label_file=label_file,
        proposal_file=proposal_file_train,
        data_prefix=dict(img=data_root)))
val_dataloader = dict(
    batch_size=1,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_val,
        exclude_file=exclude_file_val,
        pipeline=val_pipeline,
        label_file=label_file,
        proposal_file=proposal_file_val,
        data_prefix=dict(img=data_root),
        test_mode=True))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='AVAMetric',
    ann_file=ann_file_val,
    label_file=label_file,
    exclude_file=exclude_file_val)
test_evaluator = val_evaluator

max_epochs = 20
warmup_epochs = 5
train_cfg = dict(
    type='EpochBasedTrainLoop',
    max_epochs=max_epochs,
    val_begin=1,
    val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - warmup_epochs,
        eta_min=0,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True)
]

# AdamW (betas 0.9, 0.999), layer-wise lr decay 0.75 over the 12 blocks
# (mmaction2's LearningRateDecayOptimizerConstructor: same scales, no
# weight decay on norms and biases), gradient clipping at norm 40.
optim_wrapper = dict(
    type='FiniteLossOptimWrapper',
    optimizer=dict(type='AdamW', lr=1.25e-4, weight_decay=0.05),
    constructor='LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(decay_rate=0.75, num_layers=12),
    clip_grad=dict(max_norm=40, norm_type=2))

default_hooks = dict(checkpoint=dict(max_keep_ckpts=2))

# The lr is for 8 GPUs x 8 keyframes.
auto_scale_lr = dict(enable=False, base_batch_size=64)
