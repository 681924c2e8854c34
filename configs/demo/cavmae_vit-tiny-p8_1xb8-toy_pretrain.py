# Audio-visual MAE of tiny ViTs on the toy videos and their audio track
# (a tone whose pitch is the class), CAV-MAE design: video and audio
# encoders, one joint block with per-modality norms, one joint decoder,
# InfoNCE (one-way, temperature 0.05, weight 0.01). On CPU in minutes.
# Data: python data_preparation/toy/generate_toy_dataset.py \
#     --out-dir data/toy_mm --audio
# Fine-tuned by cavmae_vit-tiny-p8_1xb8-toy_finetune.py (video encoder)
# and cavmae_vit-tiny-p8_1xb8-toy_finetune-av.py (audio-visual).
# The VideoMAE demo's video settings, augmentation, optimizer and schedule.
_base_ = ['./videomae_vit-tiny-p8_1xb8-toy_pretrain.py']

data_root = 'data/toy_mm'
clip_len = 8
frame_interval = 2
img_size = 64
patch_size = 8
tubelet_size = 2
embed_dims = 96
# Audio: 0.64 s around the clip (8 frames x 2 at 30 fps span 0.53 s) ->
# 62 fbank frames, padded to 64; 64 mel bins; 8x8 patches, CAV-MAE's
# frequency-major order -> grid (8, 8).
audio_frames = 64
n_mels = 64
audio_patch = 8
layout = 'ft'
model = dict(
    _delete_=True,
    type='AudioVisualMAE',
    encoders=dict(
        imgs=dict(
            type='VideoViT',
            arch=dict(embed_dims=embed_dims, depth=4, num_heads=4),
            img_size=img_size,
            patch_size=patch_size,
            num_frames=clip_len,
            tubelet_size=tubelet_size,
            use_mean_pooling=False),
        audios=dict(
            type='AudioViT',
            arch=dict(embed_dims=embed_dims, depth=4, num_heads=4),
            target_length=audio_frames,
            n_mels=n_mels,
            patch_size=audio_patch,
            layout=layout,
            use_mean_pooling=False)),
    fusion=dict(
        type='MidFusion', embed_dims=embed_dims, depth=1, num_heads=4),
    decoder=dict(
        type='JointMAEDecoder',
        in_dims=embed_dims,
        out_dims=dict(
            imgs=tubelet_size * patch_size**2 * 3, audios=audio_patch**2),
        embed_dims=64,
        depth=2,
        num_heads=4),
    heads=dict(
        imgs=dict(
            type='PixelReconstructionHead',
            patch_size=patch_size,
            tubelet_size=tubelet_size,
            target='videomae'),
        audios=dict(
            type='SpectrogramReconstructionHead',
            patch_size=audio_patch,
            layout=layout)),
    contrastive=dict(
        type='InfoNCELoss',
        temperature=0.05,
        symmetric=False,
        direction='a2b',  # each video against every audio clip (CAV-MAE)
        loss_weight=0.01))

train_pipeline = [
    dict(type='LoadAudioWindow', sample_rate=16000, duration=0.64,
         on_missing='fill'),
    dict(type='AudioFbank', num_mel_bins=n_mels, target_length=audio_frames,
         norm='cavmae'),
    *_base_.train_pipeline[:-2],  # crop, resize, format
    dict(
        type='TubeMaskGenerator',
        mask_ratio=0.75,
        patch_size=patch_size,
        tubelet_size=tubelet_size),
    dict(
        type='SpectrogramRandomMaskGenerator',
        mask_ratio=0.75,
        patch_size=audio_patch,
        layout=layout),
    dict(
        type='PackActionInputs',
        collect_keys=('imgs', 'audios'),
        algorithm_keys=('visible_ids', 'masked_ids', 'audio_visible_ids',
                        'audio_masked_ids', 'audios_present'))
]
train_dataloader = dict(
    dataset=dict(
        ann_file=data_root + '/pretrain_list.txt',
        data_prefix=dict(video=data_root + '/videos'),
        pipeline=train_pipeline))
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys=dict(
            modality_embed=dict(decay_mult=0.),
        )))
# The reconstruction picture hook is VideoMAE's.
custom_hooks = []
