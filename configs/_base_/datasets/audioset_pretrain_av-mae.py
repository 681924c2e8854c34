# AudioSet videos for AV-MAE pretraining (labels unused; reference notes
# multimodal-mae.md sections 1.4 and 6). Same layout as CAV-MAE's
# (audioset_pretrain_cav-mae.py): videos, one 16 kHz mono FLAC per video,
# a list of video paths. AV-MAE reads frames and log-mel spectrograms from
# DMVR TFRecords instead; mmvmae decodes the videos.
#
# Per sample: 16 frames at stride 4, cropped as VideoMAE pretraining does
# (k400_pretrain.py's train_augment: the notes say only "224 crop"), the
# 10 s of audio around the clip as a Kaldi fbank of 128 bins at 100
# frames/s, zero-padded to 1024 frames (AV-MAE: 1000 x 128; 1000 frames
# are not a multiple of the 16-frame patch here) and normalized with the
# AudioSet fbank statistics of Audio-MAE ('audiomae'); AV-MAE's own
# pretraining normalization is not in the notes. Masks: 90 % of the video
# tokens and 70 % of the spectrogram patches, uniformly at random (the
# notes give the ratios, not the mask shape).
_base_ = ['./k400_pretrain.py']

data_root = 'data/audioset/videos'
ann_file_train = 'data/audioset/train_list.txt'

train_pipeline = [
    dict(
        type='LoadAudioWindow',
        sample_rate=16000,
        path_template='{dirname}/../audio/{stem}.flac',
        duration=10.,
        on_missing='fill',
        on_short='pad'),
    dict(
        type='AudioFbank',
        num_mel_bins=128,
        target_length=1024,
        norm='audiomae'),
    *_base_.train_augment,
    dict(
        type='RandomMaskGenerator',
        mask_ratio=0.9,
        patch_size=16,
        tubelet_size=2),
    dict(
        type='SpectrogramRandomMaskGenerator',
        mask_ratio=0.7,
        patch_size=16,
        layout='tf'),
    dict(
        type='PackActionInputs',
        collect_keys=('imgs', 'audios'),
        algorithm_keys=('visible_ids', 'masked_ids', 'audio_visible_ids',
                        'audio_masked_ids', 'audios_present'))
]
train_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_train,
        data_prefix=dict(video=data_root),
        pipeline=train_pipeline))
