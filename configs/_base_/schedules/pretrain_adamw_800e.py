# VideoMAE pretraining schedule (reference notes section 1.4): AdamW with
# betas (0.9, 0.95) and weight decay 0.05 (none on norms, biases, position
# tables and the mask token), 40 linear warmup epochs then a per-iteration
# cosine, 800 epochs, no gradient clipping.
#
# Learning rate: lr = 1.5e-4 x batch / 256 where batch counts videos over
# all GPUs (not repeated clips). The defaults are for 64 GPUs x 32 videos =
# 2048, so lr = 1.2e-3. `auto_scale_lr.base_batch_size` is the batch the
# configured lr is meant for (mmengine's meaning), so
# `tools/train.py --auto-scale-lr` rescales it linearly to the batch of the
# actual run. Warmup starts at 1e-6 and the cosine ends at 1e-5 on the same
# 256-video scale (as ratios of the lr, so they scale with it).
_base_ = ['../default_runtime.py']

max_epochs = 800
warmup_epochs = 40
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
optim_wrapper = dict(
    type='FiniteLossOptimWrapper',
    optimizer=dict(
        type='AdamW',
        lr=1.5e-4 * 2048 / 256,
        betas=(0.9, 0.95),
        eps=1e-8,
        weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        custom_keys=dict(
            q_bias=dict(decay_mult=0.),
            v_bias=dict(decay_mult=0.),
            pos_embed=dict(decay_mult=0.),
            mask_token=dict(decay_mult=0.))))
warmup = dict(
    type='LinearLR',
    start_factor=1e-6 / 1.5e-4,
    by_epoch=True,
    begin=0,
    end=warmup_epochs,
    convert_to_iter_based=True)
cosine = dict(
    type='CosineAnnealingLR',
    eta_min_ratio=1e-5 / 1.5e-4,
    T_max=max_epochs - warmup_epochs,
    by_epoch=True,
    begin=warmup_epochs,
    end=max_epochs,
    convert_to_iter_based=True)
param_scheduler = [warmup, cosine]
auto_scale_lr = dict(enable=False, base_batch_size=2048)

# The VideoMAE-family step uses the same parameters every iteration (frozen
# maskers / teachers have requires_grad=False), so DDP can treat the graph
# as static: it skips the search for unused parameters, and activation
# checkpointing (`with_cp`) works with it. docs/distributed.md.
model_wrapper_cfg = dict(static_graph=True)

# The last epoch is always saved (save_last); keep a few for resuming.
default_hooks = dict(checkpoint=dict(interval=20, max_keep_ckpts=3))
