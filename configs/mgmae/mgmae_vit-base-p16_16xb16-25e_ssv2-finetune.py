# Fine-tune the MGMAE ViT-B/16 on Something-Something V2 with MGMAE's own
# recipe (scripts/finetune/vit_b_ssv2_ft.sh): VideoMAE's fine-tuning of
# ../videomae/videomae_vit-base-p16_64xb8-30e_ssv2-finetune.py (drop path
# 0.1, no flip, 2 repeated clips, 5 warmup epochs; test 2 clips x 3 crops)
# with base lr 2e-3, layer decay 0.65, 16 GPUs x 16 videos and 25 epochs.
# Consumes the checkpoint of
# configs/mgmae/mgmae_vit-base-p16_16xb24-200e_ssv2-pretrain.py.
_base_ = ['../videomae/videomae_vit-base-p16_64xb8-30e_ssv2-finetune.py']

pretrained = ('work_dirs/mgmae_vit-base-p16_16xb24-200e_ssv2-pretrain/'
              'epoch_200.pth')
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))

# 16 GPUs x 16 videos = 256: lr = 2e-3 x 256 / 256.
train_dataloader = dict(batch_size=16)
optim_wrapper = dict(
    optimizer=dict(lr=2e-3 * 256 / 256),
    paramwise_cfg=dict(decay_rate=0.65))
auto_scale_lr = dict(base_batch_size=256)

max_epochs = 25
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    _base_.warmup,
    dict(
        _base_.cosine,
        eta_min_ratio=1e-6 / 2e-3,
        T_max=max_epochs - 5,
        end=max_epochs)
]
