# VideoMAE ViT-L/16 pretraining on Something-Something V2: 800 epochs, tube
# masking 0.9, 16 frames at stride 2, decoder depth 12 (reference notes
# section 1.2, 1.4; 8 videos per GPU on 64 GPUs as VideoMAE's ViT-L).
# Fine-tuned by:
#   configs/videomae/videomae_vit-large-p16_64xb2-30e_ssv2-finetune.py
_base_ = [
    '../_base_/models/videomae_vit-large-p16.py',
    '../_base_/datasets/ssv2_pretrain.py',
    '../_base_/schedules/pretrain_adamw_800e.py'
]

# 64 GPUs x 8 videos = 512: lr = 1.5e-4 x 512 / 256.
train_dataloader = dict(batch_size=8)
optim_wrapper = dict(optimizer=dict(lr=1.5e-4 * 512 / 256))
auto_scale_lr = dict(base_batch_size=512)
