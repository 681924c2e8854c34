# Fine-tune VideoMAE ViT-H/16 on Kinetics-400: base lr 1e-3, 50 epochs,
# layer decay 0.75, drop path 0.2, dropout 0.5 before the head (reference
# notes section 1.5). The notes give no per-GPU batch for ViT-H: 64 GPUs x 2
# videos x 2 repeated clips, as ViT-L, is this config's choice. Test: 5
# clips x 3 crops.
# Consumes the checkpoint of
# configs/videomae/videomae_vit-huge-p16_64xb16-1600e_k400-pretrain.py.
_base_ = [
    '../_base_/models/recognizer_vit-huge-p16.py',
    '../_base_/datasets/k400_finetune.py',
    '../_base_/schedules/finetune_adamw_layer-decay.py'
]

pretrained = ('work_dirs/videomae_vit-huge-p16_64xb16-1600e_k400-pretrain/'
              'epoch_1600.pth')
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    cls_head=dict(num_classes=_base_.num_classes))

# 64 GPUs x 2 videos = 128: lr = 1e-3 x 128 / 256.
train_dataloader = dict(batch_size=2)
optim_wrapper = dict(optimizer=dict(lr=1e-3 * 128 / 256))
auto_scale_lr = dict(base_batch_size=128)

max_epochs = 50
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    _base_.warmup,
    dict(
        _base_.cosine,
        eta_min_ratio=1e-6 / 1e-3,
        T_max=max_epochs - 5,
        end=max_epochs)
]
