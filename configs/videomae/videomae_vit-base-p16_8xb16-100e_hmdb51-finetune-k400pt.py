# Fine-tune the Kinetics-400-pretrained VideoMAE ViT-B/16 on HMDB51
# (split 1). The reference notes give the result of this transfer, not its
# recipe: this config uses VideoMAE's UCF101 recipe (base lr 5e-4, 8 GPUs x
# 16 videos x 2 repeated clips, 100 epochs, layer decay 0.7, drop path 0.2,
# head dropout 0.5). Test: 5 clips x 3 crops.
# Consumes the checkpoint of
# configs/videomae/videomae_vit-base-p16_64xb32-800e_k400-pretrain.py.
_base_ = [
    '../_base_/models/recognizer_vit-base-p16.py',
    '../_base_/datasets/hmdb51_finetune.py',
    '../_base_/schedules/finetune_adamw_layer-decay.py'
]

pretrained = ('work_dirs/videomae_vit-base-p16_64xb32-800e_k400-pretrain/'
              'epoch_800.pth')
model = dict(
    backbone=dict(
        drop_path_rate=0.2,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    cls_head=dict(num_classes=_base_.num_classes, dropout_ratio=0.5))

# 8 GPUs x 16 videos = 128: lr = 5e-4 x 128 / 256.
train_dataloader = dict(batch_size=16)
optim_wrapper = dict(
    optimizer=dict(lr=5e-4 * 128 / 256), paramwise_cfg=dict(decay_rate=0.7))
auto_scale_lr = dict(base_batch_size=128)

max_epochs = 100
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(_base_.warmup, start_factor=1e-8 / 5e-4),
    dict(
        _base_.cosine,
        eta_min_ratio=1e-5 / 5e-4,
        T_max=max_epochs - 5,
        end=max_epochs)
]
