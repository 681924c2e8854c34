# VideoMAE fine-tuning schedule (reference notes section 1.5): AdamW with
# betas (0.9, 0.999) and weight decay 0.05 (none on norms, biases and
# position tables), layer-wise lr decay 0.75 (`num_layers` defaults to the
# encoder depth), 5 linear warmup epochs then a per-iteration cosine to
# min_lr 1e-6 (on the 256-video scale, as a ratio of the lr).
#
# Learning rate: lr = base_lr x batch / 256 with batch in videos over all
# GPUs (repeated clips not counted). The defaults are VideoMAE ViT-B on
# Kinetics-400: base_lr 5e-4, 64 GPUs x 6 videos = 384, 75 epochs.
# `auto_scale_lr.base_batch_size` is the batch the configured lr is for, so
# `tools/train.py --auto-scale-lr` rescales it to the actual batch.
_base_ = ['../default_runtime.py']

max_epochs = 75
warmup_epochs = 5
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='FiniteLossOptimWrapper',
    optimizer=dict(
        type='AdamW',
        lr=5e-4 * 384 / 256,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.05),
    constructor='LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(decay_rate=0.75))
warmup = dict(
    type='LinearLR',
    start_factor=1e-3,
    by_epoch=True,
    begin=0,
    end=warmup_epochs,
    convert_to_iter_based=True)
cosine = dict(
    type='CosineAnnealingLR',
    eta_min_ratio=1e-6 / 5e-4,
    T_max=max_epochs - warmup_epochs,
    by_epoch=True,
    begin=warmup_epochs,
    end=max_epochs,
    convert_to_iter_based=True)
param_scheduler = [warmup, cosine]
auto_scale_lr = dict(enable=False, base_batch_size=384)

default_hooks = dict(
    checkpoint=dict(interval=5, max_keep_ckpts=3, save_best='acc/top1'))
