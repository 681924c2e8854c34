# MGMAE (motion-guided masking) pretraining of the tiny demo ViT on the toy
# videos: the VideoMAE demo with FlowGuidedMasker in place of tube masking.
# Fine-tuned by mgmae_vit-tiny-p8_1xb8-toy_finetune.py.
#
# The demo runs RAFT-small with random weights (allow_random_flow=True): its
# flow is noise, so the masks only exercise the machinery. Real runs need
# torchvision's raft_small C_T_V2 weights saved to a local file (see
# docs/methods/mgmae.md) and `flow_checkpoint` pointing at it.
_base_ = ['./videomae_vit-tiny-p8_1xb8-toy_pretrain.py']

img_size = 64
patch_size = 8
model = dict(
    masker=dict(
        type='FlowGuidedMasker',
        mask_ratio=0.75,
        input_size=img_size,
        patch_size=patch_size,
        flow_checkpoint=None,
        allow_random_flow=True,
        num_flow_updates=6,
        # RAFT needs >= 128 px: frames are upsampled for the flow only.
        flow_size=128,
        base_frame='middle'))

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
