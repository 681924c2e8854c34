# Something-Something V2 for AMD pretraining: as k400_pretrain_amd.py
# (asymmetric tube masking 0.9 / 0.75, 4 clips per video visit) on the SSv2
# clips of ssv2_pretrain.py (16 frames at stride 2).
_base_ = ['./ssv2_pretrain.py']

train_pipeline = _base_.train_augment + [
    dict(
        type='AsymmetricTubeMaskGenerator',
        mask_ratio=0.9,
        teacher_mask_ratio=0.75,
        patch_size=16,
        tubelet_size=2),
    dict(
        type='PackActionInputs',
        algorithm_keys=('visible_ids', 'masked_ids', 'diff_ids'))
]
train_dataloader = dict(
    collate_fn=dict(type='repeat_pseudo_collate'),
    dataset=dict(num_repeats=4, pipeline=train_pipeline))
