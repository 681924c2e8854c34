# VideoMAE V2 ViT-g/14 pretraining on Kinetics-400 with dual masking (tube
# 0.9, running cell 0.5): V2's `vit_g_hybrid_pt_1200e` recipe (reference
# notes section 2.2): 64 GPUs x 32 videos, 4 clips per video visit, 300
# epochs (= 1200 effective), base lr 6e-4, 30 warmup epochs, gradient
# clipping 0.02, activation checkpointing. V2 pretrains on UnlabeledHybrid,
# which data_preparation does not build: Kinetics-400 here.
# Fine-tuned by:
#   configs/videomaev2/videomaev2_vit-giant-p14_32xb3-35e_k400-finetune.py
# Detected by (features of the K400 fine-tuned encoder):
#   configs/actionformer/actionformer_videomaev2-vit-giant-p14_1xb2-35e_thumos14-detect.py
_base_ = [
    '../_base_/models/videomaev2_vit-giant-p14.py',
    '../_base_/datasets/k400_pretrain_videomaev2.py',
    '../_base_/schedules/pretrain_adamw_800e.py'
]

# Patch 14: 224 / 14 = 16 x 16 positions per slice, 26 of 256 visible.
train_pipeline = _base_.train_augment + [
    dict(
        type='TubeMaskGenerator',
        mask_ratio=0.9,
        patch_size=14,
        tubelet_size=2),
    dict(type='RunningCellDecoderMask', ratio=0.5),
    dict(
        type='PackActionInputs',
        algorithm_keys=('visible_ids', 'masked_ids', 'decoder_ids'))
]
# 64 GPUs x 32 videos = 2048 (x 4 clips): lr = 6e-4 x 2048 / 256.
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(
    optimizer=dict(lr=6e-4 * 2048 / 256), clip_grad=dict(max_norm=0.02))
auto_scale_lr = dict(base_batch_size=2048)

max_epochs = 300
warmup_epochs = 30
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(_base_.warmup, start_factor=1e-6 / 6e-4, end=warmup_epochs),
    dict(
        _base_.cosine,
        eta_min_ratio=1e-5 / 6e-4,
        T_max=max_epochs - warmup_epochs,
        begin=warmup_epochs,
        end=max_epochs)
]
