# Score-guided masking on the toy videos: a model-side ScoreGuidedMasker
# scores each token by its pixel change between frames
# (FrameDifferenceScorer) and keeps the static tokens visible more often
# than the moving ones (keep='low', multinomial draw), so the decoder mostly
# reconstructs the moving shapes. Otherwise the VideoMAE toy pretraining.
# Fine-tuned by score-mask_vit-tiny-p8_1xb8-toy_finetune.py.
_base_ = ['./videomae_vit-tiny-p8_1xb8-toy_pretrain.py']

img_size = 64
model = dict(
    masker=dict(
        type='ScoreGuidedMasker',
        scorer=dict(type='FrameDifferenceScorer'),
        mask_ratio=0.75,
        keep='low',
        sample='multinomial',
        # Scores are mean absolute changes of the normalized clip: about 0
        # on the static background, 0.5-2 on a moving shape. At 0.5 a moving
        # token is about half as likely visible as a static one.
        temperature=0.5,
        per_slice=True))

# The masker makes the masks from the clip: no mask generator here.
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
    dict(type='PackActionInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
