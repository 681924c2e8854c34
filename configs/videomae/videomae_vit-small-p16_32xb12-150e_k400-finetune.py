# Fine-tune VideoMAE ViT-S/16 on Kinetics-400: base lr 5e-4, 32 GPUs x 12
# videos x 2 repeated clips, 150 epochs, layer decay 0.75, drop path 0.1
# (VideoMAE's ViT-S Kinetics script; the reference notes list no ViT-S
# Kinetics recipe). Test: 5 clips x 3 crops.
# Consumes the checkpoint of
# configs/videomae/videomae_vit-small-p16_64xb32-800e_k400-pretrain.py.
_base_ = [
    '../_base_/models/recognizer_vit-small-p16.py',
    '../_base_/datasets/k400_finetune.py',
    '../_base_/schedules/finetune_adamw_layer-decay.py'
]

pretrained = ('work_dirs/videomae_vit-small-p16_64xb32-800e_k400-pretrain/'
              'epoch_800.pth')
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    cls_head=dict(num_classes=_base_.num_classes))

# 32 GPUs x 12 videos = 384: lr = 5e-4 x 384 / 256.
train_dataloader = dict(batch_size=12)
optim_wrapper = dict(optimizer=dict(lr=5e-4 * 384 / 256))
auto_scale_lr = dict(base_batch_size=384)

max_epochs = 150
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    _base_.warmup,
    dict(
        _base_.cosine,
        eta_min_ratio=1e-6 / 5e-4,
        T_max=max_epochs - 5,
        end=max_epochs)
]
