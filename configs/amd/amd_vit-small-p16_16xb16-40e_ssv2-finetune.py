# Fine-tune the AMD ViT-S/16 student on Something-Something V2 (AMD's
# scripts/finetune/vits_ssv2_ft.sh): base lr 1e-3, 16 GPUs x 16 videos x 2
# repeated clips, 40 epochs, layer decay 0.75 (AMD keeps the default;
# VideoMAE uses 0.7), drop path 0.1, 5 warmup epochs; otherwise the VideoMAE
# recipe of videomae_vit-small-p16_32xb12-40e_ssv2-finetune.py. Test: 2 clips
# x 3 crops.
# Consumes the checkpoint of
# configs/amd/amd_vit-small-p16_32xb16-200e_ssv2-pretrain.py.
_base_ = ['../videomae/videomae_vit-small-p16_32xb12-40e_ssv2-finetune.py']

pretrained = ('work_dirs/amd_vit-small-p16_32xb16-200e_ssv2-pretrain/'
              'epoch_200.pth')
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))

# 16 GPUs x 16 videos = 256: lr = 1e-3 x 256 / 256.
train_dataloader = dict(batch_size=16)
optim_wrapper = dict(
    optimizer=dict(lr=1e-3 * 256 / 256),
    paramwise_cfg=dict(decay_rate=0.75))
auto_scale_lr = dict(base_batch_size=256)

max_epochs = 40
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    _base_.warmup,
    dict(
        _base_.cosine,
        eta_min_ratio=1e-6 / 1e-3,
        T_max=max_epochs - 5,
        end=max_epochs)
]
