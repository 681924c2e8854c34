# Kinetics-400 for VideoMAE V2 pretraining: the VideoMAE clips and
# augmentation, dual masking (tube 0.9 for the encoder, running cell 0.5 for
# the decoder) and 4 clips decoded from each video visit (V2 `num_sample`,
# reference notes section 2.1, 2.2). Patch 16; the ViT-g config replaces the
# tube mask for patch 14.
_base_ = ['./k400_pretrain.py']

train_pipeline = _base_.train_augment + [
    dict(
        type='TubeMaskGenerator',
        mask_ratio=0.9,
        patch_size=16,
        tubelet_size=2),
    dict(type='RunningCellDecoderMask', ratio=0.5),
    dict(
        type='PackActionInputs',
        algorithm_keys=('visible_ids', 'masked_ids', 'decoder_ids'))
]
train_dataloader = dict(
    collate_fn=dict(type='repeat_pseudo_collate'),
    dataset=dict(num_repeats=4, pipeline=train_pipeline))
