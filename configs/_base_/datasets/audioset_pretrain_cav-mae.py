# AudioSet videos for CAV-MAE pretraining (labels unused; reference notes
# multimodal-mae.md sections 1.1, 1.2 and 6). Layout (docs/
# multimodal_data.md, Audio): videos in data/audioset/videos, one 16 kHz
# mono FLAC per video in data/audioset/audio (ffmpeg -i videos/<id>.mp4
# -vn -ac 1 -ar 16000 audio/<id>.flac), a list of video paths.
#
# Per sample: one frame drawn at random from the whole video (CAV-MAE draws
# one of 10 frames extracted evenly over the 10 s clip), short side resized
# to 224 (bicubic) and centre-cropped; the 10 s of audio around it (the
# whole clip), fbank 1024 x 128 normalized with CAV-MAE's AudioSet
# statistics (-5.081 / 4.4849, no x2), no SpecAugment at pretraining.
# Masks: 75 % of the frame's 196 patches and 75 % of the fbank's 512
# patches, uniformly at random (CAV-MAE's 'unstructured' mode).
data_root = 'data/audioset/videos'
ann_file_train = 'data/audioset/train_list.txt'

train_pipeline = [
    dict(
        type='LoadAudioWindow',
        sample_rate=16000,
        path_template='{dirname}/../audio/{stem}.flac',
        duration=10.,
        on_missing='fill',  # weight 0 in the audio losses, logged
        on_short='pad'),  # clips under 10 s: zero-padded, as CAV-MAE
    dict(
        type='AudioFbank',
        num_mel_bins=128,
        target_length=1024,
        norm='cavmae',
        freq_mask=0,
        time_mask=0),
    dict(type='Resize', scale=(-1, 224), interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(
        type='RandomMaskGenerator',
        mask_ratio=0.75,
        patch_size=16,
        tubelet_size=1),
    dict(
        type='SpectrogramRandomMaskGenerator',
        mask_ratio=0.75,
        patch_size=16,
        layout='ft'),
    dict(
        type='PackActionInputs',
        collect_keys=('imgs', 'audios'),
        algorithm_keys=('visible_ids', 'masked_ids', 'audio_visible_ids',
                        'audio_masked_ids', 'audios_present'))
]
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='VideoClipDataset',
        ann_file=ann_file_train,
        data_prefix=dict(video=data_root),
        sampler=dict(
            type='SampleFrames', clip_len=1, frame_interval=1,
            num_clips=1),
        pipeline=train_pipeline))
