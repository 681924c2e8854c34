# Audio-visual fine-tuning of the toy CAV-MAE (CAV-MAE's fine-tuning
# design): the video and audio encoders, the joint block and the modality
# embeddings of cavmae_vit-tiny-p8_1xb8-toy_pretrain.py, loaded by name
# from its last checkpoint (its decoder and heads are reported unused);
# the mean of all fused tokens goes to a linear head (label smoothing).
# Test: 5 clips x 3 crops, each paired with the audio of its clip, softmax
# probabilities averaged. Videos without audio get the learned missing-
# audio embedding. Late fusion instead: fusion='concat', both encoders
# use_mean_pooling=True and cls_head.in_channels=2 * embed_dims.
# Same data, schedule and augmentation as the video-only fine-tuning
# (cavmae_vit-tiny-p8_1xb8-toy_finetune.py), without layer-wise lr decay
# (LayerDecayOptimWrapperConstructor groups backbone.blocks.i only); the
# head at 10x the lr (CAV-MAE's head_lr on VGGSound).
_base_ = ['./cavmae_vit-tiny-p8_1xb8-toy_finetune.py']

img_size = 64
audio_frames = 64
n_mels = 64
pretrained = 'work_dirs/cavmae_vit-tiny-p8_1xb8-toy_pretrain/epoch_20.pth'
model = dict(
    _delete_=True,
    type='AudioVisualRecognizer',
    encoders=dict(
        imgs=dict(
            type='VideoViT',
            arch=dict(embed_dims=_base_.embed_dims, depth=4, num_heads=4),
            img_size=img_size,
            patch_size=8,
            num_frames=_base_.clip_len,
            tubelet_size=2,
            drop_path_rate=0.1,
            use_mean_pooling=False),
        audios=dict(
            type='AudioViT',
            arch=dict(embed_dims=_base_.embed_dims, depth=4, num_heads=4),
            target_length=audio_frames,
            n_mels=n_mels,
            patch_size=8,
            layout='ft',
            drop_path_rate=0.1,
            use_mean_pooling=False)),
    fusion=dict(
        type='MidFusion',
        embed_dims=_base_.embed_dims,
        depth=1,
        num_heads=4,
        modality_norms=False,
        drop_path_rate=0.1),
    cls_head=dict(
        type='TimeSformerHead',
        num_classes=_base_.num_classes,
        in_channels=_base_.embed_dims,
        average_clips='prob',
        label_smooth_eps=0.1),
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))

audio = dict(
    type='LoadAudioWindow', sample_rate=16000, duration=0.64,
    on_missing='fill')
fbank = dict(
    type='AudioFbank', num_mel_bins=n_mels, target_length=audio_frames,
    norm='cavmae')
pack = dict(
    type='PackActionInputs',
    collect_keys=('imgs', 'audios'),
    algorithm_keys=('audios_present', ))
train_pipeline = [
    audio,
    dict(fbank, freq_mask=8, time_mask=12),
    dict(type='RandomResizedCrop', area_range=(0.5, 1.0)),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'), pack
]
val_pipeline = [
    audio, fbank,
    dict(type='Resize', scale=(-1, img_size)),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='FormatShape', input_format='NCTHW'), pack
]
test_pipeline = [
    audio, fbank,
    dict(type='Resize', scale=(80, img_size), keep_ratio=False),
    dict(type='ThreeCrop', crop_size=img_size),
    dict(type='FormatShape', input_format='NCTHW'), pack
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

optim_wrapper = dict(
    _delete_=True,
    type='FiniteLossOptimWrapper',
    optimizer=dict(
        type='AdamW', lr=5e-4, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        custom_keys=dict(
            cls_head=dict(lr_mult=10.),
            modality_embed=dict(decay_mult=0.),
            missing_audio=dict(decay_mult=0.),
            q_bias=dict(decay_mult=0.),
            v_bias=dict(decay_mult=0.))))
