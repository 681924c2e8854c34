# EVI-MAE pretraining on CMU-MMAC (reference notes multimodal-mae.md
# section 2.1): video ViT-S + 4-device IMU spectrogram encoder, one unified
# block, joint 8-block decoder, masks 0.9 video / 0.75 IMU, one-way InfoNCE
# (0.05, weight 0.01), device-graph GraphMAE (SCE weight 10).
# RECIPE NOT FROM EVI-MAE: the notes give no pretraining lr, batch or
# epochs for EVI-MAE. This config borrows CAV-MAE's recipe (batch 256,
# lr 2e-4, 25 epochs, halved every 5 epochs from epoch 10), the codebase
# EVI-MAE forks; treat it as a starting point, not the paper's setting
# (configs/evi_mae/README.md).
# Fine-tuned by (video encoder only):
#   configs/evi_mae/evi-mae_vit-small-p16_8xb32-200e_cmummac-finetune.py
_base_ = [
    '../_base_/models/evi-mae_vit-small-p16.py',
    '../_base_/datasets/cmummac_pretrain_evi-mae.py',
    '../_base_/schedules/pretrain_adamw_cav-mae_25e.py'
]

# 8 GPUs x 32 clips = 256, CAV-MAE's batch for lr 2e-4.
train_dataloader = dict(batch_size=32)
optim_wrapper = dict(
    optimizer=dict(lr=2e-4),
    paramwise_cfg=dict(
        custom_keys=dict(device_embed=dict(decay_mult=0.))))
auto_scale_lr = dict(base_batch_size=256)
