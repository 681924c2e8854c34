"""Distributed defaults and engines: 2-process gloo DDP with the default
wrapper settings, runner selection for FSDP / DeepSpeed configs, and the
clear errors of a missing strategy package."""
import glob
import importlib.util
import os
import os.path as osp
import re
import socket

import pytest
import torch
from conftest import REPO_ROOT, demo_config, spawn_ranks
from mmengine.config import Config

from mmvmae.utils import cli

PRETRAIN = 'videomae_vit-tiny-p8_1xb8-toy_pretrain'
SCHEDULE = osp.join(REPO_ROOT, 'configs', '_base_', 'schedules',
                    'pretrain_adamw_800e.py')
# Engine children (`...-fsdp-...` / `...-zero2-...`) and the strategy each
# must use; the DDP parent is the `_base_` the child names.
ENGINES = {'fsdp': 'FSDPStrategy', 'zero2': 'DeepSpeedStrategy'}
STRATEGY_CONFIGS = sorted(
    osp.relpath(path, osp.join(REPO_ROOT, 'configs'))
    for engine in ENGINES
    for path in glob.glob(
        osp.join(REPO_ROOT, 'configs', '**', f'*-{engine}-*.py'),
        recursive=True))
HAS_DEEPSPEED = importlib.util.find_spec('deepspeed') is not None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def ddp_rank(rank, world, port, toy_root, out_dir):
    """Train the toy demo for one epoch (2 iterations) on one rank with the
    DDP settings of the VideoMAE pretraining configs; save what ran."""
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank),
                      WORLD_SIZE=str(world), MASTER_ADDR='127.0.0.1',
                      MASTER_PORT=str(port))
    torch.set_num_threads(1)
    cfg = demo_config(PRETRAIN, toy_root, out_dir, **{
        'train_cfg.max_epochs': 1, 'train_dataloader.batch_size': 2,
        'custom_hooks': [], 'default_hooks.checkpoint.interval': 100})
    cfg.launcher = 'pytorch'
    cfg.env_cfg.dist_cfg.backend = 'gloo'
    cfg.env_cfg.dist_cfg.timeout = 120
    cfg.model_wrapper_cfg = Config.fromfile(SCHEDULE).model_wrapper_cfg
    runner = cli.build_runner(cfg)
    initial = {
        name: param.detach().clone()
        for name, param in runner.model.module.named_parameters()
    }
    runner.train()
    ddp = runner.model
    torch.save(
        dict(
            wrapper=type(ddp).__name__,
            static_graph=ddp.static_graph,
            gradient_as_bucket_view=ddp.gradient_as_bucket_view,
            iters=runner.iter,
            initial=initial,
            final={
                name: param.detach().clone()
                for name, param in ddp.module.named_parameters()
            }), osp.join(out_dir, f'rank{rank}.pth'))


def test_two_process_gloo_ddp_defaults_keep_ranks_identical(
        toy_data, tmp_path):
    spawn_ranks(ddp_rank, (2, free_port(), toy_data, str(tmp_path)))
    ranks = [
        torch.load(tmp_path / f'rank{rank}.pth', weights_only=True)
        for rank in range(2)
    ]
    for result in ranks:
        assert result['wrapper'] == 'MMDistributedDataParallel'
        assert result['static_graph'] is True
        assert result['gradient_as_bucket_view'] is True
        assert result['iters'] == 2  # 8 videos / (2 ranks x 2)
    first, second = ranks
    assert first['final'].keys() == first['initial'].keys()
    moved = 0
    for name, value in first['final'].items():
        torch.testing.assert_close(second['final'][name], value, rtol=0,
                                   atol=0, msg=name)
        moved += not torch.equal(value, first['initial'][name])
    assert moved == len(first['final'])  # every parameter trained


def test_default_runtime_and_pretrain_ddp_settings():
    runtime = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', '_base_', 'default_runtime.py'))
    assert runtime.model_wrapper_cfg == dict(
        type='MMDistributedDataParallel', broadcast_buffers=False,
        gradient_as_bucket_view=True)
    schedule = Config.fromfile(SCHEDULE).model_wrapper_cfg
    assert schedule == dict(runtime.model_wrapper_cfg, static_graph=True)


def test_find_unused_parameters_moves_into_the_wrapper_config():
    cfg = Config(dict(model_wrapper_cfg=dict(static_graph=True),
                      find_unused_parameters=True))
    cli.move_find_unused_parameters(cfg)
    assert 'find_unused_parameters' not in cfg
    assert cfg.model_wrapper_cfg == dict(static_graph=True,
                                         find_unused_parameters=True)
    bare = Config(dict(find_unused_parameters=True))
    cli.move_find_unused_parameters(bare)
    assert bare.find_unused_parameters is True  # Runner reads it itself


def test_every_large_pretrain_has_fsdp_and_zero2_children():
    for size in ('large', 'huge', 'giant'):
        for engine in ENGINES:
            assert any(f'vit-{size}' in name and f'-{engine}-' in name
                       for name in STRATEGY_CONFIGS), (size, engine)


@pytest.mark.parametrize('name', STRATEGY_CONFIGS)
def test_strategy_configs_select_the_flexible_runner(name):
    path = osp.join(REPO_ROOT, 'configs', name)
    cfg = Config.fromfile(path)
    strategy = ENGINES[re.search(r'-(fsdp|zero2)-', name).group(1)]
    (parent, ) = Config._get_base_files(path)
    parent = Config.fromfile(osp.join(osp.dirname(path), parent))
    assert cfg.strategy.type == strategy
    assert 'runner_type' not in cfg  # tools/train.py picks it
    for key in ('model', 'train_dataloader', 'param_scheduler', 'train_cfg'):
        assert cfg[key] == parent[key], key
    assert cfg.optim_wrapper.optimizer == parent.optim_wrapper.optimizer
    if strategy == 'DeepSpeedStrategy':
        assert cfg.optim_wrapper.type == 'DeepSpeedOptimWrapper'
        clip = (parent.optim_wrapper.get('clip_grad') or {}).get('max_norm')
        assert cfg.strategy.get('gradient_clipping') == clip
        if HAS_DEEPSPEED:
            return
        with pytest.raises(ImportError, match="needs the 'deepspeed' "
                           'package.*pip install deepspeed'):
            cli.select_runner_type(cfg)
    else:
        assert cfg.strategy.state_dict_cfg == 'full'
        cli.select_runner_type(cfg)
    assert cfg.runner_type == 'FlexibleRunner'


def test_strategy_with_the_plain_runner_is_refused():
    cfg = Config(dict(strategy=dict(type='FSDPStrategy'),
                      runner_type='Runner'))
    with pytest.raises(ValueError, match='ignores strategies'):
        cli.select_runner_type(cfg)
    plain = Config(dict(model=dict()))
    cli.select_runner_type(plain)
    assert 'runner_type' not in plain


def test_fsdp_strategy_builds_a_flexible_runner_on_cpu(toy_data, tmp_path):
    """FSDP itself needs a GPU (torch: 'FSDP needs a non-CPU accelerator
    device'); on CPU the runner and strategy still build."""
    from mmengine._strategy import FSDPStrategy
    from mmengine.runner import FlexibleRunner
    cfg = demo_config(PRETRAIN, toy_data, str(tmp_path))
    cfg.strategy = dict(type='FSDPStrategy', state_dict_cfg='full')
    cfg.launcher = 'none'
    runner = cli.build_runner(cfg)
    assert isinstance(runner, FlexibleRunner)
    assert isinstance(runner.strategy, FSDPStrategy)
