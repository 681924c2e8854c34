# Fine-tune the AMD toy student (64 wide): the VideoMAE demo fine-tuning, on
# the checkpoint of amd_vit-tiny-p8_1xb8-toy_pretrain.py.
_base_ = ['./videomae_vit-tiny-p8_1xb8-toy_finetune.py']

student_dims = 64
pretrained = 'work_dirs/amd_vit-tiny-p8_1xb8-toy_pretrain/epoch_20.pth'
model = dict(
    backbone=dict(
        arch=dict(embed_dims=student_dims),
        init_cfg=dict(checkpoint=pretrained)),
    cls_head=dict(in_channels=student_dims))
