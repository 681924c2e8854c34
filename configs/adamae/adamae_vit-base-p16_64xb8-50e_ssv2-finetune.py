# Fine-tune AdaMAE ViT-B/16 on Something-Something V2 with AdaMAE's example
# script (example-finetune.sh): VideoMAE's fine-tuning recipe (layer decay
# 0.75, drop path 0.1, RandAugment, mixup / cutmix, label smoothing 0.1, no
# flip) at base lr 5e-4, 64 GPUs x 8 videos, one clip per video visit
# (--num_sample 1), 50 epochs. Test: 2 clips x 3 crops.
# Consumes the checkpoint of
# configs/adamae/adamae_vit-base-p16_64xb32-800e_ssv2-pretrain.py.
_base_ = ['../videomae/videomae_vit-base-p16_64xb8-30e_ssv2-finetune.py']

pretrained = ('work_dirs/adamae_vit-base-p16_64xb32-800e_ssv2-pretrain/'
              'epoch_800.pth')
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))

# 64 GPUs x 8 videos = 512 and lr = 5e-4 x 512 / 256, as in the VideoMAE
# config.
train_dataloader = dict(
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(num_repeats=1))

max_epochs = 50
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    _base_.warmup,
    dict(
        _base_.cosine,
        eta_min_ratio=1e-6 / 5e-4,
        T_max=max_epochs - 5,
        end=max_epochs)
]
