# Fine-tune the video encoder of the TGM toy model: the VideoMAE
# demo fine-tuning (video only) on the checkpoint of
# tgm_vit-tiny-p8_1xb8-toy_pretrain.py (its encoder weights are
# stored under 'backbone.'). The data/toy_mm videos are the toy videos
# (plus whatever modalities were generated with them); captions are not
# read here.
_base_ = ['./videomae_vit-tiny-p8_1xb8-toy_finetune.py']

data_root = 'data/toy_mm'
pretrained = 'work_dirs/tgm_vit-tiny-p8_1xb8-toy_pretrain/epoch_20.pth'
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))
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
