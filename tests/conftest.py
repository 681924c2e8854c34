"""Shared fixtures: tiny models, a tiny toy video set and config helpers."""
import datetime
import faulthandler
import importlib
import os.path as osp
import sys
import time
import uuid

import mmvmae  # noqa: F401  (shims and registries before anything else)
import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch.nn.parallel import DistributedDataParallel

from mmvmae.utils.benchmark import load_sibling_tool

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


def feature_pairs(batch: int = 6, dims: int = 5, seed: int = 0) -> tuple:
    """Two seeded random (batch, dims) feature tensors, e.g. two views'
    embeddings for a contrastive loss."""
    generator = torch.Generator().manual_seed(seed)
    return (torch.randn(batch, dims, generator=generator),
            torch.randn(batch, dims, generator=generator))


def refuse_full_patch_embedding(monkeypatch) -> list:
    """Make ``TubeletEmbed.forward`` (every tubelet of a clip) fail and
    return the list the (B, K) shapes of ``forward_selected`` calls go to."""
    from mmvmae.models.layers.tubelet_embed import TubeletEmbed

    def refused(self, x):
        raise AssertionError('the whole clip was patch-embedded')

    embedded, selected = [], TubeletEmbed.forward_selected
    monkeypatch.setattr(TubeletEmbed, 'forward', refused)
    monkeypatch.setattr(
        TubeletEmbed, 'forward_selected',
        lambda self, x, ids: embedded.append(tuple(ids.shape)) or selected(
            self, x, ids))
    return embedded


RANK_TIMEOUT_S = 300


def spawn_ranks(fn, args: tuple, nprocs: int = 2,
                timeout_s: float = RANK_TIMEOUT_S) -> None:
    """``mp.spawn`` that fails instead of hanging: if the ranks have not
    all finished after ``timeout_s`` seconds they are terminated and the
    test fails, naming the ranks still running."""
    context = mp.spawn(fn, args=args, nprocs=nprocs, join=False)
    deadline = time.monotonic() + timeout_s
    while not context.join(timeout=max(0., deadline - time.monotonic())):
        if time.monotonic() >= deadline:
            alive = [rank for rank, process in enumerate(context.processes)
                     if process.is_alive()]
            for process in context.processes:
                process.terminate()
            pytest.fail(f'ranks {alive} of {nprocs} still running after '
                        f'{timeout_s:.0f} s: terminated')


def _ddp_rank(rank, world, init_file, out_dir, build_model, global_batch):
    """One gloo rank of :func:`check_two_ranks_equal_one_process`."""
    # a rank stuck for 4 minutes prints its stacks and exits (spawn_ranks
    # fails the test a minute later, naming it)
    faulthandler.dump_traceback_later(240, exit=True)
    dist.init_process_group('gloo', init_method=f'file://{init_file}',
                            rank=rank, world_size=world,
                            timeout=datetime.timedelta(seconds=120))
    inputs = global_batch()
    rows = slice(rank * len(inputs[0]) // world,
                 (rank + 1) * len(inputs[0]) // world)
    inputs = [tensor[rows].clone() for tensor in inputs]
    inputs[0].requires_grad_()
    model = DistributedDataParallel(build_model())
    loss = model(*inputs)
    loss.backward()
    mean_loss = loss.detach().clone()
    dist.all_reduce(mean_loss)
    torch.save(
        dict(loss=mean_loss / world, input_grad=inputs[0].grad,
             grads={n: p.grad for n, p in model.module.named_parameters()}),
        osp.join(out_dir, f'rank{rank}.pth'))
    # free DDP (its reducer holds the process group) before the group
    del model, loss
    dist.destroy_process_group()


def check_two_ranks_equal_one_process(tmp_path, build_model,
                                      global_batch) -> None:
    """Train ``build_model()`` (seeded, returns a scalar loss) under DDP
    on 2 gloo ranks, each with its half of ``global_batch()`` (a tuple of
    tensors; the first gets an input gradient), and check it against one
    process on the whole batch: the mean of the ranks' losses is the
    full-batch loss, DDP's averaged parameter gradients are the full
    batch's, and each rank's input gradient is d(sum of the ranks'
    losses)/dx = 2 x the full batch's rows. ``build_model`` and
    ``global_batch`` must be module-level (the ranks are spawned)."""
    spawn_ranks(_ddp_rank, (2, str(tmp_path / 'store'), str(tmp_path),
                            build_model, global_batch))
    inputs = global_batch()
    inputs[0].requires_grad_()
    model = build_model()
    loss = model(*inputs)
    loss.backward()
    half = len(inputs[0]) // 2
    for rank in range(2):
        result = torch.load(tmp_path / f'rank{rank}.pth', weights_only=True)
        torch.testing.assert_close(result['loss'], loss.detach())
        for name, param in model.named_parameters():
            torch.testing.assert_close(result['grads'][name], param.grad,
                                       msg=name)
        torch.testing.assert_close(
            result['input_grad'],
            2 * inputs[0].grad[rank * half:(rank + 1) * half])


def load_script(path: str):
    """Import the script ``REPO_ROOT/path`` (the tools are not a package)
    as a module, once per process."""
    name = osp.splitext(osp.basename(path))[0]
    return load_sibling_tool(osp.join(REPO_ROOT, path), name)


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
