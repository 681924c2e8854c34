# Ego-Only stage 4 on Ego4D Moment Queries: ActionFormer's Ego4D recipe
# (actionformer_egovlp_1xb2-15e_ego4dmq-detect.py: 110 classes, 8 pyramid
# levels, Soft-NMS sigma 0.9, mAP at tIoU 0.1:0.1:0.5) on the features of
# the stage-2 segmentation fine-tune instead of EgoVLP's: 768-d mean-pooled
# tokens of ViT-B/16 over 16 frames at interval 2 (32 source frames), one
# every 16 frames of the 30 fps videos, i.e. ActionFormer's Ego4D grid.
# [unverified]: the paper's exact detector settings could not be read;
# not trained with mmvmae (see configs/ego_only/README.md).
#
# Features (index.json records window 32 / stride 16):
#   python tools/misc/extract_features.py \
#       configs/ego_only/ego-only_vit-base-p16_8xb8-20e_ego4d-finetune.py \
#       work_dirs/ego-only_vit-base-p16_8xb8-20e_ego4d-finetune/epoch_20.pth \
#       data/ego4d/annotations/ego4d.json --video-root data/ego4d/videos \
#       --out-dir data/ego4d/ego-only_vit-base-p16_features \
#       --clip-len 16 --frame-interval 2 --stride 16
_base_ = ['../actionformer/actionformer_egovlp_1xb2-15e_ego4dmq-detect.py']

feature_dim = 768
features = dict(
    feature_dir='data/ego4d/ego-only_vit-base-p16_features',
    index_file='index.json',
    feature_window=None,
    feature_stride=None,
    feature_fps=None,
    feature_dim=feature_dim)
model = dict(backbone=dict(in_channels=feature_dim))
train_dataloader = dict(dataset=features)
val_dataloader = dict(dataset=features)
test_dataloader = val_dataloader
