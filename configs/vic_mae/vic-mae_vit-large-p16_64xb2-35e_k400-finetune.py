# Fine-tune the ViC-MAE frame encoder (ViT-L/16) on Kinetics-400 clips:
# 8 frames at stride 8 (the 64-frame span of VideoMAE's 16 x 4), each frame
# 196 tokens of its own (tubelet 1, as pretrained: 1568 tokens per clip),
# mean pooling and a linear head. The pretrained position table is per
# frame; on loading it is repeated over the 8 frames, so the encoder gets
# no temporal position (configs/vic_mae/README.md).
# The reference repository releases only ImageNet fine-tuning ("Fine-tuning
# ViC-MAE/L-16 on Kinetics-400: Coming soon"); this config takes VideoMAE
# ViT-L's Kinetics-400 recipe (videomae_vit-large-p16_64xb2-35e_k400-
# finetune.py: base lr 2e-3, 64 GPUs x 2, 35 epochs, 5 warmup epochs,
# layer decay 0.75, drop path 0.1, mixup / cutmix, RandAugment, 5 clips x 3
# crops at test).
# Consumes the checkpoint of
# configs/vic_mae/vic-mae_vit-large-p16_8xb128-800e_k400-pretrain.py.
_base_ = [
    '../_base_/models/recognizer_vit-large-p16.py',
    '../_base_/datasets/k400_finetune.py',
    '../_base_/schedules/finetune_adamw_layer-decay.py'
]

pretrained = ('work_dirs/vic-mae_vit-large-p16_8xb128-800e_k400-pretrain/'
              'epoch_800.pth')
model = dict(
    backbone=dict(
        num_frames=8,
        tubelet_size=1,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    cls_head=dict(num_classes=_base_.num_classes))

clip = dict(type='SampleFrames', clip_len=8, frame_interval=8, num_clips=1)
train_dataloader = dict(batch_size=2, dataset=dict(sampler=clip))
val_dataloader = dict(dataset=dict(sampler=dict(clip, test_mode=True)))
test_dataloader = dict(
    dataset=dict(sampler=dict(clip, num_clips=5, test_mode=True)))

# 64 GPUs x 2 videos = 128: lr = 2e-3 x 128 / 256.
optim_wrapper = dict(optimizer=dict(lr=2e-3 * 128 / 256))
auto_scale_lr = dict(base_batch_size=128)

max_epochs = 35
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    _base_.warmup,
    dict(
        _base_.cosine,
        eta_min_ratio=1e-6 / 2e-3,
        T_max=max_epochs - 5,
        end=max_epochs)
]
