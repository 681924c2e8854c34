r"""Fine-tuning train-step throughput: mmvmae's VideoViT classifier vs
mmaction2's VisionTransformer, in one run.

Both classifiers are the same network: the ViT (ViT-S 384/12/6 or ViT-B
768/12/12, every token of a 16x224x224 clip, patch 16, tubelet 2, fixed
sinusoid positions, mean pooling + ``fc_norm``), a linear head and
cross-entropy on random labels. mmaction2's ``VisionTransformer`` loads
mmvmae's ``VideoViT`` state dict strictly, so both run **the same
weights**; the JSON records the largest difference of their outputs on the
benchmark clip (``parity_max_abs_diff``). They differ in the attention:
mmvmae runs ``F.scaled_dot_product_attention`` (``--attn sdpa``, the
default) and mmaction2 explicit softmax attention; ``--attn eager`` runs
mmvmae's explicit path too.

One step is forward, backward, ``torch.optim.AdamW.step`` and
``zero_grad`` on normalized clips already on the device (as
``tools/analysis/benchmark_pretrain.py``, whose step, FLOP count and
summaries are reused). With ``--rounds R`` the models are built and timed R
times in ABBA order and the step times pooled. ``--compile`` compiles both
backbones with ``torch.compile`` (static shapes) and records, per model,
whether compilation ran.

Examples:
    # GPU, bf16 autocast
    python tools/analysis/benchmark_finetune.py --device cuda --dtype bf16 \
        --out benchmarks/finetune_h100_bf16.json
    # CPU, small
    python tools/analysis/benchmark_finetune.py --device cpu --arch s \
        --frames 8 --img-size 112 --out benchmarks/finetune_cpu.json
"""
# mmvmae first: its compat shims must run before mmaction2 is imported.
import mmvmae  # noqa: F401 isort:skip
import argparse
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from mmvmae.models.encoders.video_vit import VideoViT, resolve_arch
from mmvmae.utils.benchmark import (abba_rounds, add_clip_arguments,
                                    add_device_argument, add_dtype_argument,
                                    add_optimizer_speed_arguments,
                                    add_step_arguments, environment_metadata,
                                    finish_report, load_sibling_tool,
                                    setup_device)
from mmvmae.utils.compiled_forward import CompiledForward

benchmark_pretrain = load_sibling_tool(__file__, 'benchmark_pretrain')

MODELS = ('mmvmae', 'mmaction2')
ARCHS = {'s': 'small', 'b': 'base'}
# CPU: one thread, one clip (minutes for ViT-B 16x224 on 2 cores); GPU:
# VideoMAE's fine-tuning batch per GPU for ViT-B (6 videos x 2 repeats).
DEVICE_DEFAULTS = dict(
    cpu=dict(batch_size=1, iters=2, warmup=1, rounds=2, threads=1),
    cuda=dict(batch_size=12, iters=20, warmup=5, rounds=1, threads=None))


class Classifier(nn.Module):
    """A backbone giving pooled features (B, C), a linear head and
    cross-entropy."""

    def __init__(self, backbone: nn.Module, embed_dims: int,
                 num_classes: int) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(embed_dims, num_classes)

    def forward(self, clips: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(self.head(self.backbone(clips)), labels)


def build_backbones(spec: dict, attn: str) -> Dict[str, nn.Module]:
    """Both backbones of ``spec`` with the same weights (mmvmae's init,
    loaded strictly into mmaction2's)."""
    from mmaction.models.backbones.vit_mae import VisionTransformer
    settings = resolve_arch(ARCHS[spec['arch']])
    depth = spec['depth'] or settings['depth']
    mmvmae_vit = VideoViT(
        arch=dict(settings, depth=depth),
        img_size=spec['img_size'],
        patch_size=spec['patch_size'],
        num_frames=spec['frames'],
        tubelet_size=spec['tubelet_size'],
        use_mean_pooling=True,
        fused_attn=attn == 'sdpa')
    mmaction2_vit = VisionTransformer(
        img_size=spec['img_size'],
        patch_size=spec['patch_size'],
        embed_dims=settings['embed_dims'],
        depth=depth,
        num_heads=settings['num_heads'],
        mlp_ratio=settings['mlp_ratio'],
        num_frames=spec['frames'],
        tubelet_size=spec['tubelet_size'],
        use_mean_pooling=True)
    mmaction2_vit.load_state_dict(mmvmae_vit.state_dict(), strict=True)
    return dict(mmvmae=mmvmae_vit, mmaction2=mmaction2_vit)


class ClassifierTrainee(benchmark_pretrain.Trainee):
    """One classifier, its AdamW and its batch."""

    def __init__(self, name: str, backbone: nn.Module, spec: dict,
                 batch: tuple, device: torch.device, args) -> None:
        torch.manual_seed(0)
        embed_dims = resolve_arch(ARCHS[spec['arch']])['embed_dims']
        model = Classifier(backbone, embed_dims, spec['num_classes'])
        self.name = name
        self.compiled = None
        super().__init__(model.to(device).train(), device, args.dtype,
                         args.fused_adamw)
        self.clips, self.labels = (t.to(device) for t in batch)

    def loss(self) -> torch.Tensor:
        return self.model(self.clips, self.labels)

    def compile(self, backend: str) -> None:
        """``torch.compile`` the backbone (after the FLOP count: dynamo
        does not trace under the FLOP counter's dispatch mode, and then
        skips the code for good)."""
        self.compiled = CompiledForward(
            self.model.backbone, f'{self.name}.backbone', on_error='eager',
            backend=backend)

    def what_ran(self) -> dict:
        if self.name == 'mmvmae':
            fused = self.model.backbone.blocks[0].attn.fused
            implementation = 'mmvmae.models.VideoViT'
            attention = 'sdpa' if fused else 'eager'
        else:
            implementation = 'mmaction.models.backbones.VisionTransformer'
            attention = 'eager'
        return dict(
            super().what_ran(),
            implementation=implementation,
            attention=attention,
            compile=self.compiled.record if self.compiled else None)


def make_batch(spec: dict, batch_size: int, seed: int = 0) -> tuple:
    """Synthetic normalized clips (B, C, T, H, W) and labels, on the CPU."""
    gen = torch.Generator().manual_seed(seed)
    clips = torch.randn(batch_size, 3, spec['frames'], spec['img_size'],
                        spec['img_size'], generator=gen)
    labels = torch.randint(0, spec['num_classes'], (batch_size, ),
                           generator=gen)
    return clips, labels


@torch.no_grad()
def parity(spec: dict, batch: tuple, attn: str) -> float:
    """Largest output difference of the two backbones with the same
    weights on the benchmark clips (eval mode, fp32, CPU)."""
    backbones = build_backbones(spec, attn)
    clips = batch[0]
    out = {name: vit.eval()(clips) for name, vit in backbones.items()}
    return float((out['mmvmae'] - out['mmaction2']).abs().max())


def run_model(name: str, spec: dict, batch: tuple, args,
              device: torch.device, count_flops: bool) -> dict:
    """Measure one classifier (``benchmark_pretrain.measure``), compiled
    after the FLOP count with ``--compile``."""

    def build() -> ClassifierTrainee:
        backbone = build_backbones(spec, args.attn)[name]
        return ClassifierTrainee(name, backbone, spec, batch, device, args)

    def compile_trainee(trainee: ClassifierTrainee) -> None:
        trainee.compile(args.compile_backend)

    return benchmark_pretrain.measure(
        build, args, device, count_flops,
        compile_trainee if args.compile else None)


def arch_spec(arch: str, args) -> dict:
    """The shared configuration of one arch, as run."""
    settings = resolve_arch(ARCHS[arch])
    tokens = (args.frames // args.tubelet_size) * (args.img_size //
                                                   args.patch_size)**2
    return dict(
        arch=arch,
        frames=args.frames,
        img_size=args.img_size,
        patch_size=args.patch_size,
        tubelet_size=args.tubelet_size,
        depth=args.depth,
        num_classes=args.num_classes,
        shapes=dict(
            embed_dims=settings['embed_dims'],
            depth=args.depth or settings['depth'],
            num_heads=settings['num_heads'],
            input=[3, args.frames, args.img_size, args.img_size],
            tokens=tokens))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='ViT fine-tuning step: mmvmae vs mmaction2')
    add_device_argument(parser)
    parser.add_argument('--arch', nargs='+', default=['b'],
                        choices=sorted(ARCHS))
    parser.add_argument('--models', nargs='+', default=list(MODELS),
                        choices=MODELS, help='implementations, in run order')
    add_step_arguments(parser, DEVICE_DEFAULTS)
    add_dtype_argument(parser)
    parser.add_argument('--attn', choices=('sdpa', 'eager'), default='sdpa',
                        help="mmvmae's attention (mmaction2's is eager)")
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile both backbones (static shapes)')
    parser.add_argument('--compile-backend', default='inductor',
                        help='torch.compile backend of --compile')
    add_optimizer_speed_arguments(parser)
    add_clip_arguments(parser)
    parser.add_argument('--num-classes', type=int, default=400)
    parser.add_argument('--depth', type=int,
                        help='override the depth (smoke tests)')
    parser.add_argument('--out', help='write the results as JSON')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the benchmark; print a summary and return (and save) the JSON."""
    args = parse_args(argv)
    argv_given = dict(vars(args))
    device = setup_device(args, DEVICE_DEFAULTS)
    environment = environment_metadata(device)
    results: List[Dict] = []
    for arch in args.arch:
        spec = arch_spec(arch, args)
        batch = make_batch(spec, args.batch_size)
        difference = parity(spec, batch, args.attn)
        print(f'[{arch}] same weights, largest output difference '
              f'{difference:.2e}', flush=True)
        runs = abba_rounds(
            args.models, args.rounds,
            lambda name, index: run_model(name, spec, batch, args, device,
                                          count_flops=index == 0),
            lambda index, name, run: (
                f'[{arch}] round {index} {name:9s} '
                f"{args.batch_size * args.iters / run['wall']:8.3f} "
                'clips/s'))
        models = {
            name: benchmark_pretrain.merge_runs(name_runs, args.batch_size,
                                                args, device)
            for name, name_runs in runs.items()
        }
        for name, res in models.items():
            print(f"[{arch}] {name:9s} {res['clips_per_s']:8.3f} clips/s  "
                  f"p50 {res['step_time_s']['p50']:.4f} s  peak "
                  f"{res['peak_memory']['peak_mib']:.0f} MiB", flush=True)
        ratio = None
        if set(MODELS) <= set(models):
            ratio = benchmark_pretrain.speed_ratio(models['mmvmae'],
                                                   models['mmaction2'])
            print(f'[{arch}] mmvmae / mmaction2 clips/s: '
                  f"{ratio['clips_per_s']:.3f}", flush=True)
        results.append(
            dict(arch=arch, config=spec, parity_max_abs_diff=difference,
                 models=models, ratio_mmvmae_over_mmaction2=ratio))
    report = dict(
        tool='tools/analysis/benchmark_finetune.py',
        step=('forward + cross-entropy + backward + torch.optim.AdamW.step '
              '+ zero_grad on synthetic normalized clips already on the '
              'device; both backbones with the same weights'),
        args=argv_given,
        resolved_args=dict(vars(args), device=str(device)),
        environment=environment,
        results=results)
    return finish_report(report, args.out)


if __name__ == '__main__':
    main()
