# AV-MAE pretraining on AudioSet, default design (reference notes
# multimodal-mae.md section 1.4): ViT-L, mid fusion (last 2 of 24 blocks
# joint), masks 0.9 video / 0.7 spectrogram, joint reconstruction weighted
# 0.5 / 0.5 without per-patch standardization; AdamW (0.9, 0.95), weight
# decay 0.05, batch 512, lr = 3e-4 x 512 / 256, 4 warmup epochs, 120
# epochs. Not in the notes, mmvmae's choices: the split of the 512 over 64
# GPUs x 8 and the decay after the warmup (VideoMAE's cosine and its
# warmup start / final lr ratios). What differs from AV-MAE:
# configs/av_mae/README.md.
# Fine-tuned by (audio-visual)
#   av-mae_vit-large-p16_64xb2-50e_audioset500k-finetune-audiosetpt.py,
#   av-mae_vit-large-p16_32xb2-50e_vggsound-finetune-audiosetpt.py
# and (video encoder only)
#   av-mae_vit-large-p16_64xb2-35e_vggsound-finetune-audiosetpt.py
_base_ = [
    '../_base_/models/av-mae_vit-large-p16.py',
    '../_base_/datasets/audioset_pretrain_av-mae.py',
    '../_base_/schedules/pretrain_adamw_800e.py'
]

# 64 GPUs x 8 videos = 512: lr = 3e-4 x 512 / 256.
train_dataloader = dict(batch_size=8)
optim_wrapper = dict(optimizer=dict(lr=3e-4 * 512 / 256))
auto_scale_lr = dict(base_batch_size=512)

max_epochs = 120
warmup_epochs = 4
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(_base_.warmup, end=warmup_epochs),
    dict(
        _base_.cosine,
        T_max=max_epochs - warmup_epochs,
        begin=warmup_epochs,
        end=max_epochs)
]
default_hooks = dict(checkpoint=dict(interval=10))
