# CMU-MMAC clips with body-worn IMU for EVI-MAE pretraining (labels unused;
# reference notes multimodal-mae.md sections 2.1 and 6). Layout
# (docs/multimodal_data.md, IMU): one mp4 per clip in
# data/cmummac/videos, one CSV per clip in data/cmummac/imu/<stem>.csv with
# a `timestamp` column (seconds, video time) and the 12 acceleration
# columns named below, a list of clip paths. EVI-MAE's repacked CSVs have
# no such header: their acceleration columns are [1, 8, 15, 5, 12, 19, 3,
# 10, 17, 4, 11, 18] (configs/evi_mae/README.md).
#
# Per sample: 16 frames at stride 4 with VideoMAE's multi-scale crop
# (k400_pretrain.py's train_augment = EVI-MAE's GroupMultiScaleCrop(224,
# [1, .875, .75, .66])); the clip's span of IMU resampled to 320 samples per
# channel. Masks: 90 % of the video tokens and 75 % of the 160 IMU tokens,
# uniformly at random (EVI-MAE re-masks the video at random in its joint
# path).
_base_ = ['./k400_pretrain.py']

data_root = 'data/cmummac/videos'
ann_file_train = 'data/cmummac/pretrain_list.txt'
# Device order as in the notes: left arm, right arm, left leg, right leg.
imu_channels = dict(
    left_arm=['lax', 'lay', 'laz'],
    right_arm=['rax', 'ray', 'raz'],
    left_leg=['llx', 'lly', 'llz'],
    right_leg=['rlx', 'rly', 'rlz'])

train_pipeline = [
    dict(
        type='LoadIMUWindow',
        path_template='{dirname}/../imu/{stem}.csv',
        channels=imu_channels,
        num_samples=320,
        normalize='none',  # the tokenizer normalizes the dB spectrogram
        on_missing='fill',  # dead device: zeros, weight 0, logged
        on_unsorted='sort'),
    *_base_.train_augment,
    dict(
        type='RandomMaskGenerator',
        mask_ratio=0.9,
        patch_size=16,
        tubelet_size=2),
    dict(type='IMURandomMaskGenerator', mask_ratio=0.75, num_tokens=160),
    dict(
        type='PackActionInputs',
        collect_keys=('imgs', 'imu'),
        algorithm_keys=('visible_ids', 'masked_ids', 'imu_visible_ids',
                        'imu_masked_ids', 'imu_presence'))
]
train_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_train,
        data_prefix=dict(video=data_root),
        pipeline=train_pipeline))
