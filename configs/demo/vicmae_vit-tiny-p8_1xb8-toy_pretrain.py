# ViC-MAE pretraining of a tiny ViT on the toy videos, on CPU in minutes:
# two 8-frame clips of each video at a random temporal distance, each
# cropped, colour-jittered and tube-masked on its own; both reconstructed
# (VideoMAE targets) and their projected mean visible tokens contrasted
# with NT-Xent over the 2 x 8 views of the batch (temperature 0.1);
# loss = 0.03 x NT-Xent + 0.97 x reconstruction, as ViC-MAE.
# ViC-MAE itself contrasts two single frames with an image ViT
# (configs/vic_mae); clips keep the encoder loadable by the VideoMAE demo
# fine-tuning.
# Fine-tuned by vicmae_vit-tiny-p8_1xb8-toy_finetune.py.
# The VideoMAE demo's model sizes, optimizer and schedule.
_base_ = ['./videomae_vit-tiny-p8_1xb8-toy_pretrain.py']

data_root = 'data/toy'
clip_len = 8
frame_interval = 2
img_size = 64
patch_size = 8
tubelet_size = 2
embed_dims = 96
model = dict(
    type='ViCMAE',
    head=dict(loss=dict(type='PixelReconstructionLoss', loss_weight=0.97)),
    # ViC-MAE's BN-MLP projector (4096-4096-128), scaled down
    projector=dict(
        type='Projector',
        in_dims=embed_dims,
        out_dims=64,
        hidden_dims=(256, 256),
        norm='bn'),
    contrastive=dict(type='NTXentLoss', temperature=0.1, loss_weight=0.03))

# No flip: the toy classes are motion directions.
view_pipeline = [
    dict(type='RandomResizedCrop', area_range=(0.4, 1.0)),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
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
    dict(type='FormatShape', input_format='NCTHW'),
    dict(
        type='TubeMaskGenerator',
        mask_ratio=0.75,
        patch_size=patch_size,
        tubelet_size=tubelet_size)
]
train_pipeline = [
    dict(type='PerViewTransforms', transforms=view_pipeline),
    dict(type='PackActionInputs', algorithm_keys=('visible_ids', 'masked_ids'))
]
train_dataloader = dict(
    collate_fn=dict(_delete_=True, type='pseudo_collate'),
    dataset=dict(
        sampler=dict(
            _delete_=True,
            type='SampleViewPair',
            clip_len=clip_len,
            frame_interval=frame_interval),
        num_repeats=1,
        pipeline=train_pipeline))
