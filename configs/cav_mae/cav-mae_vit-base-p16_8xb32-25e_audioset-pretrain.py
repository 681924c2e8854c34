# CAV-MAE pretraining on AudioSet (reference notes multimodal-mae.md
# section 1.2): one frame + 10 s of audio per video, ViT-B encoders of 11
# blocks + 1 shared block, joint 8-block decoder, masks 0.75 / 0.75,
# reconstruction weights 1 / 1, one-way InfoNCE at temperature 0.05 with
# weight 0.01; batch 256, lr 2e-4, 25 epochs, halved every 5 epochs from
# epoch 10. 8 GPUs x 32 videos is mmvmae's split of the 256 (the notes give
# the total only). What differs from CAV-MAE: configs/cav_mae/README.md.
# Fine-tuned by (audio-visual)
#   cav-mae_vit-base-p16_4xb9-15e_audioset20k-finetune-audiosetpt.py,
#   cav-mae_vit-base-p16_4xb12-10e_audioset2m-finetune-audiosetpt.py,
#   cav-mae_vit-base-p16_4xb12-10e_vggsound-finetune-audiosetpt.py
# and (video encoder only)
#   cav-mae_vit-base-p16_8xb32-10e_vggsound-finetune-audiosetpt.py
_base_ = [
    '../_base_/models/cav-mae_vit-base-p16.py',
    '../_base_/datasets/audioset_pretrain_cav-mae.py',
    '../_base_/schedules/pretrain_adamw_cav-mae_25e.py'
]

# 8 GPUs x 32 videos = 256, the batch lr 2e-4 is given for.
train_dataloader = dict(batch_size=32)
optim_wrapper = dict(optimizer=dict(lr=2e-4))
auto_scale_lr = dict(base_batch_size=256)
