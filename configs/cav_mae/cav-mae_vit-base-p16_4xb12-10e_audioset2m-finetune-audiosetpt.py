# Audio-visual fine-tuning of CAV-MAE (AudioSet pretraining) on AudioSet-2M
# (the full training set), multi-label BCE, mAP on the AudioSet eval set
# (cav-mae egs/audioset/run_cavmae_ft_full.sh, ftmode multimodal); model
# and data as the AudioSet-20K config.
# From the reference: batch 48 (here 4 GPUs x 12), Adam (0.95, 0.999),
# weight decay 5e-7, lr 1e-5 with the head at 50x, 10 epochs, lr halved
# every epoch from epoch 2, mixup 0.5 (lam Beta(10, 10)), label smoothing
# 0.1, SpecAugment 48 / 192. Not reproduced: balanced sampling (`bal`),
# checkpoint weight averaging of epochs 1-10 and the fbank noise /
# time-roll augmentation (configs/cav_mae/README.md).
# Consumes the checkpoint of
# configs/cav_mae/cav-mae_vit-base-p16_8xb32-25e_audioset-pretrain.py.
_base_ = ['./cav-mae_vit-base-p16_4xb9-15e_audioset20k-finetune-audiosetpt.py']

train_dataloader = dict(
    batch_size=12,
    dataset=dict(ann_file='data/audioset/as2m_train_list.txt'))

max_epochs = 10
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(
    optimizer=dict(lr=1e-5),
    paramwise_cfg=dict(custom_keys={'cls_head': dict(lr_mult=50.)}))
param_scheduler = [
    dict(
        type='MultiStepLR',
        milestones=list(range(2, max_epochs)),
        gamma=0.5,
        by_epoch=True,
        begin=0,
        end=max_epochs)
]
auto_scale_lr = dict(base_batch_size=48)
