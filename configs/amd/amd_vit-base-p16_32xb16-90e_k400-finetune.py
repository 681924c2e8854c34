# Fine-tune the AMD ViT-B/16 student on Kinetics-400 (AMD's
# scripts/finetune/vitb_k400_ft.sh): base lr 7e-4, 32 GPUs x 16 videos x 2
# repeated clips, 90 epochs, layer decay 0.75, drop path 0.1, 5 warmup
# epochs; otherwise the VideoMAE recipe of
# videomae_vit-base-p16_64xb6-75e_k400-finetune.py. Test: 5 clips x 3 crops.
# Consumes the checkpoint of
# configs/amd/amd_vit-base-p16_32xb16-200e_k400-pretrain.py.
_base_ = ['../videomae/videomae_vit-base-p16_64xb6-75e_k400-finetune.py']

pretrained = ('work_dirs/amd_vit-base-p16_32xb16-200e_k400-pretrain/'
              'epoch_200.pth')
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))

# 32 GPUs x 16 videos = 512: lr = 7e-4 x 512 / 256.
train_dataloader = dict(batch_size=16)
optim_wrapper = dict(optimizer=dict(lr=7e-4 * 512 / 256))
auto_scale_lr = dict(base_batch_size=512)

max_epochs = 90
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    _base_.warmup,
    dict(
        _base_.cosine,
        eta_min_ratio=1e-6 / 7e-4,
        T_max=max_epochs - 5,
        end=max_epochs)
]
