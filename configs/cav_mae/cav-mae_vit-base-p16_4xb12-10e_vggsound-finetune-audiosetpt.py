# Audio-visual fine-tuning of CAV-MAE (AudioSet pretraining) on VGGSound
# (309 classes, single label, cross-entropy, top-1), the model of the
# AudioSet configs (cav-mae egs/vggsound/run_cavmae_ft.sh, ftmode
# multimodal); the audio comes from each video's own track.
# From the reference: batch 48 (here 4 GPUs x 12), Adam (0.95, 0.999),
# weight decay 5e-7, lr 1e-4 with the head at 10x, 10 epochs, lr halved
# every epoch from epoch 2, mixup 0.5 (lam Beta(10, 10)), label smoothing
# 0.1, SpecAugment 48 / 192, one frame (middle one at test). Not
# reproduced: balanced sampling (`bal`), checkpoint weight averaging of
# epochs 3-10 and the fbank noise / time-roll augmentation
# (configs/cav_mae/README.md). The video-only probe of the same encoder is
# cav-mae_vit-base-p16_8xb32-10e_vggsound-finetune-audiosetpt.py.
# Consumes the checkpoint of
# configs/cav_mae/cav-mae_vit-base-p16_8xb32-25e_audioset-pretrain.py.
_base_ = ['./cav-mae_vit-base-p16_4xb12-10e_audioset2m-finetune-audiosetpt.py']

num_classes = 309
data_root = 'data/vggsound/videos'
model = dict(
    cls_head=dict(
        num_classes=num_classes,
        loss_cls=dict(_delete_=True, type='CrossEntropyLoss'),
        average_clips='prob'))
data_preprocessor = dict(blending=dict(num_classes=num_classes))

audio = dict(_base_.audio_loader, path_template=None)  # the video's track
train_pipeline = [audio, *_base_.train_pipeline[1:]]
test_pipeline = [audio, *_base_.test_pipeline[1:]]
dataset = dict(
    data_prefix=dict(video=data_root), multi_class=False, num_classes=None)
train_dataloader = dict(
    dataset=dict(
        dataset,
        ann_file='data/vggsound/train_list.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        dataset,
        ann_file='data/vggsound/test_list.txt',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='AccMetric')
test_evaluator = val_evaluator

optim_wrapper = dict(
    optimizer=dict(lr=1e-4),
    paramwise_cfg=dict(custom_keys={'cls_head': dict(lr_mult=10.)}))
default_hooks = dict(checkpoint=dict(save_best='acc/top1'))
