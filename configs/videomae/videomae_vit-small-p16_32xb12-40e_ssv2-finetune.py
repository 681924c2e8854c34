# Fine-tune VideoMAE ViT-S/16 on Something-Something V2: base lr 1e-3,
# layer decay 0.7, 32 GPUs x 12 videos x 2 repeated clips, 40 epochs, drop
# path 0.1, no flip (reference notes section 1.5). Test: 2 clips x 3 crops.
# Consumes the checkpoint of
# configs/videomae/videomae_vit-small-p16_64xb32-800e_ssv2-pretrain.py.
_base_ = [
    '../_base_/models/recognizer_vit-small-p16.py',
    '../_base_/datasets/ssv2_finetune.py',
    '../_base_/schedules/finetune_adamw_layer-decay.py'
]

pretrained = ('work_dirs/videomae_vit-small-p16_64xb32-800e_ssv2-pretrain/'
              'epoch_800.pth')
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    cls_head=dict(num_classes=_base_.num_classes))

# 32 GPUs x 12 videos = 384: lr = 1e-3 x 384 / 256.
train_dataloader = dict(batch_size=12)
optim_wrapper = dict(
    optimizer=dict(lr=1e-3 * 384 / 256), paramwise_cfg=dict(decay_rate=0.7))
auto_scale_lr = dict(base_batch_size=384)

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
