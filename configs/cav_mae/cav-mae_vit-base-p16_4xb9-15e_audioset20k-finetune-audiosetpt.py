# Audio-visual fine-tuning of CAV-MAE (AudioSet pretraining) on AudioSet-20K
# (the balanced training set), multi-label BCE, mAP on the AudioSet eval
# set: frame and audio encoders plus the shared block of the pretrained
# model, the mean of the fused tokens, a linear head (cav-mae
# egs/audioset/run_cavmae_ft_bal.sh, ftmode multimodal).
# From the reference: batch 36 (here 4 GPUs x 9), Adam (0.95, 0.999),
# weight decay 5e-7, lr 5e-5 with the head at 100x, 15 epochs, lr halved
# every epoch from epoch 5, no balanced sampling, mixup 0.5 (lam
# Beta(10, 10)), label smoothing 0.1, SpecAugment 48 / 192, one frame
# (middle one at test). Not reproduced: checkpoint weight averaging of
# epochs 3-15 and the fbank noise / time-roll augmentation
# (configs/cav_mae/README.md). Consumes the checkpoint of
# configs/cav_mae/cav-mae_vit-base-p16_8xb32-25e_audioset-pretrain.py.
_base_ = [
    '../_base_/models/cav-mae_vit-base-p16_audio-visual.py',
    '../_base_/datasets/audioset_finetune_cav-mae.py',
    '../_base_/default_runtime.py'
]

pretrained = ('work_dirs/cav-mae_vit-base-p16_8xb32-25e_audioset-pretrain/'
              'epoch_25.pth')
model = dict(
    cls_head=dict(
        num_classes=_base_.num_classes,
        loss_cls=dict(type='BCELossWithLogits'),
        # mAP ranks each class's scores over the samples: logits, no softmax
        average_clips='score'),
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))

train_dataloader = dict(
    batch_size=9,
    dataset=dict(ann_file='data/audioset/as20k_train_list.txt'))

max_epochs = 15
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='FiniteLossOptimWrapper',
    optimizer=dict(
        type='Adam', lr=5e-5, betas=(0.95, 0.999), weight_decay=5e-7),
    paramwise_cfg=dict(custom_keys={'cls_head': dict(lr_mult=100.)}))
param_scheduler = [
    dict(
        type='MultiStepLR',
        milestones=list(range(5, max_epochs)),
        gamma=0.5,
        by_epoch=True,
        begin=0,
        end=max_epochs)
]
auto_scale_lr = dict(enable=False, base_batch_size=36)
default_hooks = dict(
    checkpoint=dict(
        interval=1, max_keep_ckpts=3,
        save_best='acc/mean_average_precision'))
