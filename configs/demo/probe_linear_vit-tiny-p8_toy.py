# Linear probing of the encoder of videomae_vit-tiny-p8_1xb8-toy_pretrain.py
# on the toy videos: the encoder is frozen (eval mode, no gradients) and
# only a BatchNorm (no affine) + linear head is trained. Data lists, model
# sizes and the validation pipeline come from the toy fine-tune config.
_base_ = ['./videomae_vit-tiny-p8_1xb8-toy_finetune.py']

model = dict(
    backbone=dict(
        drop_path_rate=0.,
        # Keep the pretrained `norm`: `fc_norm` would be new, random and
        # frozen.
        use_mean_pooling=False,
        out_type='avg',
        frozen=True),
    cls_head=dict(
        _delete_=True,
        type='LinearProbeHead',
        num_classes=_base_.num_classes,
        in_channels=_base_.embed_dims,
        with_bn=True,
        average_clips='prob'))

# No flips: the toy classes are motion directions (a flip swaps left and
# right).
train_pipeline = [
    dict(
        type='MultiScaleCrop',
        input_size=_base_.img_size,
        scales=(1, .875, .75, .66),
        random_crop=False,
        max_wh_scale_gap=1),
    dict(
        type='Resize',
        scale=(_base_.img_size, _base_.img_size),
        keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
train_dataloader = dict(
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(num_repeats=1, pipeline=train_pipeline))
val_dataloader = dict(batch_size=8)
# Test on 2 centre clips per video; the head averages their softmax scores.
test_dataloader = dict(
    batch_size=8,
    dataset=dict(
        sampler=dict(num_clips=2), pipeline=_base_.val_pipeline))

max_epochs = 20
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
# MAE probes with LARS at batch 16384; plain SGD suits the batch of 8 here
# (the BatchNorm standardizes the features, so one lr fits most encoders).
optim_wrapper = dict(
    _delete_=True,
    type='FiniteLossOptimWrapper',
    optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=0.))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 2, eta_min=0.,
         by_epoch=True, begin=2, end=max_epochs, convert_to_iter_based=True)
]
auto_scale_lr = dict(enable=False, base_batch_size=8)
default_hooks = dict(checkpoint=dict(save_best='auto'))
