# MGMAE ViT-B/16 pretraining on Kinetics-400 (reference notes section 3;
# MGMAE's scripts/mgmae/vit_b_k400_mgmae.sh): motion-guided masking at 0.9
# from RAFT-small flow (6 updates, base frame in the middle, holes refilled
# from the initial map), 16 GPUs x 24 videos x 4 clips per video visit,
# base lr 1e-3, 20 warmup epochs, 200 epochs (= 800 effective), decoder
# depth 4, VideoMAE V2's loss path with no decoder mask (the decoder
# predicts every masked token). 16 frames at stride 4.
# Needs torchvision's raft_small weights at `flow_checkpoint` (see
# docs/methods/mgmae.md).
# Fine-tuned by:
#   configs/mgmae/mgmae_vit-base-p16_32xb16-90e_k400-finetune.py
_base_ = [
    '../_base_/models/videomae_vit-base-p16.py',
    '../_base_/datasets/k400_pretrain.py',
    '../_base_/schedules/pretrain_adamw_800e.py'
]

flow_checkpoint = 'checkpoints/raft_small_c_t_v2.pth'
model = dict(
    masker=dict(
        type='FlowGuidedMasker',
        mask_ratio=0.9,
        input_size=224,
        patch_size=16,
        flow_checkpoint=flow_checkpoint,
        num_flow_updates=6,
        base_frame='middle',
        # 96 frame pairs per RAFT call: the reference's 24 x 4 clips, one
        # frame step at a time (15 calls per batch of 16-frame clips).
        flow_batch_size=96))

# The masker makes the masks from the clip: no mask generator.
train_pipeline = [*_base_.train_augment, dict(type='PackActionInputs')]
train_dataloader = dict(
    batch_size=24,
    collate_fn=dict(type='repeat_pseudo_collate'),
    dataset=dict(num_repeats=4, pipeline=train_pipeline))

# 16 GPUs x 24 videos = 384 (x 4 clips): lr = 1e-3 x 384 / 256.
optim_wrapper = dict(optimizer=dict(lr=1e-3 * 384 / 256))
auto_scale_lr = dict(base_batch_size=384)

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
