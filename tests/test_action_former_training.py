"""ActionFormer learns: overfitting features that encode their segments,
and the toy demo config trained and tested by the mmengine Runner."""
import json
import os
import os.path as osp

import numpy as np
import torch
from conftest import demo_config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmvmae.datasets import TemporalActionDataset
from mmvmae.evaluation.metrics.tad_map_metric import TADmAPMetric
from mmvmae.registry import MODELS

DEMO = 'actionformer_vit-tiny-p8-features_1xb4-toy_detect'
WINDOW, STRIDE = 16, 4  # the demo's features: 8 frames every 2nd, every 4


def write_features(ann_file: str, out_dir: str, dim: int, num_classes: int,
                   seed: int = 0) -> None:
    """Features that encode the segments of ``ann_file``: for each window,
    the fraction of its frames inside a segment of each class (channels
    0..K-1), plus a little noise; an ``index.json`` as the extractor's."""
    rng = np.random.default_rng(seed)
    with open(ann_file) as f:
        database = json.load(f)['database']
    os.makedirs(out_dir, exist_ok=True)
    videos = {}
    for video_id, video in database.items():
        frames = round(video['duration'] * video['fps'])
        count = (frames - WINDOW) // STRIDE + 1
        coverage = np.zeros((frames, num_classes), np.float32)
        for ann in video['annotations']:
            start, end = (round(t * video['fps']) for t in ann['segment'])
            coverage[start:end, ann['label_id']] = 1
        features = 0.05 * rng.standard_normal((count, dim)).astype(
            np.float32)
        for i in range(count):
            window = coverage[i * STRIDE:i * STRIDE + WINDOW]
            features[i, :num_classes] += window.mean(0)
        np.save(osp.join(out_dir, f'{video_id}.npy'), features)
        videos[video_id] = dict(file=f'{video_id}.npy', num_features=count,
                                num_frames=frames, fps=video['fps'],
                                duration=video['duration'])
    index = dict(format='mmvmae-features/1', feature_dim=dim, window=WINDOW,
                 stride=STRIDE, videos=videos)
    with open(osp.join(out_dir, 'index.json'), 'w') as f:
        json.dump(index, f)


def synthetic_annotations(path: str, num_videos: int, seed: int = 0):
    """Videos of 128 frames at 8 fps with 1-3 segments of 2 classes."""
    rng = np.random.default_rng(seed)
    database = {}
    for v in range(num_videos):
        annotations, frame = [], int(rng.integers(4, 20))
        while frame < 100 and len(annotations) < 3:
            length = int(rng.integers(12, 40))
            end = min(frame + length, 124)
            label = int(rng.integers(0, 2))
            annotations.append(dict(segment=[frame / 8, end / 8],
                                    label=['left', 'right'][label],
                                    label_id=label))
            frame = end + int(rng.integers(8, 24))
        database[f'video{v}'] = dict(subset='training', duration=16.,
                                     fps=8., annotations=annotations)
    with open(path, 'w') as f:
        json.dump(dict(database=database), f)


def test_overfits_features_that_encode_segments(tmp_path):
    init_default_scope('mmvmae')
    torch.manual_seed(0)
    np.random.seed(0)
    ann_file = str(tmp_path / 'ann.json')
    synthetic_annotations(ann_file, num_videos=8)
    write_features(ann_file, str(tmp_path / 'features'), dim=8,
                   num_classes=2)
    dataset = TemporalActionDataset(
        ann_file, str(tmp_path / 'features'),
        [dict(type='LoadTemporalFeatures'), dict(type='PackTemporalInputs')],
        test_mode=True)
    model = MODELS.build(dict(
        type='ActionFormer',
        backbone=dict(type='TemporalConvTransformer', in_channels=8,
                      embed_dims=32, num_heads=4, arch=(1, 1, 3),
                      window_size=9, drop_path_rate=0.,
                      layer_scale_init=None, max_seq_len=32),
        neck=dict(type='IdentityFPN', in_channels=32, num_levels=4),
        cls_head=dict(type='TemporalClsHead', in_channels=32,
                      feat_channels=32, num_classes=2),
        reg_head=dict(type='TemporalRegHead', in_channels=32,
                      feat_channels=32, num_levels=4),
        regression_ranges=[(0, 4), (4, 8), (8, 16), (16, 10000)],
        loss_normalizer=dict(init_value=20.),
        data_preprocessor=dict(type='TemporalFeaturePreprocessor',
                               max_seq_len=32, size_divisor=8)))
    items = [dataset[i] for i in range(len(dataset))]
    data = model.data_preprocessor(
        dict(inputs=[x['inputs'] for x in items],
             data_samples=[x['data_samples'] for x in items]), True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3)
    for _ in range(50):
        losses = model(**data, mode='loss')
        optimizer.zero_grad()
        sum(losses.values()).backward()
        optimizer.step()
    model.eval()
    predicted = model(**data, mode='predict')
    metric = TADmAPMetric(ann_file=ann_file, subset='training',
                          tiou_thresholds=[0.5, 0.7])
    metric.dataset_meta = dataset.metainfo
    metric.process(None, predicted)
    result = metric.compute_metrics(metric.results)
    assert result['mAP@0.50'] > 0.9, result
    assert result['mAP@0.70'] > 0.8, result


def test_demo_config_trains_and_tests(toy_det_data, tmp_path):
    """The demo config on the toy detection videos, with features that
    encode the segments in place of extracted ones."""
    root = toy_det_data['root']
    with open(toy_det_data['classes']) as f:
        num_classes = len(f.read().split())
    feature_dir = osp.join(str(tmp_path), 'features')
    write_features(toy_det_data['tad_json'], feature_dir, dim=96,
                   num_classes=num_classes)
    cfg = demo_config(DEMO, root, str(tmp_path / 'work'), **{
        'train_cfg.max_epochs': 20, 'train_cfg.val_interval': 20,
        'default_hooks.checkpoint.interval': 20})
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        dataset.pop('data_prefix')
        dataset.update(ann_file=toy_det_data['tad_json'],
                       classes_file=toy_det_data['classes'],
                       feature_dir=feature_dir)
    for evaluator in ('val_evaluator', 'test_evaluator'):
        cfg[evaluator].update(ann_file=toy_det_data['tad_json'],
                              classes=toy_det_data['classes'])
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    assert set(metrics) >= {'tad/mAP', 'tad/mAP@0.50'}
    assert metrics['tad/mAP@0.50'] > 0.3, metrics
    assert osp.isfile(osp.join(str(tmp_path / 'work'), 'epoch_20.pth'))

