# Kinetics-400 for AMD pretraining: the VideoMAE clips and augmentation,
# asymmetric tube masking (student 0.9, teacher 0.75 from one tube order:
# 20 student-visible, 49 teacher-visible and 29 diff tokens per slice) and
# 4 clips decoded from each video visit (AMD `num_sample 4`, reference notes
# section 4).
_base_ = ['./k400_pretrain.py']

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
