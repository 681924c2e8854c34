# Something-Something V2 fine-tuning and testing, VideoMAE recipe (reference
# notes section 1.5): as k400_finetune.py but TSN-style segment sampling
# (16 segments, one frame each), **no flip** (labels such as "pushing
# something from left to right" change under a flip), and 2 clips x 3 crops
# at test. Lists and folders as made by data_preparation/sthv2 (`--ext mp4`
# after the recommended re-encode).
_base_ = ['./k400_finetune.py']

num_classes = 174
data_root = 'data/sthv2/videos_320p'
data_root_val = data_root
ann_file_train = 'data/sthv2/sthv2_train_list_videos.txt'
ann_file_val = 'data/sthv2/sthv2_val_list_videos.txt'
ann_file_test = ann_file_val

data_preprocessor = dict(
    blending=dict(augments=[
        dict(type='MixupBlending', num_classes=num_classes, alpha=0.8),
        dict(type='CutmixBlending', num_classes=num_classes, alpha=1.0)
    ]))
train_pipeline = [
    dict(type='RandomRescale', scale_range=(256, 320)),
    dict(type='RandomResizedCrop'),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    _base_.rand_augment,
    _base_.random_erasing,
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
# `_delete_` drops the keys of the SampleFrames of the base.
clip_sampler = dict(
    _delete_=True, type='UniformSample', clip_len=16, num_clips=1)
train_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_train,
        data_prefix=dict(video=data_root),
        sampler=clip_sampler,
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_val,
        data_prefix=dict(video=data_root_val),
        sampler=dict(clip_sampler, test_mode=True)))
test_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_test,
        data_prefix=dict(video=data_root_val),
        sampler=dict(clip_sampler, num_clips=2, test_mode=True)))
