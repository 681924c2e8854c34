# ActionFormer on THUMOS14 with VideoMAE V2-g features, as VideoMAE V2's
# docs/TAD.md: the THUMOS14 I3D recipe with its features replaced by the
# mean-pooled tokens of the K710-fine-tuned ViT-g over 16 consecutive frames
# every 4 frames, frames resized to 224x224 without cropping (1408-d).
# Reported: 69.6 average mAP (tIoU 0.3:0.1:0.7). Not reproduced with mmvmae;
# V2 does not publish its ActionFormer config, so the I3D one is assumed.
#
# Features (index.json records window 16 / stride 4):
#   python tools/misc/extract_features.py \
#     configs/videomaev2/videomaev2_vit-giant-p14_32xb3-35e_k400-finetune.py \
#       <ViT-g fine-tuned checkpoint> data/thumos/annotations/thumos14.json \
#       --video-root data/thumos/videos \
#       --out-dir data/thumos/videomaev2_vit-giant-p14_features \
#       --clip-len 16 --frame-interval 1 --stride 4 --resize square \
#       --tail drop
# (V2's own extract_tad_feature.py uses the K710 checkpoint; the K400
# fine-tune config only describes the encoder.)
_base_ = ['./actionformer_i3d_1xb2-35e_thumos14-detect.py']

feature_dim = 1408
features = dict(
    feature_dir='data/thumos/videomaev2_vit-giant-p14_features',
    index_file='index.json',
    feature_dim=feature_dim,
    length_tolerance=2)
model = dict(backbone=dict(in_channels=feature_dim))
train_dataloader = dict(dataset=features)
val_dataloader = dict(dataset=features)
test_dataloader = val_dataloader
