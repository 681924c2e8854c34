# ActionFormer's optimisation (actionformer_release train.py and
# libs/utils/train_utils.py): AdamW (weight decay 0.05 on conv / linear
# weights only; none on biases, norms, the per-level regression scales and
# the branch scales), per-iteration linear warmup from 0 for 5 epochs, then
# cosine to 1e-8, gradient clipping at L2 norm 1.0, and evaluation of an
# exponential moving average of the weights (decay 0.999). The defaults
# are THUMOS14's: lr 1e-4 for a batch of 2, 30 + 5 warmup epochs (the
# reference counts epochs after the warmup).
_base_ = ['../default_runtime.py']

max_epochs = 35
warmup_epochs = 5
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs,
    val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='FiniteLossOptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999),
                   weight_decay=0.05),
    clip_grad=dict(max_norm=1.0, norm_type=2),
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        custom_keys={
            '.scale': dict(decay_mult=0.),
            '.gamma': dict(decay_mult=0.)
        }))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-8, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-8, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True)
]
custom_hooks = [
    dict(type='EMAHook', ema_type='ExponentialMovingAverage',
         momentum=0.001, priority='ABOVE_NORMAL')
]
default_hooks = dict(
    checkpoint=dict(interval=5, save_best='tad/mAP', rule='greater'),
    logger=dict(interval=50))
auto_scale_lr = dict(enable=False, base_batch_size=2)
