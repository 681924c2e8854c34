# VideoMAE pretraining of a tiny ViT on the toy videos, on CPU in minutes.
# Fine-tuned by videomae_vit-tiny-p8_1xb8-toy_finetune.py.
# Detected by ava_vit-tiny-p8_1xb8-toy_finetune.py, and (Ego-Only) by
# ego-only_vit-tiny-p8_1xb8-toy_finetune.py ->
# actionformer_vit-tiny-p8-features_1xb4-toy_detect.py.
_base_ = ['../_base_/default_runtime.py']

# Toy data of data_preparation/toy: 64x64 videos of moving shapes.
data_root = 'data/toy'
clip_len = 8
frame_interval = 2
img_size = 64
patch_size = 8
tubelet_size = 2
embed_dims = 96
model = dict(
    type='VideoMAE',
    backbone=dict(
        type='VideoViT',
        arch=dict(embed_dims=embed_dims, depth=4, num_heads=4),
        img_size=img_size,
        patch_size=patch_size,
        num_frames=clip_len,
        tubelet_size=tubelet_size,
        use_mean_pooling=False),
    neck=dict(
        type='MAEDecoder',
        in_dims=embed_dims,
        embed_dims=64,
        depth=2,
        num_heads=4,
        out_dims=tubelet_size * patch_size**2 * 3),
    head=dict(
        type='PixelReconstructionHead',
        patch_size=patch_size,
        tubelet_size=tubelet_size,
        target='videomae'))

train_pipeline = [
    dict(
        type='MultiScaleCrop',
        input_size=img_size,
        scales=(1, .875, .75, .66),
        random_crop=False,
        max_wh_scale_gap=1),
    dict(
        type='Resize',
        scale=(img_size, img_size),
        keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(
        type='TubeMaskGenerator',
        mask_ratio=0.75,
        patch_size=patch_size,
        tubelet_size=tubelet_size),
    dict(type='PackActionInputs', algorithm_keys=('visible_ids', 'masked_ids'))
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='repeat_pseudo_collate'),
    dataset=dict(
        type='VideoClipDataset',
        ann_file=data_root + '/pretrain_list.txt',
        data_prefix=dict(video=data_root + '/videos'),
        sampler=dict(
            type='SampleFrames',
            clip_len=clip_len,
            frame_interval=frame_interval,
            num_clips=1),
        num_repeats=2,
        pipeline=train_pipeline))

max_epochs = 20
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
optim_wrapper = dict(
    type='FiniteLossOptimWrapper',
    # VideoMAE's base lr. 1e-3 collapsed the toy encoder (near-constant
    # tokens; fine-tuning from it stayed at chance), 1.5e-4 does not.
    optimizer=dict(
        type='AdamW', lr=1.5e-4, betas=(0.9, 0.95), weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        custom_keys=dict(
            mask_token=dict(decay_mult=0.),
            q_bias=dict(decay_mult=0.),
            v_bias=dict(decay_mult=0.))))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 2, eta_min=1e-6,
         by_epoch=True, begin=2, end=max_epochs, convert_to_iter_based=True)
]
default_hooks = dict(
    checkpoint=dict(interval=5),
    logger=dict(interval=10))
custom_hooks = [
    dict(type='ReconstructionVisualizationHook', interval=5,
         dataset_index=0)
]
