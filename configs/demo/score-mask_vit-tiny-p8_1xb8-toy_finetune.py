# Fine-tune the score-guided toy pretraining
# (score-mask_vit-tiny-p8_1xb8-toy_pretrain.py) with the VideoMAE toy
# fine-tuning recipe.
_base_ = ['./videomae_vit-tiny-p8_1xb8-toy_finetune.py']

model = dict(
    backbone=dict(
        init_cfg=dict(
            checkpoint='work_dirs/score-mask_vit-tiny-p8_1xb8-toy_pretrain/'
            'epoch_20.pth')))
