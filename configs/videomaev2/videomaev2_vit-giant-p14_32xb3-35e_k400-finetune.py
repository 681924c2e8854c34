# Fine-tune the VideoMAE V2 ViT-g/14 on Kinetics-400 with V2's supervised
# post-pretraining recipe (reference notes section 2.3, `vit_g_k710_ft.sh`),
# applied to Kinetics-400 directly since data_preparation does not build
# K710: base lr 1e-3, 32 GPUs x 3 videos x 2 repeated clips, 35 epochs, 5
# warmup epochs, drop path 0.3, layer decay 0.9, weight decay 0.1, gradient
# clipping 5.0. Test: 5 clips x 3 crops.
# Consumes the checkpoint of
# configs/videomaev2/videomaev2_vit-giant-p14_64xb32-300e_k400-pretrain.py.
_base_ = [
    '../_base_/models/recognizer_vit-giant-p14.py',
    '../_base_/datasets/k400_finetune.py',
    '../_base_/schedules/finetune_adamw_layer-decay.py'
]

pretrained = ('work_dirs/videomaev2_vit-giant-p14_64xb32-300e_k400-pretrain/'
              'epoch_300.pth')
model = dict(
    backbone=dict(
        drop_path_rate=0.3,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    cls_head=dict(num_classes=_base_.num_classes))

# 32 GPUs x 3 videos = 96: lr = 1e-3 x 96 / 256.
train_dataloader = dict(batch_size=3)
optim_wrapper = dict(
    optimizer=dict(lr=1e-3 * 96 / 256, weight_decay=0.1),
    paramwise_cfg=dict(decay_rate=0.9),
    clip_grad=dict(max_norm=5.0))
auto_scale_lr = dict(base_batch_size=96)

max_epochs = 35
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    _base_.warmup,
    dict(
        _base_.cosine,
        eta_min_ratio=1e-6 / 1e-3,
        T_max=max_epochs - 5,
        end=max_epochs)
]
