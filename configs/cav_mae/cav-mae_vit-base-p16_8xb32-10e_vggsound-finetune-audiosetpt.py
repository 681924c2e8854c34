# Fine-tune the VIDEO encoder of CAV-MAE (AudioSet pretraining) on VGGSound,
# video only: one frame per video (random in training, the middle one at
# test), the 11 video blocks of the pretrained model (the shared fusion
# block and the audio branch are dropped), mean pooling and a linear head.
# CAV-MAE fine-tunes the audio-visual model (both branches fused); this
# config is a video-only probe of the pretrained video encoder, whose result
# is not comparable to CAV-MAE's A+V numbers (configs/cav_mae/README.md).
# CAV-MAE's audio-visual fine-tuning is
# cav-mae_vit-base-p16_4xb12-10e_vggsound-finetune-audiosetpt.py.
# From the notes (CAV-MAE VGGSound fine-tuning): lr 1e-4, head lr x10,
# mixup 0.5, label smoothing 0.1. Not in the notes, mmvmae's choices: the
# batch (8 GPUs x 32), 10 epochs, 1 warmup epoch then cosine, AdamW
# (0.9, 0.999) with weight decay 0.05, drop path 0.1.
# Consumes the checkpoint of
# configs/cav_mae/cav-mae_vit-base-p16_8xb32-25e_audioset-pretrain.py.
_base_ = [
    '../_base_/models/recognizer_vit-base-p16.py',
    '../_base_/datasets/vggsound_finetune.py',
    '../_base_/schedules/finetune_adamw_layer-decay.py'
]

pretrained = ('work_dirs/cav-mae_vit-base-p16_8xb32-25e_audioset-pretrain/'
              'epoch_25.pth')
model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True, embed_dims=768, depth=11, num_heads=12),
        num_frames=1,
        tubelet_size=1,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained,
            prefix='encoders.imgs.')),
    cls_head=dict(num_classes=_base_.num_classes))

frame = dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=1)
train_dataloader = dict(batch_size=32, dataset=dict(sampler=frame))
val_dataloader = dict(dataset=dict(sampler=dict(frame, test_mode=True)))
test_dataloader = val_dataloader

# 8 GPUs x 32 videos = 256 (the notes give lr 1e-4 without a batch size).
# No layer decay (none in the notes); the head at 10x the lr.
optim_wrapper = dict(
    optimizer=dict(lr=1e-4),
    constructor='DefaultOptimWrapperConstructor',
    paramwise_cfg=dict(
        _delete_=True,
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        custom_keys={'cls_head': dict(lr_mult=10.)}))
auto_scale_lr = dict(base_batch_size=256)

max_epochs = 10
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
param_scheduler = [
    dict(_base_.warmup, end=1),
    dict(
        _base_.cosine,
        eta_min_ratio=1e-2,
        T_max=max_epochs - 1,
        begin=1,
        end=max_epochs)
]
