r"""Cost of MGMAE's flow-guided masking per training step, against tube
masking in the same run.

Two VideoMAE models of the same configuration (encoder, decoder, clip size,
mask ratio) are trained on the same synthetic clips:

- ``tube``: the masks are ``TubeMaskGenerator`` index arrays carried by the
  data samples, as the data pipeline makes them (no masking cost in the
  step);
- ``mgmae``: ``FlowGuidedMasker`` computes the masks inside the step:
  RAFT-small flow between the ``T - 1`` consecutive frame pairs of every
  clip, propagation of the initial map and per-slice top-k.

RAFT runs with random weights: its cost does not depend on them (a fixed
number of refinement updates, no early exit), so no weights file is needed.
One step is forward, backward, ``torch.optim.AdamW.step`` and ``zero_grad``
(``benchmark_pretrain.Trainee``). The masker alone (its forward under
``no_grad``, as ``VideoMAE`` calls it) is timed too, in the same rounds.

Reported: step-time statistics of both models and of the masker, the ratio
``mgmae / tube`` of the p50 step times, the masking overhead as a fraction
of the MGMAE step ``(mgmae - tube) / mgmae``, and the masker's share of the
MGMAE step. Rounds run in ABBA order so that a drift of machine load hits
both alike.

Examples:
    # CPU, small (under a minute on one core)
    python tools/analysis/benchmark_masking.py --device cpu \
        --out benchmarks/mgmae_flow_overhead_cpu.json
    # GPU, the paper's clip (ViT-B, 16 x 224^2), 24 x 4 clips per GPU
    python tools/analysis/benchmark_masking.py --device cuda --arch b \
        --batch-size 96 --flow-batch-size 96 --dtype bf16 \
        --out benchmarks/mgmae_flow_overhead_h100_bf16.json
"""
# mmvmae first: its compat shims must run before mmaction2 is imported.
import mmvmae  # noqa: F401 isort:skip
import argparse
import warnings
from typing import List, Optional, Sequence

import torch

from mmvmae.utils.benchmark import (abba_rounds, add_depth_arguments,
                                    add_device_argument, add_dtype_argument,
                                    add_step_arguments, environment_metadata,
                                    finish_report, load_sibling_tool,
                                    release_memory, setup_device,
                                    summarize_steps, time_steps)

pretrain = load_sibling_tool(__file__, 'benchmark_pretrain')
get_flops = pretrain.get_flops

MODELS = ('tube', 'mgmae')
# CPU: one thread (see benchmark_pretrain), RAFT's smallest input (128 px)
# and 8 frames, so that a run takes under a minute.
DEVICE_DEFAULTS = dict(
    cpu=dict(arch='s', frames=8, img_size=128, batch_size=1, iters=2,
             warmup=1, rounds=2, threads=1),
    cuda=dict(arch='b', frames=16, img_size=224, batch_size=32, iters=10,
              warmup=3, rounds=1, threads=None))


class VideoMAETrainee(pretrain.Trainee):
    """mmvmae ``VideoMAE``, with or without a model-side masker."""

    def __init__(self, cfg: dict, clips: torch.Tensor, samples: list,
                 device: torch.device, dtype: str) -> None:
        with warnings.catch_warnings():
            # allow_random_flow warns; the cost does not depend on weights.
            warnings.simplefilter('ignore', UserWarning)
            model = get_flops.build_model(cfg, 'cpu').to(device)
        super().__init__(model, device, dtype, fused_adamw=False)
        self.inputs = clips.to(device)
        self.samples = samples
        self.grid = model.backbone.patch_embed.token_grid(clips.shape)

    def loss(self) -> torch.Tensor:
        return self.model(self.inputs, self.samples, mode='loss')['loss_pix']

    @torch.no_grad()
    def mask(self):
        """The model-side masker alone, as ``VideoMAE.token_masks`` runs
        it."""
        with self.autocast():
            return self.model.masker(self.inputs, self.grid, self.samples)


def model_cfg(name: str, args) -> dict:
    """VideoMAE config of ``args``; ``mgmae`` adds the flow masker."""
    cfg = get_flops.videomae_model_cfg(
        args.arch, args.frames, args.img_size, args.patch_size,
        args.tubelet_size, args.depth, args.decoder_depth)
    if name == 'mgmae':
        cfg['masker'] = dict(
            type='FlowGuidedMasker',
            mask_ratio=args.mask_ratio,
            input_size=args.img_size,
            patch_size=args.patch_size,
            allow_random_flow=True,
            num_flow_updates=args.num_flow_updates,
            flow_size=args.flow_size,
            flow_batch_size=args.flow_batch_size)
    return cfg


def run_model(name: str, args, clips: torch.Tensor, samples: list,
              device: torch.device) -> dict:
    """Build, warm up and time one model (and the masker alone for
    ``mgmae``); the model is garbage once this returns."""
    torch.manual_seed(0)
    trainee = VideoMAETrainee(model_cfg(name, args), clips, samples, device,
                              args.dtype)
    losses = []

    def step():
        losses.append(trainee.step())

    times, wall = time_steps(step, args.iters, args.warmup, device)
    run = dict(times=times, wall=wall, last_loss=float(losses[-1]))
    if name == 'mgmae':
        run['mask_times'], run['mask_wall'] = time_steps(
            trainee.mask, args.iters, args.warmup, device)
    return run


def merge(runs: List[dict], batch_size: int, key: str = '') -> dict:
    """Pooled step times of one model (or of its masker, ``key='mask_'``)
    over its rounds."""
    times = [t for run in runs for t in run[key + 'times']]
    wall = sum(run[key + 'wall'] for run in runs)
    return summarize_steps(times, wall, batch_size)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Train-step cost of MGMAE flow-guided masking vs tube '
        'masking')
    add_device_argument(parser)
    parser.add_argument('--arch', choices=sorted(get_flops.PRETRAIN_ARCHS),
                        help='encoder size (CPU s, CUDA b)')
    parser.add_argument('--frames', type=int, help='(CPU 8, CUDA 16)')
    parser.add_argument('--img-size', type=int, help='(CPU 128, CUDA 224)')
    add_step_arguments(parser, DEVICE_DEFAULTS)
    add_dtype_argument(parser, note='RAFT included')
    parser.add_argument('--patch-size', type=int, default=16)
    parser.add_argument('--tubelet-size', type=int, default=2)
    parser.add_argument('--mask-ratio', type=float, default=0.9)
    parser.add_argument('--num-flow-updates', type=int, default=6)
    parser.add_argument('--flow-size', type=int,
                        help='RAFT input size (default: the clip size)')
    parser.add_argument('--flow-batch-size', type=int,
                        help='frame pairs per RAFT call (default: all)')
    add_depth_arguments(parser)
    parser.add_argument('--out', help='write the results as JSON')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the benchmark; print a summary and return (and save) the JSON."""
    args = parse_args(argv)
    argv_given = dict(vars(args))
    device = setup_device(args, DEVICE_DEFAULTS)
    environment = environment_metadata(device)
    gen = torch.Generator().manual_seed(0)
    clips = torch.randn(args.batch_size, 3, args.frames, args.img_size,
                        args.img_size, generator=gen)
    samples = get_flops.tube_masks(args.batch_size, args.frames,
                                   args.img_size, args.patch_size,
                                   args.tubelet_size, args.mask_ratio)

    def run(name: str, index: int) -> dict:
        result = run_model(name, args, clips, samples, device)
        release_memory(device)
        return result

    runs = abba_rounds(
        MODELS, args.rounds, run, lambda index, name, result: (
            f'round {index} {name:5s} '
            f"{args.batch_size * args.iters / result['wall']:.3f} clips/s"))
    models = {name: merge(runs[name], args.batch_size) for name in MODELS}
    for name in MODELS:
        models[name]['last_loss'] = runs[name][-1]['last_loss']
    masker = merge(runs['mgmae'], args.batch_size, 'mask_')
    tube_step = models['tube']['step_time_s']['p50']
    mgmae_step = models['mgmae']['step_time_s']['p50']
    mask_step = masker['step_time_s']['p50']
    ratios = dict(
        step_time_mgmae_over_tube=mgmae_step / tube_step,
        overhead_fraction_of_mgmae_step=(mgmae_step - tube_step) /
        mgmae_step,
        masker_fraction_of_mgmae_step=mask_step / mgmae_step)
    for name, res in models.items():
        print(f"{name:5s} step p50 {res['step_time_s']['p50']:.4f} s  "
              f"{res['clips_per_s']:.3f} clips/s")
    print(f'masker alone p50 {mask_step:.4f} s; mgmae / tube step time '
          f"{ratios['step_time_mgmae_over_tube']:.2f}; masker share of the "
          f"mgmae step {ratios['masker_fraction_of_mgmae_step']:.2f}")
    pairs = args.batch_size * (args.frames - 1)
    report = dict(
        tool='tools/analysis/benchmark_masking.py',
        step=('forward + backward + torch.optim.AdamW.step + zero_grad on '
              'synthetic normalized clips already on the device; tube: '
              'masks from host index arrays; mgmae: FlowGuidedMasker in the '
              'step (RAFT-small, random weights)'),
        args=argv_given,
        resolved_args=dict(vars(args), device=str(device)),
        settings=dict(
            raft_pairs_per_step=pairs,
            raft_input_size=args.flow_size or args.img_size,
            model_cfg=model_cfg('mgmae', args)),
        environment=environment,
        models=dict(models, mgmae_masker_alone=masker),
        ratios=ratios)
    return finish_report(report, args.out)


if __name__ == '__main__':
    main()
