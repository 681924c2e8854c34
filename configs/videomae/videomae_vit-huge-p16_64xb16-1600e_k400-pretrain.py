# VideoMAE ViT-H/16 pretraining on Kinetics-400: 1600 epochs, tube masking
# 0.9, 16 frames at stride 4, decoder depth 12, activation checkpointing
# (reference notes section 1.2, 1.4; VideoMAE's ViT-H scripts use 16 videos
# per GPU on 64 GPUs). At this size FSDP or ZeRO-2 pays off: see the -fsdp-
# and -zero2- children and docs/distributed.md.
# Fine-tuned by:
#   configs/videomae/videomae_vit-huge-p16_64xb2-50e_k400-finetune.py
_base_ = [
    '../_base_/models/videomae_vit-huge-p16.py',
    '../_base_/datasets/k400_pretrain.py',
    '../_base_/schedules/pretrain_adamw_800e.py'
]

# 64 GPUs x 16 videos = 1024: lr = 1.5e-4 x 1024 / 256.
train_dataloader = dict(batch_size=16)
optim_wrapper = dict(optimizer=dict(lr=1.5e-4 * 1024 / 256))
auto_scale_lr = dict(base_batch_size=1024)

max_epochs = 1600
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    _base_.warmup,
    dict(_base_.cosine, T_max=max_epochs - 40, end=max_epochs)
]
