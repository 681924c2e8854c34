# Attentive probing of the encoder of videomae_vit-tiny-p8_1xb8-toy_pretrain.py
# on the toy videos: the frozen encoder returns its tokens and a learned
# query cross-attends over them (AttentiveProbeHead) before a linear layer.
# Data and test views are those of the linear probe; the pooler needs a
# longer schedule than a linear layer.
_base_ = ['./probe_linear_vit-tiny-p8_toy.py']

model = dict(
    backbone=dict(out_type='tokens'),
    cls_head=dict(
        _delete_=True,
        type='AttentiveProbeHead',
        num_classes=4,
        in_channels=96,
        num_heads=4,
        average_clips='prob'))

optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        custom_keys=dict(query=dict(decay_mult=0.))))

max_epochs = 50
train_cfg = dict(max_epochs=max_epochs, val_interval=10)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 5, eta_min=0.,
         by_epoch=True, begin=5, end=max_epochs, convert_to_iter_based=True)
]
default_hooks = dict(checkpoint=dict(interval=10))
