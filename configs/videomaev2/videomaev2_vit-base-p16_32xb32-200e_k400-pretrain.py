# VideoMAE V2 ViT-B/16 pretraining on Kinetics-400 with dual masking (tube
# 0.9 for the encoder, running cell 0.5 for the decoder): 200 epochs of 4
# clips per video visit (= 800 effective epochs), base lr 1e-3, 20 warmup
# epochs, 32 GPUs (reference notes section 2.2). V2 pretrains on
# UnlabeledHybrid, which data_preparation does not build: Kinetics-400 here.
# 32 videos per GPU as V2's ViT-L and ViT-g scripts (the notes give no ViT-B
# batch). Warmup / min lr as VideoMAE (1e-6 / 1e-5 per 256 videos).
# Fine-tuned by:
#   configs/videomaev2/videomaev2_vit-base-p16_64xb6-75e_k400-finetune.py
_base_ = [
    '../_base_/models/videomae_vit-base-p16.py',
    '../_base_/datasets/k400_pretrain_videomaev2.py',
    '../_base_/schedules/pretrain_adamw_800e.py'
]

# 32 GPUs x 32 videos = 1024 (x 4 clips): lr = 1e-3 x 1024 / 256.
train_dataloader = dict(batch_size=32)
optim_wrapper = dict(optimizer=dict(lr=1e-3 * 1024 / 256))
auto_scale_lr = dict(base_batch_size=1024)

max_epochs = 200
warmup_epochs = 20
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(_base_.warmup, start_factor=1e-6 / 1e-3, end=warmup_epochs),
    dict(
        _base_.cosine,
        eta_min_ratio=1e-5 / 1e-3,
        T_max=max_epochs - warmup_epochs,
        begin=warmup_epochs,
        end=max_epochs)
]
