# Fine-tune the AMD toy student (2 blocks): the VideoMAE demo fine-tuning,
# on the checkpoint of amd_vit-tiny-p8_1xb8-toy_pretrain.py.
_base_ = ['./videomae_vit-tiny-p8_1xb8-toy_finetune.py']

depth = 2
pretrained = 'work_dirs/amd_vit-tiny-p8_1xb8-toy_pretrain/epoch_20.pth'
model = dict(
    backbone=dict(
        arch=dict(depth=depth), init_cfg=dict(checkpoint=pretrained)))
optim_wrapper = dict(paramwise_cfg=dict(num_layers=depth))
