# AVA 2.2 spatio-temporal action detection with a VideoMAE ViT-L/16, the
# recipe of mmaction2's configs/detection/videomae/
# vit-large-p16_videomae-k400-pre_8xb8-16x4x1-20e-adamw_ava-kinetics-rgb.py
# (reported 38.7 frame mAP@0.5 on AVA 2.2 val): the ViT-B recipe with lr
# 2.5e-4 and layer decay 0.8 over 24 blocks.
# Starts from the Kinetics-400 fine-tuned encoder of
# configs/videomae/videomae_vit-large-p16_64xb2-35e_k400-finetune.py.
_base_ = ['ava_vit-base-p16_8xb8-20e_avakinetics-finetune-k400ft.py']

pretrained = ('work_dirs/videomae_vit-large-p16_64xb2-35e_k400-finetune/'
              'epoch_35.pth')
model = dict(
    backbone=dict(
        arch='large',
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    roi_head=dict(bbox_head=dict(in_channels=1024)))

optim_wrapper = dict(
    optimizer=dict(lr=2.5e-4),
    paramwise_cfg=dict(decay_rate=0.8, num_layers=24))
