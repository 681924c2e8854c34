# Fine-tune the video encoder of the video-IMU toy model: the VideoMAE demo
# fine-tuning (video only) on the checkpoint of
# evi-mae_vit-tiny-p8_1xb8-toy_pretrain.py, whose video encoder weights are
# stored under 'encoders.imgs.'. The data/toy_mm videos are the plain toy
# videos; this config does not read their IMU files.
_base_ = ['./videomae_vit-tiny-p8_1xb8-toy_finetune.py']

data_root = 'data/toy_mm'
pretrained = 'work_dirs/evi-mae_vit-tiny-p8_1xb8-toy_pretrain/epoch_20.pth'
model = dict(
    backbone=dict(
        init_cfg=dict(checkpoint=pretrained, prefix='encoders.imgs.')))
train_dataloader = dict(
    dataset=dict(
        ann_file=data_root + '/train_list.txt',
        data_prefix=dict(video=data_root + '/videos')))
val_dataloader = dict(
    dataset=dict(
        ann_file=data_root + '/val_list.txt',
        data_prefix=dict(video=data_root + '/videos')))
test_dataloader = dict(
    dataset=dict(
        ann_file=data_root + '/val_list.txt',
        data_prefix=dict(video=data_root + '/videos')))
