# Something-Something V2 train videos for VideoMAE pretraining: as
# k400_pretrain.py but 16 frames at stride 2 (reference notes section 1.4).
# Lists and folders as made by data_preparation/sthv2 (`--ext mp4` after
# the recommended re-encode).
_base_ = ['./k400_pretrain.py']

data_root = 'data/sthv2/videos_320p'
ann_file_train = 'data/sthv2/sthv2_train_list_videos.txt'
train_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_train,
        data_prefix=dict(video=data_root),
        sampler=dict(frame_interval=2)))
