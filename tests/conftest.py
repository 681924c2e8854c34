"""Shared fixtures: tiny models, a tiny toy video set and config helpers."""
import importlib
import os.path as osp
import sys
import uuid

import mmvmae  # noqa: F401  (shims and registries before anything else)
import numpy as np
import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED = osp.join(osp.dirname(REPO_ROOT), 'shared')
FIXTURES = osp.join(SHARED, 'fixtures', 'mmaction2')
DEMO = osp.join(REPO_ROOT, 'configs', 'demo')

init_default_scope('mmvmae')


def tiny_videomae(**overrides) -> dict:
    """Config of a tiny VideoMAE: 4 frames x 32x32, patch 16 (8 tokens)."""
    cfg = dict(
        type='VideoMAE',
        backbone=dict(
            type='VideoViT',
            arch=dict(embed_dims=32, depth=2, num_heads=2),
            img_size=32,
            num_frames=4,
            use_mean_pooling=False),
        neck=dict(
            type='MAEDecoder',
            in_dims=32,
            embed_dims=16,
            depth=1,
            num_heads=2,
            out_dims=2 * 16 * 16 * 3),
        head=dict(type='PixelReconstructionHead'))
    for key, value in overrides.items():
        cfg[key].update(value)
    return cfg


def mask_samples(visible, masked, decoder=None) -> list:
    """ActionDataSamples carrying the given per-sample index arrays."""
    samples = []
    for i in range(len(visible)):
        sample = ActionDataSample()
        sample.set_field(np.asarray(visible[i]), 'visible_ids')
        sample.set_field(np.asarray(masked[i]), 'masked_ids')
        if decoder is not None:
            sample.set_field(np.asarray(decoder[i]), 'decoder_ids')
        samples.append(sample)
    return samples


def random_masks(batch: int, num_tokens: int, num_visible: int,
                 seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    visible, masked = [], []
    for _ in range(batch):
        perm = rng.permutation(num_tokens)
        visible.append(np.sort(perm[:num_visible]))
        masked.append(np.sort(perm[num_visible:]))
    return visible, masked


def load_toy_generator(name: str = 'generate_toy_dataset'):
    if REPO_ROOT not in sys.path:
        sys.path.insert(0, REPO_ROOT)
    return importlib.import_module(f'data_preparation.toy.{name}')


@pytest.fixture(scope='session')
def toy_data(tmp_path_factory) -> str:
    """A tiny toy set (8 train / 4 val videos, 64x64, 16 frames)."""
    out = str(tmp_path_factory.mktemp('toy'))
    load_toy_generator().generate(
        out, num_train=8, num_val=4, size=64, frames=16, seed=0,
        num_classes=4, progress=False)
    return out


@pytest.fixture(scope='session')
def toy_det_data(tmp_path_factory) -> dict:
    """A small toy detection set: 6 train / 4 val long videos (64x64,
    8 fps, 96-160 frames) with the AVA copy; the paths of
    ``generate_toy_detection.output_paths`` (``root``, ``video_dir``,
    ``tad_json``, ``classes``, ``tracks_dir``, ``ava_*``, ``meta``)."""
    out = str(tmp_path_factory.mktemp('toy_det'))
    return load_toy_generator('generate_toy_detection').generate(
        out, num_train=6, num_val=4, seed=0, progress=False)


def demo_config(name: str, toy_root: str, work_dir: str, **options) -> Config:
    """A demo config pointed at ``toy_root``, small and single-process."""
    path = name if name.endswith('.py') else osp.join(DEMO, name + '.py')
    cfg = Config.fromfile(path)
    cfg.work_dir = work_dir
    cfg.experiment_name = f'{osp.basename(path)}_{uuid.uuid4().hex[:8]}'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if loader not in cfg:
            continue
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
        dataset = cfg[loader].dataset
        dataset.ann_file = osp.join(toy_root,
                                    osp.basename(dataset.ann_file))
        dataset.data_prefix = dict(video=osp.join(toy_root, 'videos'))
    cfg.default_hooks.logger.interval = 1
    cfg.merge_from_dict(options)
    return cfg


@pytest.fixture
def seeded():
    torch.manual_seed(0)
    np.random.seed(0)
