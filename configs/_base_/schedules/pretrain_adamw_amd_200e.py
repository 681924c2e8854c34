# AMD pretraining schedule (reference notes section 4; AMD's
# scripts/pretrain): VideoMAE's AdamW (betas 0.9 / 0.95, weight decay 0.05,
# none on norms, biases, position tables and mask tokens), base lr 1.2e-3
# per 256 videos, 10 linear warmup epochs from 1e-6 then a per-iteration
# cosine to 1e-5 (both on the same 256-video scale), gradient clipping at
# norm 0.02, 200 epochs of 4 clips per video visit (= 800 effective epochs).
#
# The defaults are for 32 GPUs x 16 videos = 512, so lr = 2.4e-3;
# `auto_scale_lr.base_batch_size` is that batch (`--auto-scale-lr`
# rescales to the actual one).
_base_ = ['./pretrain_adamw_800e.py']

max_epochs = 200
warmup_epochs = 10
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(
    optimizer=dict(lr=1.2e-3 * 512 / 256), clip_grad=dict(max_norm=0.02))
param_scheduler = [
    dict(_base_.warmup, start_factor=1e-6 / 1.2e-3, end=warmup_epochs),
    dict(
        _base_.cosine,
        eta_min_ratio=1e-5 / 1.2e-3,
        T_max=max_epochs - warmup_epochs,
        begin=warmup_epochs,
        end=max_epochs)
]
auto_scale_lr = dict(base_batch_size=512)
default_hooks = dict(checkpoint=dict(interval=10))
