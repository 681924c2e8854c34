# UCF101 (split 1 train) for VideoMAE pretraining without extra data: as
# k400_pretrain.py (16 frames at stride 4) but tube masking at 0.75
# (reference notes section 1.4). Lists and folders as made by
# data_preparation/ucf101 (`--ext mp4` after the optional re-encode; use
# `data/ucf101/UCF-101` and the `.avi` lists otherwise).
_base_ = ['./k400_pretrain.py']

data_root = 'data/ucf101/videos_320p'
ann_file_train = 'data/ucf101/ucf101_train_split_1_videos.txt'
train_pipeline = _base_.train_augment + [
    dict(
        type='TubeMaskGenerator',
        mask_ratio=0.75,
        patch_size=16,
        tubelet_size=2),
    dict(
        type='PackActionInputs',
        algorithm_keys=('visible_ids', 'masked_ids'))
]
train_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_train,
        data_prefix=dict(video=data_root),
        pipeline=train_pipeline))
