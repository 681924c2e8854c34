r"""End to end: the share of the training step spent waiting for data.

Trains a config with mmengine's own Runner for ``--warmup + --iters``
iterations per ``num_workers`` setting and reads the two times its
``IterTimerHook`` logs every iteration: ``data_time`` (from the end of the
previous iteration until the batch is out of the dataloader, i.e. the
wait for data) and ``time`` (the whole iteration: wait + data preprocessor,
forward, backward, optimizer step, hooks). The share is
``sum(data_time) / sum(time)`` over the timed iterations; near 0 the model
is the bottleneck, near 1 the loader.

The config's data, model and optimizer are used as they are; only the
loop changes (``IterBasedTrainLoop``, no validation, no checkpoints, no
custom hooks, no parameter schedulers). On GPU the iteration time includes
the device work because the logged loss is read on the host every
iteration (mmengine's logging).

Examples:
    # the toy demo (data_preparation/toy makes data/toy), 0 and 2 workers
    python tools/analysis/benchmark_data_wait.py \
        configs/demo/videomae_vit-tiny-p8_1xb8-toy_pretrain.py \
        --workers 0 2 --out benchmarks/data_wait_cpu.json
    # a real config on a GPU machine
    python tools/analysis/benchmark_data_wait.py \
        configs/videomae/videomae_vit-base-p16_64xb32-800e_k400-pretrain.py \
        --workers 8 12 --iters 100 --out benchmarks/data_wait_h100.json
"""
# mmvmae first: its compat shims must run before mmaction2 is imported.
import mmvmae  # noqa: F401 isort:skip
import argparse
import copy
import tempfile
import uuid
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config, DictAction

from mmvmae.utils.benchmark import (environment_metadata, finish_report,
                                    summarize_steps)
from mmvmae.utils.cli import build_runner


def benchmark_config(cfg: Config, num_workers: int, iters: int,
                     warmup: int, work_dir: str) -> Config:
    """``cfg`` reduced to ``warmup + iters`` training iterations with
    ``num_workers`` loader workers and nothing else around them."""
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    cfg.experiment_name = f'data_wait_{num_workers}w_{uuid.uuid4().hex[:8]}'
    cfg.launcher = 'none'
    cfg.log_level = 'WARNING'
    loader = cfg.train_dataloader
    loader.num_workers = num_workers
    # A small dataset ends an epoch every few iterations: keep the workers.
    loader.persistent_workers = num_workers > 0
    cfg.train_cfg = dict(
        type='IterBasedTrainLoop', max_iters=warmup + iters,
        val_interval=warmup + iters + 1)
    for key in ('val_cfg', 'val_dataloader', 'val_evaluator', 'test_cfg',
                'test_dataloader', 'test_evaluator', 'param_scheduler'):
        cfg[key] = None
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10**9)
    cfg.custom_hooks = []
    cfg.log_processor = dict(type='LogProcessor', by_epoch=False)
    return cfg


def measure(cfg: Config, num_workers: int, iters: int, warmup: int,
            work_dir: str) -> dict:
    """Train and summarize the logged ``data_time`` and ``time``."""
    runner = build_runner(
        benchmark_config(cfg, num_workers, iters, warmup, work_dir))
    runner.train()
    hub = runner.message_hub
    data_time = np.asarray(hub.get_scalar('train/data_time').data[0])
    step_time = np.asarray(hub.get_scalar('train/time').data[0])
    if len(step_time) != warmup + iters:
        raise RuntimeError(f'expected {warmup + iters} logged iterations, '
                           f'got {len(step_time)}')
    data_time, step_time = data_time[warmup:], step_time[warmup:]
    dataset = cfg.train_dataloader.dataset
    clips_per_iter = cfg.train_dataloader.batch_size * dataset.get(
        'num_repeats', 1)
    steps = summarize_steps(step_time.tolist(), float(step_time.sum()),
                            clips_per_iter)
    device = next(runner.model.parameters()).device
    return dict(
        num_workers=num_workers,
        data_time_share=float(data_time.sum() / step_time.sum()),
        clips_per_iter=clips_per_iter,
        clips_per_s=steps['clips_per_s'],
        iteration_time_s=steps['step_time_s'],
        data_time_s=dict(
            p50=float(np.percentile(data_time, 50)),
            p90=float(np.percentile(data_time, 90)),
            mean=float(data_time.mean()),
            max=float(data_time.max())),
        timed_iters=iters,
        model_device=str(device))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Share of the training step spent waiting for data')
    parser.add_argument('config', help='training config')
    parser.add_argument('--workers', type=int, nargs='+', default=[0, 2],
                        help='train_dataloader.num_workers settings to run')
    parser.add_argument('--iters', type=int, default=8,
                        help='timed iterations per setting')
    parser.add_argument('--warmup', type=int, default=2,
                        help='untimed iterations first (worker start-up)')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch.set_num_threads of the training process '
                        '(0 keeps the default)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    parser.add_argument('--out', help='write the results as JSON')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run every setting; print a summary and return (and save) the JSON."""
    args = parse_args(argv)
    if args.iters < 1 or args.warmup < 0:
        raise ValueError('--iters must be >= 1 and --warmup >= 0')
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    environment = environment_metadata(device)
    results: List[Dict] = []
    with tempfile.TemporaryDirectory() as work_dir:
        for num_workers in args.workers:
            result = measure(cfg, num_workers, args.iters, args.warmup,
                             work_dir)
            results.append(result)
            print(f'num_workers {num_workers}: data wait '
                  f"{100 * result['data_time_share']:.1f}% of the step, "
                  f"{result['clips_per_s']:.2f} clips/s, iteration p50 "
                  f"{result['iteration_time_s']['p50']:.3f} s", flush=True)
    report = dict(
        tool='tools/analysis/benchmark_data_wait.py',
        measure=('IterTimerHook data_time / time of a training run with '
                 "the config's data, model and optimizer"),
        config=args.config,
        args=vars(args),
        environment=environment,
        results=results)
    return finish_report(report, args.out)


if __name__ == '__main__':
    main()
