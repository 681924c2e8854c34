# AMD on the toy videos: a 2-block student distilled from the 4-block
# VideoMAE demo encoder as a frozen teacher (both 96 wide; the paper's
# students have half the depth of their ViT-L teacher too), on CPU in
# minutes (docs/methods/amd.md). Run videomae_vit-tiny-p8_1xb8-toy_pretrain.py
# first: its last checkpoint is the teacher. The student sees 7 of the 64
# positions of each slice (mask 0.9), the teacher 16 (mask 0.75); student
# blocks 1 / 2 are aligned with teacher blocks 2 / 4.
# Fine-tuned by amd_vit-tiny-p8_1xb8-toy_finetune.py.
_base_ = ['./videomae_vit-tiny-p8_1xb8-toy_pretrain.py']

model = dict(
    type='AMD',
    backbone=dict(arch=dict(depth=2)),
    # The encoder of the VideoMAE demo (same arch and input).
    teacher=dict(
        type='VideoViT',
        arch=dict(embed_dims=_base_.embed_dims, depth=4, num_heads=4),
        img_size=_base_.img_size,
        patch_size=_base_.patch_size,
        num_frames=_base_.clip_len,
        tubelet_size=_base_.tubelet_size,
        use_mean_pooling=False),
    teacher_checkpoint=(
        'work_dirs/videomae_vit-tiny-p8_1xb8-toy_pretrain/epoch_20.pth'),
    layer_pairs=((1, 2), (2, 4)),
    generator=dict(type='FeatureGenerator', depth=2),
    direct_loss=dict(type='FeatureAlignmentLoss', criterion='l2'),
    generation_loss=dict(type='FeatureAlignmentLoss', criterion='l2'))

# The VideoMAE demo's augmentation, then the asymmetric tube masks.
train_dataloader = dict(
    dataset=dict(pipeline=[
        *_base_.train_pipeline[:-2],
        dict(
            type='AsymmetricTubeMaskGenerator',
            mask_ratio=0.9,
            teacher_mask_ratio=0.75,
            patch_size=_base_.patch_size,
            tubelet_size=_base_.tubelet_size),
        dict(
            type='PackActionInputs',
            algorithm_keys=('visible_ids', 'masked_ids', 'diff_ids'))
    ]))
# AMD's gradient clipping.
optim_wrapper = dict(clip_grad=dict(max_norm=0.02))
