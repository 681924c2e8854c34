# Fine-tune VideoMAE ViT-B/16 on Kinetics-400: base lr 5e-4, 64 GPUs x 6
# videos x 2 repeated clips, 75 epochs, layer decay 0.75, drop path 0.1
# (reference notes section 1.5). Test: 5 clips x 3 crops.
# Consumes the checkpoint of
# configs/videomae/videomae_vit-base-p16_64xb32-800e_k400-pretrain.py.
_base_ = [
    '../_base_/models/recognizer_vit-base-p16.py',
    '../_base_/datasets/k400_finetune.py',
    '../_base_/schedules/finetune_adamw_layer-decay.py'
]

pretrained = ('work_dirs/videomae_vit-base-p16_64xb32-800e_k400-pretrain/'
              'epoch_800.pth')
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    cls_head=dict(num_classes=_base_.num_classes))

# 64 GPUs x 6 videos = 384: lr = 5e-4 x 384 / 256.
train_dataloader = dict(batch_size=6)
optim_wrapper = dict(optimizer=dict(lr=5e-4 * 384 / 256))
auto_scale_lr = dict(base_batch_size=384)

max_epochs = 75
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    _base_.warmup,
    dict(
        _base_.cosine,
        eta_min_ratio=1e-6 / 5e-4,
        T_max=max_epochs - 5,
        end=max_epochs)
]
