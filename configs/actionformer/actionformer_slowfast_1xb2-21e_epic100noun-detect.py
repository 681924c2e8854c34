# ActionFormer on EPIC-Kitchens 100 nouns with SlowFast features
# (actionformer_release configs/epic_slowfast_noun.yaml): the verb config
# with the noun annotations, 300 classes and label smoothing 0.1.
# Reported: 21.88 average mAP (25.21 / 24.11 / 22.66 / 20.47 / 16.97);
# OpenTAD 22.33. Not reproduced with mmvmae.
_base_ = ['./actionformer_slowfast_1xb2-21e_epic100verb-detect.py']

ann_file = 'data/epic_kitchens/annotations/epic_kitchens_100_noun.json'
model = dict(cls_head=dict(num_classes=300), label_smoothing=0.1)
train_dataloader = dict(dataset=dict(ann_file=ann_file))
val_dataloader = dict(dataset=dict(ann_file=ann_file))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=ann_file)
test_evaluator = val_evaluator
