# Fine-tune the video encoder of the video-IMU toy model: the video-only
# fine-tuning of the audio-visual demo (the VideoMAE demo fine-tuning on the
# data/toy_mm videos) on the checkpoint of
# evi-mae_vit-tiny-p8_1xb8-toy_pretrain.py, whose video encoder weights are
# stored under 'encoders.imgs.'. This config does not read the IMU files.
_base_ = ['./cavmae_vit-tiny-p8_1xb8-toy_finetune.py']

pretrained = 'work_dirs/evi-mae_vit-tiny-p8_1xb8-toy_pretrain/epoch_20.pth'
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))
