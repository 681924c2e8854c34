# Audio-visual fine-tuning of AV-MAE (AudioSet pretraining) on AV-MAE's
# balanced AudioSet-500K, multi-label BCE, mAP on the AudioSet eval set
# (4 clips per video, logits averaged): video and spectrogram encoders and
# the 2 mid-fusion blocks of the pretrained model, the mean of the fused
# tokens, a linear head. AV-MAE fine-tunes inside MBT instead
# (configs/av_mae/README.md).
# From the reference (scenic projects/av_mae/configs/audioset/finetune.py):
# batch 128 (here 64 GPUs x 2), SGD with momentum 0.9, no weight decay,
# gradient norm clipped at 1, lr 1.6, 50 epochs, 2.5 linear warmup epochs
# and cosine decay, label smoothing 0.3, stochastic depth 0.3, mixup
# Beta(0.5, 0.5), SpecAugment, 32 frames at stride 2, 4 test clips. Not
# reproduced: layer-wise lr decay 0.75 (mmvmae's layer-decay constructor
# covers `backbone.blocks` only), MBT bottleneck fusion and per-modality
# mixup (`mixmod`).
# Consumes the checkpoint of
# configs/av_mae/av-mae_vit-large-p16_64xb8-120e_audioset-pretrain.py.
_base_ = [
    '../_base_/models/av-mae_vit-large-p16_audio-visual.py',
    '../_base_/datasets/audioset_finetune_av-mae.py',
    '../_base_/default_runtime.py'
]

pretrained = ('work_dirs/av-mae_vit-large-p16_64xb8-120e_audioset-pretrain/'
              'epoch_120.pth')
model = dict(
    cls_head=dict(
        num_classes=_base_.num_classes,
        loss_cls=dict(type='BCELossWithLogits'),
        # mAP ranks each class's scores over the samples: logits, no softmax
        average_clips='score'),
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))

max_epochs = 50
warmup_epochs = 2.5
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='FiniteLossOptimWrapper',
    optimizer=dict(type='SGD', lr=1.6, momentum=0.9, weight_decay=0.),
    clip_grad=dict(max_norm=1.))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - warmup_epochs,
        eta_min=0.,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True)
]
auto_scale_lr = dict(enable=False, base_batch_size=128)
default_hooks = dict(
    checkpoint=dict(
        interval=5, max_keep_ckpts=3,
        save_best='acc/mean_average_precision'))
