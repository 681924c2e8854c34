# Ego-Only stage 2 on Ego4D Moment Queries: fine-tune the Ego4D-pretrained
# ViT-B/16 for per-frame temporal segmentation of the 110 MQ classes
# (multi-label sigmoid BCE; TemporalSegmenter, docs/methods/ego_only.md).
# Windows of 16 frames at interval 2 span 32 frames at 30 fps, the window of
# ActionFormer's Ego4D features; optimiser settings are VideoMAE's ViT-B
# fine-tuning recipe. The paper's segmentation fine-tuning settings could
# not be retrieved here: every value is [unverified] (README.md).
# Consumes the checkpoint of
# configs/ego_only/ego-only_vit-base-p16_64xb32-800e_ego4d-pretrain.py.
_base_ = ['../_base_/schedules/finetune_adamw_layer-decay.py']

num_classes = 110
clip_len = 16
frame_interval = 2
img_size = 224
# Ego4D MQ annotations converted to the ActionFormer / ActivityNet JSON
# (subsets 'training' / 'validation', times in seconds of each MQ clip,
# label_id in [0, 110)) and the MQ clips as <clip_uid>.mp4 at 30 fps.
ann_file = 'data/ego4d/annotations/ego4d_mq_tad.json'
video_root = 'data/ego4d/clips'
pretrained = ('work_dirs/ego-only_vit-base-p16_64xb32-800e_ego4d-pretrain/'
              'epoch_800.pth')

model = dict(
    type='TemporalSegmenter',
    backbone=dict(
        type='VideoViT',
        arch='base',
        img_size=img_size,
        patch_size=16,
        num_frames=clip_len,
        tubelet_size=2,
        drop_path_rate=0.1,
        use_mean_pooling=False,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    head=dict(
        type='TemporalSegmentationHead',
        num_classes=num_classes,
        in_channels=768,
        tubelet_size=2))

sampler = dict(
    type='SampleWindowFrames',
    clip_len=clip_len,
    frame_interval=frame_interval)
pack = dict(
    type='PackActionInputs',
    algorithm_keys=('frame_labels', ),
    meta_keys=('video_id', 'frame_inds', 'window_start', 'fps'))
train_pipeline = [
    dict(type='RandomRescale', scale_range=(256, 320)),
    dict(type='RandomResizedCrop'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'), pack
]
test_pipeline = [
    dict(type='Resize', scale=(-1, img_size)),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='FormatShape', input_format='NCTHW'), pack
]
dataset = dict(
    type='TemporalSegmentationDataset',
    ann_file=ann_file,
    num_classes=num_classes,
    data_prefix=dict(video=video_root),
    sampler=sampler,
    # Real annotations may end a little past the video: clip, count, log.
    out_of_range='clip')
train_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    # One random window per 4 window spans (128 frames) of a video and epoch.
    dataset=dict(
        dataset, subset='training', train_stride=4 * clip_len *
        frame_interval, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        dataset,
        subset='validation',
        sampler=dict(sampler, test_mode=True),
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='FrameSegmentationMetric')
test_evaluator = val_evaluator

# 8 GPUs x 8 windows = 64: lr = 5e-4 x 64 / 256.
optim_wrapper = dict(optimizer=dict(lr=5e-4 * 64 / 256))
auto_scale_lr = dict(base_batch_size=64)
max_epochs = 20
warmup_epochs = 2
train_cfg = dict(max_epochs=max_epochs, val_interval=2)
param_scheduler = [
    dict(_base_.warmup, end=warmup_epochs),
    dict(
        _base_.cosine,
        T_max=max_epochs - warmup_epochs,
        begin=warmup_epochs,
        end=max_epochs)
]
default_hooks = dict(
    checkpoint=dict(interval=2, save_best='seg/mAP', rule='greater'))
