# TGM-style text-guided masking on the toy videos and captions: the
# tokens most similar to the caption are hidden (75 % per temporal slice,
# the top scores), then the video-text demo's objective (MAE + masked
# video-text InfoNCE). TGM measures the similarity with CLIP on BLIP
# captions; here the similarity model is the frozen video-text toy model
# (TextSimilarityScorer: cosine of each projected output token to the
# projected caption), so train it first:
#   python tools/train.py \
#       configs/demo/video-text_vit-tiny-p8_1xb8-toy_pretrain.py
#   python tools/train.py configs/demo/tgm_vit-tiny-p8_1xb8-toy_pretrain.py
# Data: python data_preparation/toy/generate_toy_dataset.py \
#     --out-dir data/toy_mm --captions
# Fine-tuned by tgm_vit-tiny-p8_1xb8-toy_finetune.py (video encoder).
_base_ = ['./video-text_vit-tiny-p8_1xb8-toy_pretrain.py']

similarity_model = (
    'work_dirs/video-text_vit-tiny-p8_1xb8-toy_pretrain/epoch_20.pth')
model = dict(
    masker=dict(
        type='ScoreGuidedMasker',
        scorer=dict(
            type='TextSimilarityScorer',
            backbone={{_base_.model.backbone}},
            text_encoder={{_base_.model.text_encoder}},
            video_projector={{_base_.projector}},
            text_projector={{_base_.projector}},
            checkpoint=similarity_model),
        mask_ratio=0.75,
        keep='low',  # mask the tokens most similar to the caption
        sample='topk',
        per_slice=True))

# The masker replaces the pipeline's tube masks.
train_pipeline = [
    dict(
        type='MultiScaleCrop',
        input_size={{_base_.img_size}},
        scales=(1, .875, .75, .66),
        random_crop=False,
        max_wh_scale_gap=1),
    dict(
        type='Resize',
        scale=({{_base_.img_size}}, {{_base_.img_size}}),
        keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', algorithm_keys=('text', 'text_present'))
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
