# ActionFormer on THUMOS14 with two-stream I3D features (actionformer_release
# configs/thumos_i3d.yaml): 2048-d features of 16-frame clips every 4 frames
# at the video frame rate (~30 fps), trained on the 200 validation videos
# and tested on the 213 test videos, mAP at tIoU 0.3:0.1:0.7.
# Reported: 66.83 average mAP (82.13 / 77.80 / 70.95 / 59.40 / 43.87);
# OpenTAD's re-implementation 68.44. Not reproduced with mmvmae.
#
# Data: the reference's thumos.tar.gz unpacked as
#   data/thumos/annotations/thumos14.json
#   data/thumos/i3d_features/<video_id>.npy   (num_features, 2048)
# (features without an index.json: window / stride / fps given here).
_base_ = [
    '../_base_/models/actionformer.py',
    '../_base_/datasets/temporal_action_features.py',
    '../_base_/schedules/actionformer_adamw_cosine.py'
]

data_root = 'data/thumos'
ann_file = data_root + '/annotations/thumos14.json'
feature_dir = data_root + '/i3d_features'
max_seq_len = 2304
features = dict(
    ann_file=ann_file,
    feature_dir=feature_dir,
    index_file=None,
    feature_window=16,
    feature_stride=4,
    feature_dim=2048,
    # The exact feature count of the released features per video is not
    # known here; allow a few windows either way (about 2 s).
    length_tolerance=16)

train_pipeline = [
    dict(type='LoadTemporalFeatures'),
    dict(type='RandomFeatureTruncation', max_seq_len=max_seq_len,
         trunc_thresh=0.5, crop_ratio=(0.9, 1.0)),
    dict(type='PackTemporalInputs')
]
# Trained on the validation videos, tested on the test videos.
train_dataloader = dict(
    dataset=dict(subset='validation', pipeline=train_pipeline, **features))
val_dataloader = dict(dataset=dict(subset='test', **features))
test_dataloader = val_dataloader
val_evaluator = dict(
    ann_file=ann_file,
    subset='test',
    tiou_thresholds=[0.3, 0.4, 0.5, 0.6, 0.7])
test_evaluator = val_evaluator
