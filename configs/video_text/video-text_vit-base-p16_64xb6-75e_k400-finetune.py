# Fine-tune the video encoder of the masked video-text ViT-B/16 on
# Kinetics-400 with VideoMAE's ViT-B recipe
# (configs/videomae/videomae_vit-base-p16_64xb6-75e_k400-finetune.py: base
# lr 5e-4, 64 GPUs x 6 videos x 2 repeated clips, 75 epochs, layer decay
# 0.75, drop path 0.1). Test: 5 clips x 3 crops.
# Consumes the checkpoint of
# configs/video_text/video-text_vit-base-p16_64xb32-800e_k400-pretrain.py.
_base_ = ['../videomae/videomae_vit-base-p16_64xb6-75e_k400-finetune.py']

pretrained = ('work_dirs/video-text_vit-base-p16_64xb32-800e_k400-pretrain/'
              'epoch_800.pth')
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))
