"""Checks that need a CUDA GPU; skipped without one (CI has none).

``tools/analysis/gpu_checks.sh`` runs them with the GPU benchmarks:
FSDP pretraining through mmengine's FlexibleRunner on one GPU with a full
checkpoint, a bf16 train step with fused AdamW on the flash SDPA kernel
alone, and the pretraining benchmark's MFU and CUDA peak memory.
"""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from conftest import (REPO_ROOT, demo_config, mask_samples, random_masks,
                      tiny_videomae)
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from test_benchmarks import load_tool
from torch.nn.attention import SDPBackend, sdpa_kernel

from mmvmae.registry import MODELS

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason='needs a CUDA GPU')

PRETRAIN = 'videomae_vit-tiny-p8_1xb8-toy_pretrain'
FSDP_CHILD = osp.join(REPO_ROOT, 'configs', 'videomae',
                      'videomae_vit-large-p16_64xb8-fsdp-800e_k400-pretrain.py')


def test_fsdp_pretraining_on_one_gpu_writes_a_full_checkpoint(
        toy_data, tmp_path):
    """The ViT-L FSDP child's strategy and optim wrapper on the toy model
    (smaller FSDP units so that several are wrapped), launched by torchrun
    as a user would; the checkpoint holds the unsharded weights."""
    cfg = demo_config(PRETRAIN, toy_data, str(tmp_path),
                      **{'train_cfg.max_epochs': 1})
    child = Config.fromfile(FSDP_CHILD)
    cfg.strategy = child.strategy
    cfg.strategy.model_wrapper.auto_wrap_policy.min_num_params = 10000
    cfg.optim_wrapper.type = child.optim_wrapper.type
    cfg.custom_hooks = []
    config_file = str(tmp_path / 'fsdp_toy_pretrain.py')
    cfg.dump(config_file)
    command = [
        sys.executable, '-m', 'torch.distributed.run', '--standalone',
        '--nproc_per_node', '1', 'tools/train.py', config_file,
        '--launcher', 'pytorch', '--work-dir', str(tmp_path)
    ]
    result = subprocess.run(command, cwd=REPO_ROOT,
                            env=dict(os.environ, PYTHONPATH=REPO_ROOT),
                            capture_output=True, text=True, timeout=400)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]

    scalars, = glob.glob(str(tmp_path / '*' / 'vis_data' / 'scalars.json'))
    losses = [json.loads(line).get('loss') for line in open(scalars)]
    losses = [loss for loss in losses if loss is not None]
    assert losses and all(torch.isfinite(torch.tensor(losses)))

    state = torch.load(tmp_path / 'epoch_1.pth', map_location='cpu',
                       weights_only=True)['state_dict']
    torch.manual_seed(0)
    plain = MODELS.build(cfg.model).state_dict()
    assert set(state) == set(plain)
    for key, value in plain.items():
        assert state[key].shape == value.shape, key


def test_bf16_fused_adamw_step_runs_on_the_flash_kernel_alone():
    torch.manual_seed(0)
    model = MODELS.build(tiny_videomae()).cuda()
    optimizer = dict(type='AdamW', lr=1e-3, betas=(0.9, 0.95),
                     weight_decay=0.05, fused=True)
    wrapper = build_optim_wrapper(
        model, dict(type='BF16OptimWrapper', optimizer=optimizer))
    assert wrapper.device_type == 'cuda'
    assert all(group['fused'] for group in wrapper.optimizer.param_groups)
    gen = torch.Generator().manual_seed(0)
    clips = [torch.randint(0, 256, (1, 3, 4, 32, 32), generator=gen).float()
             for _ in range(2)]
    data = dict(inputs=clips,
                data_samples=mask_samples(*random_masks(2, 8, 2, seed=0)))
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    with sdpa_kernel(SDPBackend.FLASH_ATTENTION):  # any other path raises
        losses = model.train_step(data, wrapper)
    assert torch.isfinite(losses['loss_pix'])
    for name, param in model.named_parameters():
        assert param.dtype == torch.float32, name
        assert not torch.equal(param, before[name]), f'{name} did not move'


def test_benchmark_pretrain_on_cuda_reports_mfu_and_peak_memory(tmp_path):
    tool = load_tool('benchmark_pretrain')
    report = tool.main([
        '--device', 'cuda', '--dtype', 'bf16', '--arch', 's', '--depth',
        '2', '--decoder-depth', '1', '--frames', '4', '--img-size', '64',
        '--batch-size', '4', '--iters', '3', '--warmup', '1', '--rounds',
        '1', '--out', str(tmp_path / 'pretrain.json')
    ])
    assert report['environment']['device']['name'] == (
        torch.cuda.get_device_name())
    for res in report['results'][0]['models'].values():
        assert res['peak_memory']['kind'] == 'cuda_max_memory_allocated'
        assert res['peak_memory']['peak_bytes'] > 0
        assert res['loss_finite']
        if res['device_peak_row'] is not None:  # a GPU of the peak table
            assert 0 < res['mfu'] < 1
