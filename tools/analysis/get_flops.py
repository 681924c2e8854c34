r"""FLOPs of one VideoMAE pretraining train step (forward + backward).

FLOPs are counted by :class:`torch.utils.flop_counter.FlopCounterMode`,
which counts 2 FLOPs per multiply-accumulate (so "FLOPs" here = 2 x MACs;
mmaction2's ``get_flops.py`` and most model cards print MACs). Only matmuls,
convolutions and attention count; element-wise ops, normalizations and the
optimizer step are free, as in the usual MFU convention.

Attention is counted as *model* FLOPs: its backward is twice its forward
(four matmuls), whichever kernel runs. PyTorch's stock formula for fused
(flash / memory-efficient / cuDNN) attention adds the recomputation of the
scores in backward and has none for the CPU flash kernel; both are replaced
here so that the count does not depend on the backend.

Examples:
    # built-in VideoMAE settings (16x224x224, patch 16, tubelet 2, tube 0.9)
    python tools/analysis/get_flops.py --arch s b l h
    # the model of a config (input shape and masks read from the config)
    python tools/analysis/get_flops.py \
        configs/demo/videomae_vit-tiny-p8_1xb8-toy_pretrain.py

By default the model is counted on the ``meta`` device: nothing is
computed, so ViT-H counts in seconds on a laptop.
"""
# mmvmae first: its compat shims must run before mmaction2 is imported.
import mmvmae  # noqa: F401 isort:skip
import argparse
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmaction.structures import ActionDataSample
from mmengine.registry import init_default_scope
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode, sdpa_flop_count

from mmvmae.registry import MODELS, TRANSFORMS
from mmvmae.utils.benchmark import write_json

# Decoder settings of the VideoMAE paper per encoder size: (embed_dims,
# depth, num_heads) of the decoder, ``videomae-family.md`` section 2.
PRETRAIN_ARCHS: Dict[str, dict] = {
    's': dict(encoder='small', decoder=(192, 4, 3)),
    'b': dict(encoder='base', decoder=(384, 4, 6)),
    'l': dict(encoder='large', decoder=(512, 4, 8)),
    'h': dict(encoder='huge', decoder=(640, 4, 8)),
}
MASK_SUFFIXES = ('MaskGenerator', 'DecoderMask')
_aten = torch.ops.aten


def _sdpa_forward(query, key, value, *args, out_shape=None, **kwargs) -> int:
    return sdpa_flop_count(query, key, value)


def _sdpa_backward(grad_out, query, key, value, *args, out_shape=None,
                   **kwargs) -> int:
    # dV = P^T dO, dP = dO V^T, dQ = dS K, dK = dS^T Q: twice the forward.
    return 2 * sdpa_flop_count(query, key, value)


def attention_flop_mapping() -> dict:
    """``custom_mapping`` of :class:`FlopCounterMode` for model FLOPs of the
    fused attention kernels (see the module docstring)."""
    mapping = {}
    names = {
        '_scaled_dot_product_flash_attention_for_cpu': _sdpa_forward,
        '_scaled_dot_product_flash_attention_for_cpu_backward':
        _sdpa_backward,
        '_scaled_dot_product_flash_attention_backward': _sdpa_backward,
        '_scaled_dot_product_efficient_attention_backward': _sdpa_backward,
        '_scaled_dot_product_cudnn_attention_backward': _sdpa_backward,
    }
    for name, formula in names.items():
        if hasattr(_aten, name):
            mapping[getattr(_aten, name)] = formula
    return mapping


class AttentionOpRecorder(TorchDispatchMode):
    """Record which attention kernels (aten ops) a computation dispatches."""

    KEYS = ('attention', 'softmax', 'bmm')

    def __init__(self) -> None:
        super().__init__()
        self.ops = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = str(func.overloadpacket)
        if any(key in name for key in self.KEYS):
            self.ops.add(name)
        return func(*args, **(kwargs or {}))

    def backend(self) -> str:
        """A short name for the attention path that ran."""
        ops = ' '.join(sorted(self.ops))
        for marker, label in (('flash_attention_for_cpu', 'sdpa_cpu_flash'),
                              ('_flash_attention', 'sdpa_flash'),
                              ('_efficient_attention', 'sdpa_mem_efficient'),
                              ('_cudnn_attention', 'sdpa_cudnn'),
                              ('_safe_softmax', 'sdpa_math'),
                              ('_softmax', 'eager')):
            if marker in ops:
                return label
        return 'unknown'


def _by_module(counter: FlopCounterMode) -> Dict[str, int]:
    """FLOPs per direct child of the root module (e.g. backbone, neck).

    A child whose ``forward`` is bypassed (AdaMAE and AMD call the
    encoder's ``embed`` / ``encode_tokens``) is credited with its outermost
    submodules that ran.
    """
    counts = counter.get_flop_counts()
    out = {}
    for name, ops in counts.items():
        parts = name.split('.')
        ancestors = ('.'.join(parts[:i]) for i in range(2, len(parts)))
        if len(parts) < 2 or any(a in counts for a in ancestors):
            continue
        out[parts[1]] = out.get(parts[1], 0) + int(sum(ops.values()))
    return out


def count_train_step_flops(loss_fn: Callable[[], torch.Tensor]) -> dict:
    """FLOPs of the forward and backward of one step, counted once.

    Args:
        loss_fn (callable): Runs the forward and returns the scalar loss.
            Its backward is run here; the caller clears the gradients.

    Returns:
        dict: ``forward``, ``backward`` and ``total`` FLOPs (2 x MACs),
        ``forward_by_module`` and ``backward_by_module`` (direct children of
        the model), ``attention_ops`` (aten ops of the attention) and
        ``attention_backend``.
    """
    mapping = attention_flop_mapping()
    recorder = AttentionOpRecorder()
    with FlopCounterMode(display=False, custom_mapping=mapping) as fwd, \
            recorder:
        loss = loss_fn()
    with FlopCounterMode(display=False, custom_mapping=mapping) as bwd, \
            recorder:
        loss.backward()
    forward, backward = fwd.get_total_flops(), bwd.get_total_flops()
    return dict(
        forward=int(forward),
        backward=int(backward),
        total=int(forward + backward),
        forward_by_module=_by_module(fwd),
        backward_by_module=_by_module(bwd),
        attention_ops=sorted(recorder.ops),
        attention_backend=recorder.backend())


def videomae_model_cfg(arch: str = 'b',
                       frames: int = 16,
                       img_size: int = 224,
                       patch_size: int = 16,
                       tubelet_size: int = 2,
                       depth: Optional[int] = None,
                       decoder_depth: Optional[int] = None,
                       fused_attn: Optional[bool] = None) -> dict:
    """mmvmae ``VideoMAE`` (V1, ``videomae`` target) config of an arch.

    Args:
        arch (str): A key of :data:`PRETRAIN_ARCHS`.
        frames (int): Clip length. Defaults to 16.
        img_size (int): Square input size. Defaults to 224.
        patch_size (int): Spatial patch size. Defaults to 16.
        tubelet_size (int): Frames per token. Defaults to 2.
        depth (int, optional): Override of the encoder depth (smoke tests).
        decoder_depth (int, optional): Override of the decoder depth.
        fused_attn (bool, optional): SDPA (True) or eager attention.

    Returns:
        dict: The model config.
    """
    if arch not in PRETRAIN_ARCHS:
        raise KeyError(f'unknown arch {arch!r}; choose from '
                       f'{sorted(PRETRAIN_ARCHS)}')
    from mmvmae.models.encoders.video_vit import resolve_arch
    settings = resolve_arch(PRETRAIN_ARCHS[arch]['encoder'])
    if depth is not None:
        settings['depth'] = depth
    dec_dims, dec_depth, dec_heads = PRETRAIN_ARCHS[arch]['decoder']
    return dict(
        type='VideoMAE',
        backbone=dict(
            type='VideoViT',
            arch=settings,
            img_size=img_size,
            patch_size=patch_size,
            num_frames=frames,
            tubelet_size=tubelet_size,
            use_mean_pooling=False,
            fused_attn=fused_attn),
        neck=dict(
            type='MAEDecoder',
            in_dims=settings['embed_dims'],
            embed_dims=dec_dims,
            depth=dec_depth if decoder_depth is None else decoder_depth,
            num_heads=dec_heads,
            out_dims=tubelet_size * patch_size**2 * 3,
            fused_attn=fused_attn),
        head=dict(
            type='PixelReconstructionHead',
            patch_size=patch_size,
            tubelet_size=tubelet_size,
            target='videomae'))


def build_model(cfg: dict, device: str = 'meta') -> nn.Module:
    """Build a model config directly on ``device``, in train mode."""
    init_default_scope('mmvmae')
    with torch.device(device):
        model = MODELS.build(cfg)
    return model.to(device).train()


def mask_samples(mask_transforms: Sequence, batch_size: int,
                 clip_shape: Sequence[int]) -> List[ActionDataSample]:
    """Data samples carrying the masks the transforms draw for a clip.

    Args:
        mask_transforms (Sequence): Mask generator transforms (built), run
            in order on a fake clip of shape ``clip_shape`` (C, T, H, W).
        batch_size (int): Samples to make.
        clip_shape (Sequence[int]): (C, T, H, W).

    Returns:
        list[ActionDataSample]: One per sample, with the mask fields.
    """
    samples = []
    for _ in range(batch_size):
        results = dict(imgs=np.zeros((1, *clip_shape), dtype=np.uint8))
        for transform in mask_transforms:
            results = transform(results)
        sample = ActionDataSample()
        for key, value in results.items():
            if key.endswith('_ids'):  # visible, masked, decoder, teacher...
                sample.set_field(value, key)
        samples.append(sample)
    return samples


def tube_masks(batch_size: int, frames: int, img_size: int, patch_size: int,
               tubelet_size: int, mask_ratio: float = 0.9,
               seed: int = 0) -> List[ActionDataSample]:
    """Data samples with VideoMAE tube masks (seeded)."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        generator = TRANSFORMS.build(
            dict(type='TubeMaskGenerator', mask_ratio=mask_ratio,
                 patch_size=patch_size, tubelet_size=tubelet_size))
        return mask_samples([generator], batch_size,
                            (3, frames, img_size, img_size))
    finally:
        np.random.set_state(state)


def model_train_flops(model: nn.Module, inputs: torch.Tensor,
                      data_samples: Sequence) -> dict:
    """:func:`count_train_step_flops` of an mmvmae algorithm's loss."""

    def loss_fn() -> torch.Tensor:
        losses = model(inputs, list(data_samples), mode='loss')
        return sum(losses.values())

    try:
        return count_train_step_flops(loss_fn)
    finally:
        model.zero_grad(set_to_none=True)


def arch_flops(arch: str,
               frames: int = 16,
               img_size: int = 224,
               patch_size: int = 16,
               tubelet_size: int = 2,
               mask_ratio: float = 0.9,
               batch_size: int = 1,
               device: str = 'meta') -> dict:
    """Train-step FLOPs of a built-in arch (see :data:`PRETRAIN_ARCHS`)."""
    cfg = videomae_model_cfg(arch, frames, img_size, patch_size,
                             tubelet_size)
    model = build_model(cfg, device)
    inputs = torch.randn(batch_size, 3, frames, img_size, img_size,
                         device=device)
    samples = tube_masks(batch_size, frames, img_size, patch_size,
                         tubelet_size, mask_ratio)
    flops = model_train_flops(model, inputs, samples)
    flops.update(name=f'videomae-{arch}', batch_size=batch_size,
                 params=sum(p.numel() for p in model.parameters()),
                 input_shape=[3, frames, img_size, img_size],
                 visible_tokens=len(samples[0].visible_ids))
    return flops


def config_flops(config: str,
                 frames: Optional[int] = None,
                 img_size: Optional[int] = None,
                 mask_ratio: float = 0.9,
                 batch_size: int = 1,
                 device: str = 'meta') -> dict:
    """Train-step FLOPs of the model of a config file.

    The input shape comes from the backbone (``num_frames``, ``img_size``,
    ``in_channels``) unless given; the masks from the mask transforms of
    ``train_dataloader.dataset.pipeline`` (a tube mask of ``mask_ratio``
    when it has none).
    """
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmvmae'))
    backbone = cfg.model.get('backbone', {})
    frames = frames or backbone.get('num_frames', 16)
    img_size = img_size or backbone.get('img_size', 224)
    channels = backbone.get('in_channels', 3)
    patch = backbone.get('patch_size', 16)
    tubelet = backbone.get('tubelet_size', 2)
    pipeline = cfg.get('train_dataloader', {}).get('dataset', {}).get(
        'pipeline', [])
    masks = [
        TRANSFORMS.build(t) for t in pipeline
        if isinstance(t, dict) and str(t.get('type', '')).endswith(
            MASK_SUFFIXES)
    ] or [
        TRANSFORMS.build(
            dict(type='TubeMaskGenerator', mask_ratio=mask_ratio,
                 patch_size=patch, tubelet_size=tubelet))
    ]
    with torch.device(device):
        model = MODELS.build(cfg.model)
    model = model.to(device).train()
    np.random.seed(0)
    samples = mask_samples(masks, batch_size,
                           (channels, frames, img_size, img_size))
    inputs = torch.randn(batch_size, channels, frames, img_size, img_size,
                         device=device)
    flops = model_train_flops(model, inputs, samples)
    # Model-side masks (a masker, AdaMAE's sampler) are not the pipeline's.
    model_side = (getattr(model, 'masker', None) is not None
                  or hasattr(model, 'sampler'))
    flops.update(name=config, batch_size=batch_size,
                 params=sum(p.numel() for p in model.parameters()),
                 input_shape=[channels, frames, img_size, img_size],
                 visible_tokens='model-side' if model_side else len(
                     samples[0].visible_ids))
    return flops


def format_table(rows: Sequence[dict]) -> str:
    """Per-clip GFLOPs (2 x MACs) of each row as a text table."""
    header = ('model', 'params(M)', 'input', 'visible', 'fwd', 'bwd',
              'train step', 'encoder fwd', 'decoder fwd')
    lines = [header]
    for row in rows:
        per = 1e9 * row['batch_size']
        mods = row['forward_by_module']
        lines.append((
            row['name'], f"{row['params'] / 1e6:.1f}",
            'x'.join(map(str, row['input_shape'])),
            str(row['visible_tokens']), f"{row['forward'] / per:.1f}",
            f"{row['backward'] / per:.1f}", f"{row['total'] / per:.1f}",
            f"{mods.get('backbone', 0) / per:.1f}",
            f"{mods.get('neck', 0) / per:.1f}"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = ['  '.join(cell.rjust(w) for cell, w in zip(line, widths))
           for line in lines]
    out.insert(1, '  '.join('-' * w for w in widths))
    return '\n'.join(out) + '\n(GFLOPs per clip, 1 FLOP = 1 multiply or add)'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Train-step FLOPs (2 x MACs) of VideoMAE models')
    parser.add_argument('config', nargs='?',
                        help='config file; without it, --arch is counted')
    parser.add_argument('--arch', nargs='+', default=['s', 'b'],
                        choices=sorted(PRETRAIN_ARCHS),
                        help='built-in VideoMAE sizes (ignored with config)')
    parser.add_argument('--frames', type=int, help='clip length')
    parser.add_argument('--img-size', type=int, help='input size')
    parser.add_argument('--patch-size', type=int, default=16)
    parser.add_argument('--tubelet-size', type=int, default=2)
    parser.add_argument('--mask-ratio', type=float, default=0.9)
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--device', default='meta',
                        help="'meta' (default, nothing computed), 'cpu' "
                        "or 'cuda'")
    parser.add_argument('--out', help='also write the counts as JSON')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> List[dict]:
    """Count, print the table and return the rows."""
    args = parse_args(argv)
    if args.config:
        rows = [
            config_flops(args.config, args.frames, args.img_size,
                         args.mask_ratio, args.batch_size, args.device)
        ]
    else:
        rows = [
            arch_flops(arch, args.frames or 16, args.img_size or 224,
                       args.patch_size, args.tubelet_size, args.mask_ratio,
                       args.batch_size, args.device) for arch in args.arch
        ]
    print(format_table(rows))
    if args.out:
        write_json(args.out, dict(args=vars(args), rows=rows))
    return rows


if __name__ == '__main__':
    main()
