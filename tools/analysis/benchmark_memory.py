r"""Peak training memory of mmvmae's VideoMAE per encoder size, with and
without dual masking (VideoMAE V2) and activation checkpointing.

For every ``--arch`` it trains four variants of the same model on
synthetic normalized clips (tube mask 0.9; the VideoMAE decoder of
``get_flops.PRETRAIN_ARCHS``):

- ``v1``: the decoder predicts every encoder-masked token;
- ``v2``: plus ``RunningCellDecoderMask(0.5)``, the decoder keeps half of
  the tokens (dual masking);
- each with ``with_cp`` off and on (activation checkpointing of every
  encoder and decoder block).

Per variant: peak memory over build + warm-up + timed steps (CUDA
``max_memory_allocated``: weights, gradients, AdamW state and activations;
on CPU the peak RSS increase, see ``mmvmae.utils.benchmark.PeakMemory``),
step time and clips/s. One step is forward, backward, AdamW step and
``zero_grad``, as in ``benchmark_pretrain.py``. A variant that runs out of
CUDA memory is recorded as ``oom`` and the run goes on.

``--estimate`` runs nothing: the steps are traced on fake tensors and
PyTorch's ``MemTracker`` counts the bytes of the live tensors
(``mmvmae.utils.benchmark.estimate_peak_memory``), so the table for ViT-H
at batch 32 takes a minute on a laptop; there are no step times.

Examples:
    # the memory table of docs/benchmarks.md (one GPU)
    python tools/analysis/benchmark_memory.py --device cuda --dtype bf16 \
        --arch s b l h --out benchmarks/memory_h100_bf16.json
    # the same table estimated without a GPU (no compute)
    python tools/analysis/benchmark_memory.py --estimate --dtype bf16 \
        --arch s b l h --out benchmarks/memory_estimate_bf16.json
    # CPU smoke run
    python tools/analysis/benchmark_memory.py --device cpu --arch s \
        --depth 2 --decoder-depth 1 --frames 8 --img-size 112
"""
# mmvmae first: its compat shims must run before mmaction2 is imported.
import mmvmae  # noqa: F401 isort:skip
import argparse
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from mmengine.registry import init_default_scope

from mmvmae.registry import MODELS, TRANSFORMS
from mmvmae.utils.benchmark import (PeakMemory, add_clip_arguments,
                                    add_depth_arguments, add_device_argument,
                                    add_dtype_argument, add_step_arguments,
                                    environment_metadata,
                                    estimate_peak_memory, finish_report,
                                    load_sibling_tool, release_memory,
                                    setup_device, summarize_steps,
                                    time_steps)

get_flops = load_sibling_tool(__file__, 'get_flops')
benchmark_pretrain = load_sibling_tool(__file__, 'benchmark_pretrain')

DECODER_MASKING = ('v1', 'v2')
DEVICE_DEFAULTS = dict(
    cpu=dict(batch_size=1, iters=1, warmup=1, threads=1),
    cuda=dict(batch_size=32, iters=3, warmup=2, threads=None))


class VideoMAETrainee(benchmark_pretrain.Trainee):
    """An mmvmae ``VideoMAE`` (built, on the device) on a fixed batch."""

    def __init__(self, model, clips: torch.Tensor, samples: list,
                 device: torch.device, dtype: str) -> None:
        super().__init__(model, device, dtype, fused_adamw=False)
        self.inputs = clips.to(device)
        self.samples = samples

    def loss(self) -> torch.Tensor:
        return self.model(self.inputs, self.samples, mode='loss')['loss_pix']


def variant_masks(decoder_masking: str, args) -> list:
    """Seeded tube masks (and running-cell decoder masks for ``v2``)."""
    transforms = [
        dict(type='TubeMaskGenerator', mask_ratio=0.9,
             patch_size=args.patch_size, tubelet_size=args.tubelet_size)
    ]
    if decoder_masking == 'v2':
        transforms.append(dict(type='RunningCellDecoderMask', ratio=0.5))
    state = np.random.get_state()
    np.random.seed(0)
    try:
        return get_flops.mask_samples(
            [TRANSFORMS.build(t) for t in transforms], args.batch_size,
            (3, args.frames, args.img_size, args.img_size))
    finally:
        np.random.set_state(state)


def run_variant(arch: str, decoder_masking: str, with_cp: bool, args,
                device: torch.device) -> dict:
    """Build, warm up and time one variant; its peak memory or ``oom``."""
    cfg = get_flops.videomae_model_cfg(
        arch, args.frames, args.img_size, args.patch_size,
        args.tubelet_size, args.depth, args.decoder_depth)
    cfg['backbone']['with_cp'] = cfg['neck']['with_cp'] = with_cp
    samples = variant_masks(decoder_masking, args)
    clips = torch.randn(args.batch_size, 3, args.frames, args.img_size,
                        args.img_size,
                        generator=torch.Generator().manual_seed(0))
    row = dict(arch=arch, decoder_masking=decoder_masking, with_cp=with_cp,
               batch_size=args.batch_size,
               decoder_tokens=int(len(
                   samples[0].get('decoder_ids',
                                  samples[0].masked_ids))))
    torch.manual_seed(0)
    if args.estimate:
        row.update(oom=False, peak_memory=estimate_peak_memory(
            lambda: fake_trainee(cfg, clips, samples, args.dtype),
            VideoMAETrainee.step))
        return row
    try:
        with PeakMemory(device) as memory:
            trainee = VideoMAETrainee(
                get_flops.build_model(cfg, 'cpu').to(device), clips,
                samples, device, args.dtype)
            times, wall = time_steps(trainee.step, args.iters, args.warmup,
                                     device)
    except torch.cuda.OutOfMemoryError as error:
        row.update(oom=True, error=str(error).splitlines()[0])
        trainee = None
    else:
        row.update(oom=False, peak_memory=memory.result,
                   **summarize_steps(times, wall, args.batch_size))
    del trainee
    release_memory(device)
    return row


def fake_trainee(cfg: dict, clips: torch.Tensor, samples: list,
                 dtype: str) -> tuple:
    """A CPU trainee for :func:`estimate_peak_memory` (built in its fake
    mode, not moved)."""
    init_default_scope('mmvmae')
    model = MODELS.build(cfg).train()
    trainee = VideoMAETrainee(model, clips, samples, torch.device('cpu'),
                              dtype)
    return trainee, model, trainee.optimizer


def format_table(rows: Sequence[dict]) -> str:
    """A markdown table of the rows (peak MiB, step p50)."""
    lines = ['| arch | decoder masking | with_cp | peak memory (MiB) | '
             'step p50 (s) |', '|---|---|---|---|---|']
    for row in rows:
        peak = 'OOM' if row['oom'] else (
            f"{row['peak_memory']['peak_mib']:.0f}")
        step = '—' if row['oom'] or 'step_time_s' not in row else (
            f"{row['step_time_s']['p50']:.3f}")
        lines.append(f"| {row['arch']} | {row['decoder_masking']} | "
                     f"{'on' if row['with_cp'] else 'off'} | {peak} | "
                     f'{step} |')
    return '\n'.join(lines)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='VideoMAE peak training memory per size, dual masking '
        'and activation checkpointing')
    add_device_argument(parser)
    parser.add_argument('--arch', nargs='+', default=['s', 'b'],
                        choices=sorted(get_flops.PRETRAIN_ARCHS))
    add_step_arguments(parser, DEVICE_DEFAULTS)
    add_dtype_argument(parser)
    add_clip_arguments(parser)
    add_depth_arguments(parser)
    parser.add_argument(
        '--estimate', action='store_true',
        help='count tensor bytes on fake tensors (PyTorch MemTracker, CPU '
        'kernels) instead of running: no compute, no step times')
    parser.add_argument('--out', help='write the results as JSON')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run every variant; print a table and return (and save) the JSON."""
    args = parse_args(argv)
    argv_given = dict(vars(args))
    if args.estimate:
        if args.device not in (None, 'cpu'):
            raise SystemExit('--estimate counts fake CPU tensors; it runs '
                             f'nothing on --device {args.device}')
        args.device = 'cpu'
        if args.batch_size is None:
            args.batch_size = DEVICE_DEFAULTS['cuda']['batch_size']
    device = setup_device(args, DEVICE_DEFAULTS)
    environment = environment_metadata(device)
    rows: List[Dict] = []
    for arch in args.arch:
        for decoder_masking in DECODER_MASKING:
            for with_cp in (False, True):
                rows.append(
                    run_variant(arch, decoder_masking, with_cp, args,
                                device))
                print(format_table(rows[-1:]).splitlines()[-1], flush=True)
    print(format_table(rows))
    report = dict(
        tool='tools/analysis/benchmark_memory.py',
        step=('forward + backward + torch.optim.AdamW.step + zero_grad of '
              'mmvmae VideoMAE on synthetic normalized clips; tube mask '
              '0.9, v2 adds RunningCellDecoderMask(0.5)'),
        measured=('tensor bytes on fake tensors (MemTracker), nothing run'
                  if args.estimate else 'peak memory of real steps'),
        args=argv_given,
        resolved_args=dict(vars(args), device=str(device)),
        environment=environment,
        results=rows)
    return finish_report(report, args.out)


if __name__ == '__main__':
    main()
