# Weighted kNN (DINO) evaluation of the encoder of
# videomae_vit-tiny-p8_1xb8-toy_pretrain.py on the toy videos: the
# train-list features are the memory, each val video is classified by its
# k nearest neighbours. Test only, no training:
#   python tools/test.py configs/demo/knn_vit-tiny-p8_toy.py CHECKPOINT
# CHECKPOINT may be the pretraining checkpoint itself (its `backbone.` keys
# match; the decoder's keys are ignored). `tools/test.py` does not run the
# `init_cfg` below, it loads CHECKPOINT.
_base_ = ['../_base_/default_runtime.py']

data_root = 'data/toy'
pretrained = 'work_dirs/videomae_vit-tiny-p8_1xb8-toy_pretrain/epoch_20.pth'
num_classes = 4
clip_len = 8
frame_interval = 2
img_size = 64
model = dict(
    type='Recognizer3D',
    backbone=dict(
        type='VideoViT',
        arch=dict(embed_dims=96, depth=4, num_heads=4),
        img_size=img_size,
        patch_size=8,
        num_frames=clip_len,
        tubelet_size=2,
        # The pretrained `norm` (`fc_norm` would be new and random).
        use_mean_pooling=False,
        out_type='avg',
        frozen=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW'))

test_pipeline = [
    dict(type='Resize', scale=(-1, img_size)),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
# One centre clip per video, for the memory and the queries alike; with
# num_clips > 1 the features of a video's clips are averaged.
clip_sampler = dict(
    type='SampleFrames',
    clip_len=clip_len,
    frame_interval=frame_interval,
    num_clips=1,
    test_mode=True)
test_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='VideoClipDataset',
        ann_file=data_root + '/val_list.txt',
        data_prefix=dict(video=data_root + '/videos'),
        sampler=clip_sampler,
        pipeline=test_pipeline,
        test_mode=True))
test_cfg = dict(
    type='KNNTestLoop',
    memory_dataloader=dict(
        batch_size=8,
        num_workers=2,
        persistent_workers=True,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(
            type='VideoClipDataset',
            ann_file=data_root + '/train_list.txt',
            data_prefix=dict(video=data_root + '/videos'),
            sampler=clip_sampler,
            pipeline=test_pipeline,
            test_mode=True)),
    num_classes=num_classes,
    k=20,
    temperature=0.07,
    log_interval=10)
# Metrics knn/top1, knn/top5 (1.0 with 4 classes) and knn/mean1.
test_evaluator = dict(type='AccMetric', prefix='knn')
