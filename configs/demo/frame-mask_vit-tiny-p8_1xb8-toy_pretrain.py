# Frame masking (VideoMAE's masking ablation, MARLIN's 'frame' strategy) on
# the toy videos: the encoder sees 1 of the 4 temporal slices of a clip
# (mask_ratio 0.75), the decoder predicts the other 3. Otherwise the
# VideoMAE toy pretraining.
# Fine-tuned by frame-mask_vit-tiny-p8_1xb8-toy_finetune.py.
_base_ = ['./videomae_vit-tiny-p8_1xb8-toy_pretrain.py']

img_size = 64
train_pipeline = [
    dict(
        type='MultiScaleCrop',
        input_size=img_size,
        scales=(1, .875, .75, .66),
        random_crop=False,
        max_wh_scale_gap=1),
    dict(
        type='Resize',
        scale=(img_size, img_size),
        keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(
        type='FrameMaskGenerator',
        mask_ratio=0.75,
        patch_size=8,
        tubelet_size=2),
    dict(type='PackActionInputs', algorithm_keys=('visible_ids', 'masked_ids'))
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
