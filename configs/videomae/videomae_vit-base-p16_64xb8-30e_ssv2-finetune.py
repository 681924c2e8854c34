# Fine-tune VideoMAE ViT-B/16 on Something-Something V2: base lr 5e-4, 30
# epochs, layer decay 0.75, drop path 0.1, no flip (reference notes section
# 1.5), 64 GPUs x 8 videos (VideoMAE's ViT-B SSv2 script) x 2 repeated
# clips. Test: 2 clips x 3 crops.
# Consumes the checkpoint of
# configs/videomae/videomae_vit-base-p16_64xb32-800e_ssv2-pretrain.py.
_base_ = [
    '../_base_/models/recognizer_vit-base-p16.py',
    '../_base_/datasets/ssv2_finetune.py',
    '../_base_/schedules/finetune_adamw_layer-decay.py'
]

pretrained = ('work_dirs/videomae_vit-base-p16_64xb32-800e_ssv2-pretrain/'
              'epoch_800.pth')
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    cls_head=dict(num_classes=_base_.num_classes))

# 64 GPUs x 8 videos = 512: lr = 5e-4 x 512 / 256.
train_dataloader = dict(batch_size=8)
optim_wrapper = dict(optimizer=dict(lr=5e-4 * 512 / 256))
auto_scale_lr = dict(base_batch_size=512)

max_epochs = 30
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    _base_.warmup,
    dict(
        _base_.cosine,
        eta_min_ratio=1e-6 / 5e-4,
        T_max=max_epochs - 5,
        end=max_epochs)
]
