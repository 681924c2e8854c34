# CAV-MAE pretraining schedule (reference notes multimodal-mae.md section
# 1.2, run_cavmae_pretrain_scale++.sh): batch 256, lr 2e-4, 25 epochs, lr
# halved every 5 epochs from epoch 10 (epochs 10, 15, 20), no warmup given.
# The optimizer is not in the notes: AdamW (0.9, 0.95), weight decay 0.05
# (none on norms, biases, position tables, mask and modality tokens) is the
# VideoMAE pretraining optimizer this inherits, not CAV-MAE's.
_base_ = ['./pretrain_adamw_800e.py']

max_epochs = 25
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(
    optimizer=dict(lr=2e-4),
    paramwise_cfg=dict(
        custom_keys=dict(modality_embed=dict(decay_mult=0.))))
param_scheduler = [
    dict(
        type='MultiStepLR',
        milestones=[10, 15, 20],
        gamma=0.5,
        by_epoch=True,
        begin=0,
        end=max_epochs)
]
auto_scale_lr = dict(base_batch_size=256)
default_hooks = dict(checkpoint=dict(interval=5))
