# VideoMAE ViT-L/16 pretraining on Kinetics-400: 800 epochs, tube masking
# 0.9, 16 frames at stride 4, decoder depth 12 (reference notes section
# 1.2, 1.4; VideoMAE's ViT-L scripts use 8 videos per GPU on 64 GPUs).
# Fine-tuned by:
#   configs/videomae/videomae_vit-large-p16_64xb2-35e_k400-finetune.py
# Detected by (after the K400 fine-tune):
#   configs/ava/ava_vit-large-p16_8xb8-20e_avakinetics-finetune-k400ft.py
_base_ = [
    '../_base_/models/videomae_vit-large-p16.py',
    '../_base_/datasets/k400_pretrain.py',
    '../_base_/schedules/pretrain_adamw_800e.py'
]

# 64 GPUs x 8 videos = 512: lr = 1.5e-4 x 512 / 256.
train_dataloader = dict(batch_size=8)
optim_wrapper = dict(optimizer=dict(lr=1.5e-4 * 512 / 256))
auto_scale_lr = dict(base_batch_size=512)
