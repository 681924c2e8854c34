# MGMAE ViT-B/16 pretraining on Something-Something V2 (reference notes
# section 3; MGMAE's scripts/mgmae/vit_b_ssv2_mgmae.sh): the Kinetics recipe
# of mgmae_vit-base-p16_16xb24-200e_k400-pretrain.py (16 GPUs x 24 videos x
# 4 clips, base lr 1e-3, 20 warmup epochs, 200 epochs = 800 effective) on
# SSv2 clips of 16 frames at stride 2.
# Fine-tuned by:
#   configs/mgmae/mgmae_vit-base-p16_16xb16-25e_ssv2-finetune.py
_base_ = ['./mgmae_vit-base-p16_16xb24-200e_k400-pretrain.py']

train_dataloader = dict(
    dataset=dict(
        ann_file='data/sthv2/sthv2_train_list_videos.txt',
        data_prefix=dict(video='data/sthv2/videos_320p'),
        sampler=dict(frame_interval=2)))
