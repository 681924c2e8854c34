# VideoMAE ViT-B/16 pretraining on UCF101 alone (split 1 train, no extra
# data): 3200 epochs, tube masking 0.75, base lr 3e-4, 16 frames at stride
# 4, 8 GPUs x 24 videos (reference notes section 1.4; VideoMAE's UCF101
# script). Small datasets need these long schedules.
# Fine-tuned by:
#   configs/videomae/videomae_vit-base-p16_8xb16-100e_ucf101-finetune.py
_base_ = [
    '../_base_/models/videomae_vit-base-p16.py',
    '../_base_/datasets/ucf101_pretrain.py',
    '../_base_/schedules/pretrain_adamw_800e.py'
]

# 8 GPUs x 24 videos = 192: lr = 3e-4 x 192 / 256.
train_dataloader = dict(batch_size=24)
optim_wrapper = dict(optimizer=dict(lr=3e-4 * 192 / 256))
auto_scale_lr = dict(base_batch_size=192)

max_epochs = 3200
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(_base_.warmup, start_factor=1e-6 / 3e-4),
    dict(
        _base_.cosine,
        eta_min_ratio=1e-5 / 3e-4,
        T_max=max_epochs - 40,
        end=max_epochs)
]
default_hooks = dict(checkpoint=dict(interval=100))
