# Ego-Only stage 1: VideoMAE pretraining of ViT-B/16 on Ego4D videos only
# (no exocentric data, no labels). The recipe is VideoMAE's Kinetics one
# (tube masking 0.9, 16 frames at stride 4, 800 epochs, base lr 1.5e-4);
# the paper's own pretraining settings could not be retrieved here and are
# [unverified] (configs/ego_only/README.md).
# Fine-tuned by:
#   configs/ego_only/ego-only_vit-base-p16_8xb8-20e_ego4d-finetune.py
#   configs/ego_only/ego-only_vit-base-p16_8xb8-20e_epic100-finetune-ego4dpt.py
# Detected by (features of the segmentation fine-tune):
#   configs/ego_only/ego-only_vit-base-p16-features_1xb2-15e_ego4dmq-detect.py
_base_ = [
    '../_base_/models/videomae_vit-base-p16.py',
    '../_base_/datasets/k400_pretrain.py',
    '../_base_/schedules/pretrain_adamw_800e.py'
]

# A list of Ego4D videos (one `path` per line, no label), e.g. the 5-minute
# canonical clips; one random 16-frame clip per video per epoch.
data_root = 'data/ego4d/clips'
ann_file_train = 'data/ego4d/ego4d_pretrain_list_videos.txt'

# 64 GPUs x 32 videos = 2048: lr = 1.5e-4 x 2048 / 256.
train_dataloader = dict(
    batch_size=32,
    dataset=dict(ann_file=ann_file_train, data_prefix=dict(video=data_root)))
optim_wrapper = dict(optimizer=dict(lr=1.5e-4 * 2048 / 256))
auto_scale_lr = dict(base_batch_size=2048)
