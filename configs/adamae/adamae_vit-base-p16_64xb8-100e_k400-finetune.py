# Fine-tune AdaMAE ViT-B/16 on Kinetics-400 with AdaMAE's example script
# (example-finetune.sh): VideoMAE's fine-tuning recipe (layer decay 0.75,
# drop path 0.1, RandAugment, mixup / cutmix, label smoothing 0.1) at base
# lr 1e-3, 64 GPUs x 8 videos, one clip per video visit (--num_sample 1),
# 100 epochs. Test: 5 clips x 3 crops.
# Consumes the checkpoint of
# configs/adamae/adamae_vit-base-p16_64xb32-800e_k400-pretrain.py.
_base_ = ['../videomae/videomae_vit-base-p16_64xb6-75e_k400-finetune.py']

pretrained = ('work_dirs/adamae_vit-base-p16_64xb32-800e_k400-pretrain/'
              'epoch_800.pth')
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))

# 64 GPUs x 8 videos = 512: lr = 1e-3 x 512 / 256.
train_dataloader = dict(
    batch_size=8,
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(num_repeats=1))
optim_wrapper = dict(optimizer=dict(lr=1e-3 * 512 / 256))
auto_scale_lr = dict(base_batch_size=512)

max_epochs = 100
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    _base_.warmup,
    dict(
        _base_.cosine,
        eta_min_ratio=1e-6 / 1e-3,
        T_max=max_epochs - 5,
        end=max_epochs)
]
