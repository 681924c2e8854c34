# Fine-tune the MGM toy-pretrained tiny ViT: the VideoMAE demo fine-tuning
# recipe of videomae_vit-tiny-p8_1xb8-toy_finetune.py. Consumes the
# checkpoint of mgm_vit-tiny-p8_1xb8-toy_pretrain.py.
_base_ = ['./videomae_vit-tiny-p8_1xb8-toy_finetune.py']

pretrained = 'work_dirs/mgm_vit-tiny-p8_1xb8-toy_pretrain/epoch_20.pth'
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))
