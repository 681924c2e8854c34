"""ActionFormer configs: their feature pipelines run on a synthetic feature
file, widths and class counts agree, and each benchmark is evaluated at
its reference tIoU thresholds (tests/test_configs.py builds the models)."""
import copy
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmvmae.registry import TRANSFORMS

CONFIG_ROOT = Path(__file__).resolve().parents[1] / 'configs'
CONFIGS = sorted((CONFIG_ROOT / 'actionformer').glob('*.py')) + sorted(
    (CONFIG_ROOT / 'demo').glob('actionformer_*.py'))
TIOUS = {
    'thumos14': [0.3, 0.4, 0.5, 0.6, 0.7],
    'anet13': [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95],
    'ego4dmq': [0.1, 0.2, 0.3, 0.4, 0.5],
    'epic100verb': [0.1, 0.2, 0.3, 0.4, 0.5],
    'epic100noun': [0.1, 0.2, 0.3, 0.4, 0.5],
}
CLASSES = {'thumos14': 20, 'anet13': 1, 'ego4dmq': 110, 'epic100verb': 97,
           'epic100noun': 300}


def synthetic_video(tmp_path, dataset, length: int) -> dict:
    """What TemporalActionDataset gives for a video of ``length`` features
    stored in the config's file format (``.npz`` or ``.npy``)."""
    dim = dataset.feature_dim
    features = np.random.default_rng(0).random((length, dim), np.float32)
    suffix = dataset.get('feature_suffix', '.npy')
    path = str(tmp_path / f'video{suffix}')
    if suffix == '.npz':
        np.savez(path, feats=features)
    else:
        np.save(path, features)
    window = dataset.get('feature_window', 16)
    stride = dataset.get('feature_stride', 4)
    fps = dataset.get('feature_fps') or 30.
    duration = ((length - 1) * stride + window) / fps
    return dict(video_id='video', feature_path=path, fps=fps,
                duration=duration, feature_window=float(window),
                feature_stride=float(stride), feature_start=0,
                num_features=length, feature_dim=dim,
                gt_segments=np.array([[0.2, 0.4], [0.5, 0.9]], np.float32) *
                duration, gt_labels=np.array([0, 0]))


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('mmvmae')


@pytest.mark.parametrize('path', CONFIGS, ids=[p.name for p in CONFIGS])
def test_feature_pipelines_run(path, tmp_path):
    cfg = Config.fromfile(str(path))
    max_seq_len = cfg.model.data_preprocessor.max_seq_len
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[name].dataset
        assert dataset.type == 'TemporalActionDataset', name
        assert dataset.feature_dim == cfg.model.backbone.in_channels, name
        assert cfg[name].collate_fn.type == 'pseudo_collate', name
        length = max_seq_len + 16  # longer: truncated in training
        results = synthetic_video(tmp_path, dataset, length)
        for transform in dataset.pipeline:
            results = TRANSFORMS.build(copy.deepcopy(transform))(results)
        steps = results['inputs'].shape[-1]
        assert results['inputs'].shape[0] == dataset.feature_dim
        resized = any(t.type == 'ResizeTemporalFeatures'
                      for t in dataset.pipeline)
        if name == 'train_dataloader':
            assert not dataset.get('test_mode', False)
            # resized to max_seq_len, then randomly cropped (crop_ratio)
            assert (round(0.9 * max_seq_len) <= steps <= max_seq_len
                    if resized else steps == max_seq_len)
        else:
            assert dataset.test_mode
            assert steps == (max_seq_len if resized else length)
        assert results['data_samples'].metainfo['num_features'] == steps


@pytest.mark.parametrize(
    'path', [p for p in CONFIGS if p.parent.name == 'actionformer'],
    ids=lambda p: p.name)
def test_benchmark_settings(path):
    cfg = Config.fromfile(str(path))
    benchmark = path.stem.rsplit('_', 1)[1].split('-')[0]
    assert cfg.val_evaluator.type == 'TADmAPMetric'
    assert list(cfg.val_evaluator.tiou_thresholds) == TIOUS[benchmark]
    assert cfg.model.cls_head.num_classes == CLASSES[benchmark]
    levels = cfg.model.backbone.arch[2] + 1
    assert len(cfg.model.regression_ranges) == levels
    assert cfg.model.neck.num_levels == cfg.model.reg_head.num_levels == (
        levels)
    # the reference pads test inputs to its max_div_factor
    windows = cfg.model.backbone.window_size
    windows = windows if isinstance(windows, list) else [windows] * levels
    factor = max(2**level * (w // 2) * 2 if w > 1 else 2**level
                 for level, w in enumerate(windows))
    assert cfg.model.data_preprocessor.size_divisor == factor
    assert cfg.model.data_preprocessor.max_seq_len % factor == 0
