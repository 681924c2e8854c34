# Fine-tune MGM ViT-B/16 on Something-Something V2 with VideoMAE's ViT-B
# recipe (configs/videomae/videomae_vit-base-p16_64xb8-30e_ssv2-finetune.py:
# base lr 5e-4, 64 GPUs x 8 videos x 2 repeated clips, 30 epochs, layer
# decay 0.75, drop path 0.1, no flip). MGM's own fine-tuning values are not
# in the reference notes. Test: 2 clips x 3 crops.
# Consumes the checkpoint of
# configs/mgm/mgm_vit-base-p16_64xb32-800e_ssv2-pretrain.py.
_base_ = ['../videomae/videomae_vit-base-p16_64xb8-30e_ssv2-finetune.py']

pretrained = ('work_dirs/mgm_vit-base-p16_64xb32-800e_ssv2-pretrain/'
              'epoch_800.pth')
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))
