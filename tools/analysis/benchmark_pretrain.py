r"""Train-step throughput of mmvmae's VideoMAE vs transformers' in one run.

Both implementations are built at the same configuration (VideoMAE V1:
encoder ViT-S 384/12/6 or ViT-B 768/12/12, decoder 4 blocks of 192/3 or
384/6, 16x224x224 clips, patch 16, tubelet 2, tube mask 0.9, normalized-
pixel target, MSE) and trained on the same synthetic clips and masks:

- mmvmae: ``VideoMAE(mode='loss')`` on (B, C, T, H, W) with the masks as
  index arrays in ``ActionDataSample`` fields, as the data pipeline makes
  them;
- transformers: ``VideoMAEForPreTraining`` on (B, T, C, H, W) with
  ``bool_masked_pos``.

One step is forward, backward, ``torch.optim.AdamW.step`` and
``zero_grad``. Clips are already normalized floats on the device (no data
preprocessor, no host-to-device copy of the clip); the masks come from the
host in both cases (numpy index arrays / a numpy boolean mask), as they
would from a data loader. Weights are not the same (each library's own
initialization); shapes and hyperparameters are.

Reported per model: clips/s, step-time p50/p90, peak memory (CUDA
``max_memory_allocated``; CPU: peak RSS above the RSS before the model was
built, from ``resource``), the train-step FLOPs counted once by
``tools/analysis/get_flops.py`` (2 x MACs, forward + backward), achieved
TFLOP/s and MFU against the GPU's dense peak (null on CPU), and what ran
(attention kernel, autocast dtype, optimizer implementation). The ratio
mmvmae / transformers is given per arch.

Each model is built, FLOP-counted, warmed up and timed, then freed before
the next one. With ``--rounds R`` this repeats R times in ABBA order
(mmvmae, hf, hf, mmvmae, ...) and the step times are pooled, so that a
change of machine load during the run hits both implementations alike;
the FLOPs are counted in the first round only.

Examples:
    # GPU, bf16 autocast, the defaults of a real run
    python tools/analysis/benchmark_pretrain.py --device cuda --dtype bf16 \
        --out benchmarks/pretrain_h100_bf16.json
    # CPU, small (a couple of minutes on 2 cores)
    python tools/analysis/benchmark_pretrain.py --device cpu \
        --out benchmarks/pretrain_cpu.json
"""
# mmvmae first: its compat shims must run before mmaction2 is imported.
import mmvmae  # noqa: F401 isort:skip
import abc
import argparse
import math
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch

from mmvmae.utils.benchmark import (PeakMemory, abba_rounds,
                                    add_clip_arguments, add_depth_arguments,
                                    add_device_argument, add_dtype_argument,
                                    add_optimizer_speed_arguments,
                                    add_step_arguments, environment_metadata,
                                    finish_report, load_sibling_tool, mfu,
                                    peak_flops, release_memory, setup_device,
                                    summarize_steps, time_steps)


get_flops = load_sibling_tool(__file__, 'get_flops')

MODELS = ('mmvmae', 'hf')
# Defaults that depend on the device: CPU ones finish in a couple of
# minutes on 2 cores; GPU ones follow the VideoMAE recipe (32 per GPU).
# One CPU thread: the CPU numbers compare implementations per core, and on
# a shared 2-core VM two threads ran 5-10x slower and erratically (threads
# spin-waiting for a descheduled peer).
DEVICE_DEFAULTS = dict(
    cpu=dict(batch_size=1, iters=2, warmup=1, rounds=2, threads=1),
    cuda=dict(batch_size=32, iters=20, warmup=5, rounds=1, threads=None))
OPTIMIZER = dict(lr=1.5e-4, betas=(0.9, 0.95), weight_decay=0.05)


class Trainee(abc.ABC):
    """One model, its optimizer and its batch; :meth:`step` trains once.

    Args:
        model (nn.Module): The model, on the device, in train mode.
        device (torch.device): The device.
        dtype (str): ``'fp32'`` or ``'bf16'`` (autocast).
        fused_adamw (bool): ``AdamW(fused=True)`` instead of foreach.
    """

    def __init__(self, model, device: torch.device, dtype: str,
                 fused_adamw: bool) -> None:
        self.model = model
        self.device = device
        self.dtype = dtype
        kwargs = dict(fused=True) if fused_adamw else dict(foreach=True)
        self.optimizer = torch.optim.AdamW(model.parameters(), **OPTIMIZER,
                                           **kwargs)
        self.optimizer_impl = 'fused' if fused_adamw else 'foreach'

    def autocast(self):
        return torch.autocast(
            self.device.type,
            dtype=torch.bfloat16,
            enabled=self.dtype == 'bf16')

    @abc.abstractmethod
    def loss(self) -> torch.Tensor:
        """Forward pass: the scalar loss."""

    def step(self) -> torch.Tensor:
        """Forward, backward, AdamW step, zero grad; returns the loss."""
        with self.autocast():
            loss = self.loss()
        loss.backward()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return loss.detach()

    def count_flops(self) -> dict:
        """Forward + backward FLOPs of one step (no optimizer step)."""

        def loss_fn():
            with self.autocast():
                return self.loss()

        try:
            return get_flops.count_train_step_flops(loss_fn)
        finally:
            self.optimizer.zero_grad(set_to_none=True)

    def what_ran(self) -> dict:
        return dict(
            optimizer=f'torch.optim.AdamW ({self.optimizer_impl})',
            autocast='bfloat16' if self.dtype == 'bf16' else None,
            param_dtype=str(next(self.model.parameters()).dtype))


class MmvmaeTrainee(Trainee):
    """mmvmae ``VideoMAE`` on (B, C, T, H, W) with index masks."""

    def __init__(self, spec: dict, clips: torch.Tensor, samples: list,
                 device: torch.device, dtype: str, fused_adamw: bool,
                 attn: str) -> None:
        cfg = get_flops.videomae_model_cfg(
            spec['arch'], spec['frames'], spec['img_size'],
            spec['patch_size'], spec['tubelet_size'], spec['depth'],
            spec['decoder_depth'], fused_attn=attn == 'sdpa')
        model = get_flops.build_model(cfg, 'cpu').to(device)
        super().__init__(model, device, dtype, fused_adamw)
        self.inputs = clips.to(device)
        self.samples = samples

    def loss(self) -> torch.Tensor:
        return self.model(self.inputs, self.samples, mode='loss')['loss_pix']

    def what_ran(self) -> dict:
        fused = {
            m.fused
            for m in self.model.modules() if hasattr(m, 'fused')
        }
        return dict(
            super().what_ran(),
            implementation='mmvmae.models.VideoMAE',
            attention='sdpa' if fused == {True} else
            'eager' if fused == {False} else 'mixed')


class HFTrainee(Trainee):
    """transformers ``VideoMAEForPreTraining`` on (B, T, C, H, W)."""

    def __init__(self, spec: dict, clips: torch.Tensor, masks: np.ndarray,
                 device: torch.device, dtype: str, fused_adamw: bool,
                 attn: str) -> None:
        from transformers import VideoMAEForPreTraining
        model = VideoMAEForPreTraining(hf_config(spec, attn)).to(device)
        super().__init__(model.train(), device, dtype, fused_adamw)
        self.pixel_values = clips.transpose(1, 2).contiguous().to(device)
        self.masks = masks

    def loss(self) -> torch.Tensor:
        mask = torch.from_numpy(self.masks).to(self.device)
        return self.model(self.pixel_values, bool_masked_pos=mask).loss

    def what_ran(self) -> dict:
        return dict(
            super().what_ran(),
            implementation='transformers.VideoMAEForPreTraining',
            attention=self.model.config._attn_implementation)


def hf_config(spec: dict, attn: str):
    """transformers ``VideoMAEConfig`` equal to the mmvmae model's."""
    from transformers import VideoMAEConfig

    from mmvmae.models.encoders.video_vit import resolve_arch
    arch = get_flops.PRETRAIN_ARCHS[spec['arch']]
    enc = resolve_arch(arch['encoder'])
    dec_dims, dec_depth, dec_heads = arch['decoder']
    return VideoMAEConfig(
        image_size=spec['img_size'],
        patch_size=spec['patch_size'],
        num_channels=3,
        num_frames=spec['frames'],
        tubelet_size=spec['tubelet_size'],
        hidden_size=enc['embed_dims'],
        num_hidden_layers=spec['depth'] or enc['depth'],
        num_attention_heads=enc['num_heads'],
        intermediate_size=int(enc['embed_dims'] * enc['mlp_ratio']),
        hidden_act='gelu',
        hidden_dropout_prob=0.,
        attention_probs_dropout_prob=0.,
        layer_norm_eps=1e-6,
        qkv_bias=True,
        use_mean_pooling=False,  # encoder ends with a LayerNorm, as mmvmae
        decoder_hidden_size=dec_dims,
        decoder_num_hidden_layers=spec['decoder_depth'] or dec_depth,
        decoder_num_attention_heads=dec_heads,
        decoder_intermediate_size=4 * dec_dims,
        norm_pix_loss=True,
        attn_implementation=attn)


def make_batch(spec: dict, batch_size: int, seed: int = 0) -> tuple:
    """Synthetic normalized clips and tube masks shared by both models.

    Returns:
        tuple: clips (B, C, T, H, W) on the CPU, mmvmae data samples and
        the equivalent boolean masks (B, N) for transformers.
    """
    gen = torch.Generator().manual_seed(seed)
    clips = torch.randn(batch_size, 3, spec['frames'], spec['img_size'],
                        spec['img_size'], generator=gen)
    samples = get_flops.tube_masks(batch_size, spec['frames'],
                                   spec['img_size'], spec['patch_size'],
                                   spec['tubelet_size'], spec['mask_ratio'],
                                   seed)
    num_tokens = (spec['frames'] // spec['tubelet_size']) * (
        spec['img_size'] // spec['patch_size'])**2
    masks = np.zeros((batch_size, num_tokens), dtype=bool)
    for row, sample in zip(masks, samples):
        row[sample.masked_ids] = True
    return clips, samples, masks


def measure(build: Callable[[], Trainee], args, device: torch.device,
            count_flops: bool,
            prepare: Optional[Callable[[Trainee], None]] = None) -> dict:
    """Build a trainee, count its FLOPs (if asked), ``prepare`` it (e.g.
    compile), warm up and time ``args.iters`` steps; the trainee is freed
    before returning.

    Returns:
        dict: ``times`` and ``wall`` (seconds), ``memory`` (a
        :class:`PeakMemory` result over build, FLOP count, warm-up and timed
        steps), ``flops`` (or None), ``what_ran``, ``params`` and
        ``last_loss``.
    """
    with PeakMemory(device) as memory:
        trainee = build()
        flops = trainee.count_flops() if count_flops else None
        if prepare is not None:
            prepare(trainee)
        losses = []

        def step():
            losses.append(trainee.step())

        times, wall = time_steps(step, args.iters, args.warmup, device)
    run = dict(
        times=times,
        wall=wall,
        memory=memory.result,
        flops=flops,
        what_ran=trainee.what_ran(),
        params=sum(p.numel() for p in trainee.model.parameters()),
        last_loss=float(losses[-1]))
    del trainee, losses, step
    release_memory(device)
    return run


def run_model(name: str, spec: dict, batch: tuple, args,
              device: torch.device, count_flops: bool) -> dict:
    """:func:`measure` one implementation (seeded build)."""
    clips, samples, masks = batch

    def build() -> Trainee:
        torch.manual_seed(0)
        if name == 'mmvmae':
            return MmvmaeTrainee(spec, clips, samples, device, args.dtype,
                                 args.fused_adamw, args.attn)
        return HFTrainee(spec, clips, masks, device, args.dtype,
                         args.fused_adamw, args.attn)

    return measure(build, args, device, count_flops)


def merge_runs(runs: List[dict], batch_size: int, args,
               device: torch.device) -> dict:
    """One model's result over its rounds: pooled step times, total wall
    time, the largest peak memory, FLOPs of the first round."""
    times = [t for run in runs for t in run['times']]
    wall = sum(run['wall'] for run in runs)
    result = summarize_steps(times, wall, batch_size)
    flops = runs[0]['flops']
    peak, row = peak_flops(device, args.dtype)
    steps_per_s = len(times) / wall
    memory = max((run['memory'] for run in runs),
                 key=lambda m: m['peak_bytes'])
    last_loss = runs[-1]['last_loss']
    result.update(
        clips_per_s_per_round=[
            batch_size * len(run['times']) / run['wall'] for run in runs
        ],
        peak_memory=memory,
        params=runs[0]['params'],
        flops_per_step=flops['total'],
        flops_forward_per_step=flops['forward'],
        gflops_per_clip=flops['total'] / batch_size / 1e9,
        achieved_tflops=flops['total'] * steps_per_s / 1e12,
        mfu=mfu(flops['total'], steps_per_s, peak),
        device_peak_tflops=peak / 1e12 if peak else None,
        device_peak_row=row,
        last_loss=last_loss,
        loss_finite=math.isfinite(last_loss),
        what_ran=dict(
            runs[0]['what_ran'],
            attention_kernel=flops['attention_backend'],
            attention_ops=flops['attention_ops']))
    return result


def speed_ratio(model: dict, reference: dict) -> dict:
    """``model / reference`` of two :func:`merge_runs` results: clips/s,
    step-time p50 and min, peak memory (None without a reference peak) and
    FLOPs per step."""
    return dict(
        clips_per_s=model['clips_per_s'] / reference['clips_per_s'],
        step_time_p50=(model['step_time_s']['p50'] /
                       reference['step_time_s']['p50']),
        step_time_min=(model['step_time_s']['min'] /
                       reference['step_time_s']['min']),
        peak_memory=(model['peak_memory']['peak_bytes'] /
                     reference['peak_memory']['peak_bytes']
                     if reference['peak_memory']['peak_bytes'] else None),
        flops_per_step=(model['flops_per_step'] /
                        reference['flops_per_step']))


def arch_spec(arch: str, args) -> dict:
    """The shared configuration of one arch, as run."""
    spec = dict(
        arch=arch,
        frames=args.frames,
        img_size=args.img_size,
        patch_size=args.patch_size,
        tubelet_size=args.tubelet_size,
        mask_ratio=args.mask_ratio,
        depth=args.depth,
        decoder_depth=args.decoder_depth)
    from mmvmae.models.encoders.video_vit import resolve_arch
    enc = resolve_arch(get_flops.PRETRAIN_ARCHS[arch]['encoder'])
    dec = get_flops.PRETRAIN_ARCHS[arch]['decoder']
    per_slice = (args.img_size // args.patch_size)**2
    slices = args.frames // args.tubelet_size
    spec['shapes'] = dict(
        encoder=dict(
            embed_dims=enc['embed_dims'],
            depth=args.depth or enc['depth'],
            num_heads=enc['num_heads'],
            mlp_ratio=enc['mlp_ratio']),
        decoder=dict(
            embed_dims=dec[0],
            depth=args.decoder_depth or dec[1],
            num_heads=dec[2]),
        input=[3, args.frames, args.img_size, args.img_size],
        tokens=slices * per_slice,
        visible_tokens=slices *
        (per_slice - int(args.mask_ratio * per_slice)))
    return spec


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='VideoMAE train-step throughput: mmvmae vs transformers')
    add_device_argument(parser)
    parser.add_argument('--arch', nargs='+', default=['s', 'b'],
                        choices=sorted(get_flops.PRETRAIN_ARCHS))
    parser.add_argument('--models', nargs='+', default=list(MODELS),
                        choices=MODELS, help='implementations, in run order')
    add_step_arguments(parser, DEVICE_DEFAULTS)
    add_dtype_argument(parser)
    parser.add_argument('--attn', choices=('sdpa', 'eager'), default='sdpa',
                        help='attention path of both implementations')
    add_optimizer_speed_arguments(parser)
    add_clip_arguments(parser)
    parser.add_argument('--mask-ratio', type=float, default=0.9)
    add_depth_arguments(parser)
    parser.add_argument('--out', help='write the results as JSON')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the benchmark; print a summary and return (and save) the JSON."""
    args = parse_args(argv)
    argv_given = dict(vars(args))
    device = setup_device(args, DEVICE_DEFAULTS)
    if 'hf' in args.models:
        # Import before measuring, so that no model's memory counts the
        # module code.
        import transformers.models.videomae.modeling_videomae  # noqa: F401
    environment = environment_metadata(device)
    results: List[Dict] = []
    for arch in args.arch:
        spec = arch_spec(arch, args)
        batch = make_batch(spec, args.batch_size)
        runs = abba_rounds(
            args.models, args.rounds,
            lambda name, index: run_model(name, spec, batch, args, device,
                                          count_flops=index == 0),
            lambda index, name, run: (
                f'[{arch}] round {index} {name:6s} '
                f"{args.batch_size * args.iters / run['wall']:8.3f} "
                'clips/s'))
        models = {
            name: merge_runs(name_runs, args.batch_size, args, device)
            for name, name_runs in runs.items()
        }
        for name, res in models.items():
            print(f"[{arch}] {name:6s} {res['clips_per_s']:8.3f} clips/s  "
                  f"p50 {res['step_time_s']['p50']:.4f} s  p90 "
                  f"{res['step_time_s']['p90']:.4f} s  peak "
                  f"{res['peak_memory']['peak_mib']:.0f} MiB", flush=True)
        ratio = None
        if {'mmvmae', 'hf'} <= set(models):
            ratio = speed_ratio(models['mmvmae'], models['hf'])
            print(f'[{arch}] mmvmae / hf clips/s: '
                  f"{ratio['clips_per_s']:.3f}", flush=True)
        results.append(
            dict(arch=arch, config=spec, models=models,
                 ratio_mmvmae_over_hf=ratio))
    report = dict(
        tool='tools/analysis/benchmark_pretrain.py',
        step=('forward + backward + torch.optim.AdamW.step + zero_grad on '
              'synthetic normalized clips already on the device; masks '
              'from host numpy arrays'),
        args=argv_given,
        resolved_args=dict(vars(args), device=str(device)),
        environment=environment,
        results=results)
    return finish_report(report, args.out)


if __name__ == '__main__':
    main()
