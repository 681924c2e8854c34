# Fine-tune the frame-masking toy pretraining
# (frame-mask_vit-tiny-p8_1xb8-toy_pretrain.py) with the VideoMAE toy
# fine-tuning recipe.
_base_ = ['./videomae_vit-tiny-p8_1xb8-toy_finetune.py']

model = dict(
    backbone=dict(
        init_cfg=dict(
            checkpoint='work_dirs/frame-mask_vit-tiny-p8_1xb8-toy_pretrain/'
            'epoch_20.pth')))
