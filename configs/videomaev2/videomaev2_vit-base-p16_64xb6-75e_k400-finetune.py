# Fine-tune the VideoMAE V2 ViT-B/16 on Kinetics-400. V2 fine-tunes exactly
# as VideoMAE does, so this is the VideoMAE ViT-B Kinetics recipe of
# ../videomae/videomae_vit-base-p16_64xb6-75e_k400-finetune.py with the V2
# checkpoint.
# Consumes the checkpoint of
# configs/videomaev2/videomaev2_vit-base-p16_32xb32-200e_k400-pretrain.py.
_base_ = ['../videomae/videomae_vit-base-p16_64xb6-75e_k400-finetune.py']

pretrained = ('work_dirs/videomaev2_vit-base-p16_32xb32-200e_k400-pretrain/'
              'epoch_200.pth')
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))
