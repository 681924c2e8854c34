# Kinetics-400 for MAE-ST pretraining (reference notes section 5): 16 frames
# at stride 4, random-resized crop (area 0.5-1) and horizontal flip, random
# space-time masking at 0.9, and 4 clips decoded from each video visit
# (mae_st `repeat_aug 4`).
_base_ = ['./k400_pretrain.py']

train_augment = [
    dict(type='RandomResizedCrop', area_range=(0.5, 1.0)),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'),
]
train_pipeline = train_augment + [
    dict(
        type='RandomMaskGenerator',
        mask_ratio=0.9,
        patch_size=16,
        tubelet_size=2),
    dict(
        type='PackActionInputs',
        algorithm_keys=('visible_ids', 'masked_ids'))
]
train_dataloader = dict(
    batch_size=2,
    collate_fn=dict(type='repeat_pseudo_collate'),
    dataset=dict(num_repeats=4, pipeline=train_pipeline))
