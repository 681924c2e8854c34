# Fine-tune the Kinetics-400-pretrained VideoMAE ViT-B/16 on UCF101
# (split 1) with the UCF101 recipe of
# videomae_vit-base-p16_8xb16-100e_ucf101-finetune.py (the reference notes
# give the result of this transfer, not its recipe).
# Consumes the checkpoint of
# configs/videomae/videomae_vit-base-p16_64xb32-800e_k400-pretrain.py.
_base_ = ['./videomae_vit-base-p16_8xb16-100e_ucf101-finetune.py']

pretrained = ('work_dirs/videomae_vit-base-p16_64xb32-800e_k400-pretrain/'
              'epoch_800.pth')
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))
