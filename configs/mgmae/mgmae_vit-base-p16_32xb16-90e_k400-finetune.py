# Fine-tune the MGMAE ViT-B/16 on Kinetics-400 with MGMAE's own recipe
# (scripts/finetune/vit_b_k400_ft.sh): VideoMAE's fine-tuning of
# ../videomae/videomae_vit-base-p16_64xb6-75e_k400-finetune.py (layer decay
# 0.75, drop path 0.1, 2 repeated clips, 5 warmup epochs; test 5 clips x 3
# crops) with base lr 7e-4, 32 GPUs x 16 videos and 90 epochs.
# Consumes the checkpoint of
# configs/mgmae/mgmae_vit-base-p16_16xb24-200e_k400-pretrain.py.
_base_ = ['../videomae/videomae_vit-base-p16_64xb6-75e_k400-finetune.py']

pretrained = ('work_dirs/mgmae_vit-base-p16_16xb24-200e_k400-pretrain/'
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
