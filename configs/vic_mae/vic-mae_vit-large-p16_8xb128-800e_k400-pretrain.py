# ViC-MAE pretraining on Kinetics-400 frames (reference notes
# multimodal-mae.md section 3.4; reference code jeffhernandez1995/ViC-MAE,
# models_vicmae.py, pretrain.py, scripts/pretrain_in1k_k400.sh): two frames
# of a video, each augmented and masked on its own (random 50 %), an image
# ViT-L/16 (a 1-frame VideoViT with tubelet 1, 196 tokens) encodes the
# visible patches of each, an 8-block 512-wide decoder (16 heads)
# reconstructs each frame's masked patches (MAE's per-patch standardized
# target), and the mean visible token of each frame goes through a
# BatchNorm MLP projector (4096-4096-128) into NT-Xent over the 2N frames
# of the global batch (temperature 0.1, gathered across GPUs);
# loss = 0.03 x NT-Xent + 0.97 x reconstruction (mean over the two frames).
# Reference recipe: AdamW (0.9, 0.95), weight decay 0.05, base lr 1.5e-4 x
# 4096 / 256 (8 GPUs x 128 frame pairs x 4 accumulated steps), 40 warmup
# epochs then cosine, 800 epochs; per frame: random resized crop 224, flip,
# colour jitter (p 0.8; 0.4 / 0.4 / 0.2 / 0.1), grayscale (p 0.2), then
# Gaussian blur on the first frame and solarization (p 0.2) on the second.
# Not in the reference, mmvmae's choices: any two frames of the video
# (the reference's frame pairing is not released: "Data Preparation: Coming
# soon"), Kinetics-400 alone (the script pretrains on ImageNet-1K +
# Kinetics-400) and VideoMAE's warmup start / cosine end ratios. What
# differs from ViC-MAE: configs/vic_mae/README.md.
# Fine-tuned by vic-mae_vit-large-p16_64xb2-35e_k400-finetune.py.
_base_ = ['../_base_/schedules/pretrain_adamw_800e.py']

embed_dims = 1024
model = dict(
    type='ViCMAE',
    backbone=dict(
        type='VideoViT',
        arch='large',
        img_size=224,
        patch_size=16,
        num_frames=1,
        tubelet_size=1,
        use_mean_pooling=False),
    neck=dict(
        type='MAEDecoder',
        in_dims=embed_dims,
        embed_dims=512,
        depth=8,
        num_heads=16,
        out_dims=16 * 16 * 3),
    head=dict(
        # MAE's norm_pix_loss: each patch standardized over all its values
        type='PixelReconstructionHead',
        patch_size=16,
        tubelet_size=1,
        target='mae_st',
        loss=dict(type='PixelReconstructionLoss', loss_weight=0.97)),
    projector=dict(
        type='Projector',
        in_dims=embed_dims,
        out_dims=128,
        hidden_dims=(4096, 4096),
        norm='bn'),
    contrastive=dict(type='NTXentLoss', temperature=0.1, loss_weight=0.03))

data_root = 'data/kinetics400/videos_train_320p'
ann_file_train = 'data/kinetics400/kinetics400_train_list_videos.txt'
augment = [
    dict(type='RandomResizedCrop'),  # area 0.08-1, aspect 3/4-4/3
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='TorchVisionWrapper',
                op='ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.2,
                hue=0.1)
        ],
        prob=0.8),
    dict(type='TorchVisionWrapper', op='RandomGrayscale', p=0.2),
]
blur = dict(
    type='TorchVisionWrapper',
    op='GaussianBlur',
    kernel_size=(5, 9),
    sigma=(0.1, 2.))
solarize = dict(
    type='TorchVisionWrapper', op='RandomSolarize', threshold=128, p=0.2)
mask = [
    dict(type='FormatShape', input_format='NCTHW'),
    dict(
        type='RandomMaskGenerator',
        mask_ratio=0.5,
        patch_size=16,
        tubelet_size=1)
]
train_pipeline = [
    dict(
        type='PerViewTransforms',
        view_transforms=[augment + [blur] + mask,
                         augment + [solarize] + mask]),
    dict(
        type='PackActionInputs',
        algorithm_keys=('visible_ids', 'masked_ids'))
]
train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='VideoClipDataset',
        ann_file=ann_file_train,
        data_prefix=dict(video=data_root),
        sampler=dict(type='SampleViewPair', clip_len=1),
        pipeline=train_pipeline))

# 8 GPUs x 128 pairs x 4 accumulated steps = 4096: lr = 1.5e-4 x 4096 / 256.
# --auto-scale-lr scales by the per-step batch (8 x 128) the lr is set for.
optim_wrapper = dict(
    optimizer=dict(lr=1.5e-4 * 4096 / 256), accumulative_counts=4)
auto_scale_lr = dict(base_batch_size=1024)
