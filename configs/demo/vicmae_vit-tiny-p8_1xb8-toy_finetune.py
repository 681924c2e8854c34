# Fine-tune the ViC-MAE toy-pretrained tiny ViT: the VideoMAE demo
# fine-tuning recipe of videomae_vit-tiny-p8_1xb8-toy_finetune.py (the
# projector is dropped, as ViC-MAE drops it). Consumes the checkpoint of
# vicmae_vit-tiny-p8_1xb8-toy_pretrain.py.
_base_ = ['./videomae_vit-tiny-p8_1xb8-toy_finetune.py']

pretrained = 'work_dirs/vicmae_vit-tiny-p8_1xb8-toy_pretrain/epoch_20.pth'
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))
