# Fine-tune the MAE-ST ViT-L/16 on Kinetics-400 (reference notes section 5):
# 50 epochs, 2 videos per GPU x 2 repeated clips, base lr 2.4e-3, 5 warmup
# epochs, layer decay 0.75, drop path 0.2, head dropout 0.3, mixup 0.8 /
# cutmix 1.0, label smoothing 0.1, RandAugment m7 with 2 ops (timm's
# default count; `rand-m7-mstd0.5-inc1`) and, from mae_st's fine-tuning
# command, gradient clipping 5.0. Inputs normalized with 0.45 / 0.225 as in
# pretraining. 64 GPUs as the pretraining config. Mean pooling replaces
# mae_st's class token. Test: 5 clips x 3 crops.
# Consumes the checkpoint of
# configs/mae_st/mae-st_vit-large-p16_64xb2-400e_k400-pretrain.py.
_base_ = [
    '../_base_/models/recognizer_vit-large-p16.py',
    '../_base_/datasets/k400_finetune.py',
    '../_base_/schedules/finetune_adamw_layer-decay.py'
]

pretrained = ('work_dirs/mae-st_vit-large-p16_64xb2-400e_k400-pretrain/'
              'epoch_400.pth')
model = dict(
    backbone=dict(
        pos_embed_type='learned_separable',
        drop_path_rate=0.2,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    cls_head=dict(num_classes=_base_.num_classes, dropout_ratio=0.3))
data_preprocessor = dict(
    mean=[114.75, 114.75, 114.75], std=[57.375, 57.375, 57.375])

train_pipeline = [
    dict(type='RandomRescale', scale_range=(256, 320)),
    dict(type='RandomResizedCrop'),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(_base_.rand_augment, num_ops=2),
    _base_.random_erasing,
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
# 64 GPUs x 2 videos = 128: lr = 2.4e-3 x 128 / 256.
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(
    optimizer=dict(lr=2.4e-3 * 128 / 256), clip_grad=dict(max_norm=5.0))
auto_scale_lr = dict(base_batch_size=128)

max_epochs = 50
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    _base_.warmup,
    dict(
        _base_.cosine,
        eta_min_ratio=1e-6 / 2.4e-3,
        T_max=max_epochs - 5,
        end=max_epochs)
]
