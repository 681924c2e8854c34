# Temporal action detection on pre-extracted features (TemporalActionDataset)
# as the ActionFormer recipes load them: batches of 2 for training and 1 for
# evaluation, 4 persistent workers, pseudo_collate, the TAD mAP metric.
# A config adds its dataset's feature settings (ann_file, feature_dir,
# feature_window, ...), the train pipeline (which needs its max_seq_len) and
# the metric's tIoU thresholds; it restates `test_dataloader =
# val_dataloader` and `test_evaluator = val_evaluator` after changing them.
test_pipeline = [
    dict(type='LoadTemporalFeatures'),
    dict(type='PackTemporalInputs')
]
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='TemporalActionDataset', subset='training'))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='TemporalActionDataset',
        subset='validation',
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='TADmAPMetric')
test_evaluator = val_evaluator
