# VideoMAE ViT-B/16 pretraining on Kinetics-400: 800 epochs, tube masking
# 0.9, 16 frames at stride 4 (reference notes section 1.4).
# Fine-tuned by:
#   configs/videomae/videomae_vit-base-p16_64xb6-75e_k400-finetune.py
#   configs/videomae/videomae_vit-base-p16_8xb16-100e_ucf101-finetune-k400pt.py
#   configs/videomae/videomae_vit-base-p16_8xb16-100e_hmdb51-finetune-k400pt.py
# Detected by (after the K400 fine-tune):
#   configs/ava/ava_vit-base-p16_8xb8-20e_avakinetics-finetune-k400ft.py
_base_ = [
    '../_base_/models/videomae_vit-base-p16.py',
    '../_base_/datasets/k400_pretrain.py',
    '../_base_/schedules/pretrain_adamw_800e.py'
]

# 64 GPUs x 32 videos = 2048: lr = 1.5e-4 x 2048 / 256.
train_dataloader = dict(batch_size=32)
optim_wrapper = dict(optimizer=dict(lr=1.5e-4 * 2048 / 256))
auto_scale_lr = dict(base_batch_size=2048)
