# VideoMAE ViT-B/16 pretraining on Something-Something V2: 800 epochs, tube
# masking 0.9, 16 frames at stride 2 (reference notes section 1.4).
# Fine-tuned by:
#   configs/videomae/videomae_vit-base-p16_64xb8-30e_ssv2-finetune.py
_base_ = [
    '../_base_/models/videomae_vit-base-p16.py',
    '../_base_/datasets/ssv2_pretrain.py',
    '../_base_/schedules/pretrain_adamw_800e.py'
]

# 64 GPUs x 32 videos = 2048: lr = 1.5e-4 x 2048 / 256.
train_dataloader = dict(batch_size=32)
optim_wrapper = dict(optimizer=dict(lr=1.5e-4 * 2048 / 256))
auto_scale_lr = dict(base_batch_size=2048)
