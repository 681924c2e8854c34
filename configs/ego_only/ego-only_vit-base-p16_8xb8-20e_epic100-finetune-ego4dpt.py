# Ego-Only stage 2 on EPIC-Kitchens-100: per-frame temporal segmentation of
# the 97 verb classes, from the Ego4D-pretrained ViT-B/16 (egocentric data
# only). Same recipe as the Ego4D fine-tuning; the paper's settings could
# not be retrieved here: every value is [unverified] (README.md). For the
# 300 noun classes, point `ann_file` at the noun JSON and set
# `num_classes = 300` (model.head and the three datasets).
# Consumes the checkpoint of
# configs/ego_only/ego-only_vit-base-p16_64xb32-800e_ego4d-pretrain.py.
_base_ = ['./ego-only_vit-base-p16_8xb8-20e_ego4d-finetune.py']

num_classes = 97
# EPIC-Kitchens-100 action segments converted to the ActionFormer JSON
# (verb_class as label_id; subsets 'training' / 'validation') and the
# videos re-encoded at 30 fps, as ActionFormer's EPIC features assume.
ann_file = 'data/epic_kitchens/annotations/epic_kitchens_100_verb_tad.json'
video_root = 'data/epic_kitchens/videos_30fps'

model = dict(head=dict(num_classes=num_classes))
data = dict(
    ann_file=ann_file,
    num_classes=num_classes,
    data_prefix=dict(video=video_root))
train_dataloader = dict(dataset=data)
val_dataloader = dict(dataset=data)
test_dataloader = val_dataloader
