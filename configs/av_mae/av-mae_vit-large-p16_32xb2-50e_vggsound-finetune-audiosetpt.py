# Audio-visual fine-tuning of AV-MAE (AudioSet pretraining) on VGGSound
# (309 classes, single label, cross-entropy, top-1 over 4 clips per video):
# the model and augmentation of the AudioSet-500K config, the audio from
# each video's own track, 8 s windows (800 fbank frames) as the reference.
# From the reference (scenic projects/av_mae/configs/vggsound/finetune.py):
# batch 64 (here 32 GPUs x 2), SGD with momentum 0.9, no weight decay,
# gradient norm clipped at 1, lr 0.8, 50 epochs, 2.5 linear warmup epochs
# and cosine decay, label smoothing 0.3, stochastic depth 0.3, mixup
# Beta(0.5, 0.5), SpecAugment (a frequency mask up to 48 bins; 4 time
# masks up to 48 frames, here one), 32 frames at stride 2. Not reproduced:
# layer-wise lr decay 0.75, MBT bottleneck fusion (from layer 16) and
# per-modality mixup (configs/av_mae/README.md). The video-only fine-tuning
# of the same encoder is
# av-mae_vit-large-p16_64xb2-35e_vggsound-finetune-audiosetpt.py.
# Consumes the checkpoint of
# configs/av_mae/av-mae_vit-large-p16_64xb8-120e_audioset-pretrain.py.
_base_ = [
    './av-mae_vit-large-p16_64xb2-50e_audioset500k-finetune-audiosetpt.py'
]

num_classes = 309
data_root = 'data/vggsound/videos'
audio_frames = 800  # 8 s at 100 frames/s, 50 patches of 16
model = dict(
    encoders=dict(audios=dict(target_length=audio_frames)),
    cls_head=dict(
        num_classes=num_classes,
        loss_cls=dict(_delete_=True, type='CrossEntropyLoss'),
        average_clips='prob'))
data_preprocessor = dict(blending=dict(num_classes=num_classes))

audio = dict(_base_.audio_loader, path_template=None, duration=8.)
fbank = dict(_base_.fbank, target_length=audio_frames)
train_pipeline = [
    audio,
    dict(fbank, freq_mask=48, time_mask=48), *_base_.train_video,
    _base_.pack
]
test_pipeline = [audio, fbank, *_base_.test_video, _base_.pack]
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

optim_wrapper = dict(optimizer=dict(lr=0.8))
auto_scale_lr = dict(base_batch_size=64)
default_hooks = dict(checkpoint=dict(save_best='acc/top1'))
