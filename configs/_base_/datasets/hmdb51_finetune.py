# HMDB51 (split 1) fine-tuning and testing: the Kinetics-400 recipe of
# k400_finetune.py (16 frames at stride 4, flip, 5 clips x 3 crops at test)
# with 51 classes. Lists and folders as made by data_preparation/hmdb51
# (`--ext mp4` after the optional re-encode; use `data/hmdb51/videos` and
# the `.avi` lists otherwise). Other splits: replace `split_1`.
_base_ = ['./k400_finetune.py']

num_classes = 51
data_root = 'data/hmdb51/videos_320p'
data_root_val = data_root
ann_file_train = 'data/hmdb51/hmdb51_train_split_1_videos.txt'
ann_file_val = 'data/hmdb51/hmdb51_val_split_1_videos.txt'
ann_file_test = ann_file_val

data_preprocessor = dict(
    blending=dict(augments=[
        dict(type='MixupBlending', num_classes=num_classes, alpha=0.8),
        dict(type='CutmixBlending', num_classes=num_classes, alpha=1.0)
    ]))
train_dataloader = dict(
    dataset=dict(ann_file=ann_file_train, data_prefix=dict(video=data_root)))
val_dataloader = dict(
    dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=data_root_val)))
test_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_test, data_prefix=dict(video=data_root_val)))
