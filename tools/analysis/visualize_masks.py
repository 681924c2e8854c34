"""Render the masks of mask generators and model-side maskers on a video as
a PNG grid: one row per strategy, one column per frame, masked tokens
dimmed.

Strategies are type names or ``dict(type=..., ...)`` literals (``--masks``)
and / or the mask generators of a config's train pipeline and its model
masker (``--config``). Pipeline transforms (``BaseMaskGenerator`` in
``TRANSFORMS``) run on the decoded clip; model-side maskers
(``BaseTokenMasker`` in ``MODELS``) on the normalized clip tensor. A list
``[dict(...), ..., dict(type=<mask generator>)]`` runs transforms that
prepare the generator's input first (e.g. ``LoadScoreMap``); from a config,
the mmvmae transforms placed before a mask generator are run so. The clip
is the tool's centre crop (not the config's augmentations). Each strategy
is seeded with ``--seed`` before it runs. Example::

    python tools/analysis/visualize_masks.py \\
        --video /work/shared/fixtures/mmaction2/test.mp4 \\
        --masks TubeMaskGenerator RandomMaskGenerator \\
            'dict(type="FrameMaskGenerator", mask_ratio=0.75)' \\
            'dict(type="ScoreGuidedMasker", keep="high",
                  scorer=dict(type="FrameDifferenceScorer"))' \\
        --size 128 --frames 8 --out docs/images/masks_demo.png
"""
import argparse
import ast
import copy
import inspect
import os
import os.path as osp
import random
from typing import Dict, List, Optional, Tuple

import mmvmae  # noqa: F401  isort:skip  (shims and registries first)
import numpy as np
import torch
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.utils import import_modules_from_strings
from PIL import Image

from mmvmae.datasets.transforms import BaseMaskGenerator
from mmvmae.models.maskers import BaseTokenMasker
from mmvmae.registry import MODELS, TRANSFORMS
from mmvmae.visualization import mask_grid

IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)
# Arguments filled from the command line when a strategy accepts them.
SHARED_ARGS = ('mask_ratio', 'patch_size', 'tubelet_size', 'input_size')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0].replace('\n', ' '))
    parser.add_argument('--video', required=True, help='video file')
    parser.add_argument(
        '--masks', nargs='+', default=[],
        help='type names or dict(type=..., ...) literals')
    parser.add_argument(
        '--config', help='take the mask generators of its train pipeline '
        'and its model masker; clip and token sizes default to its own')
    parser.add_argument('--size', type=int, help='clip side (default 224)')
    parser.add_argument('--frames', type=int, help='frames (default 16)')
    parser.add_argument('--frame-interval', type=int,
                        help='sampling stride (default 4)')
    parser.add_argument('--patch-size', type=int, help='default 16')
    parser.add_argument('--tubelet-size', type=int, help='default 2')
    parser.add_argument(
        '--mask-ratio', type=float, default=0.9,
        help='for strategies that do not set their own (default 0.9)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', default='work_dirs/masks.png')
    return parser.parse_args(argv)


def literal(node: ast.AST):
    """A Python literal, where ``dict(key=value)`` calls count as dicts."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == 'dict' and not node.args):
        return {kw.arg: literal(kw.value) for kw in node.keywords}
    if isinstance(node, ast.Dict):
        return {literal(k): literal(v) for k, v in zip(node.keys,
                                                       node.values)}
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [literal(item) for item in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    return ast.literal_eval(node)


def parse_strategy(text: str) -> List[dict]:
    """``'TubeMaskGenerator'``, ``'dict(type=..., ...)'`` or a list of such
    dicts -> the configs of its steps, the mask strategy last."""
    text = text.strip()
    if text.isidentifier():
        return [dict(type=text)]
    try:
        spec = literal(ast.parse(text, mode='eval').body)
    except (SyntaxError, ValueError) as error:
        raise ValueError(f'cannot parse mask strategy {text!r}: give a type '
                         'name, dict(type=..., ...) of literals or a list of '
                         'them') from error
    steps = spec if isinstance(spec, list) else [spec]
    if not steps or not all(
            isinstance(step, dict) and 'type' in step for step in steps):
        raise ValueError(f'mask strategy {text!r} has a step without type')
    return steps


def strategy_class(steps: List[dict]) -> Tuple[object, type]:
    """The registry and class of a strategy's mask generator or masker
    (its last step); the steps before it must be transforms."""
    name = steps[-1]['type']
    for registry, base in ((TRANSFORMS, BaseMaskGenerator),
                           (MODELS, BaseTokenMasker)):
        cls = registry.get(name)
        if inspect.isclass(cls) and issubclass(cls, base):
            break
    else:
        raise KeyError(
            f'unknown mask strategy {name!r}: neither a mask generator '
            '(BaseMaskGenerator in TRANSFORMS) nor a model-side masker '
            '(BaseTokenMasker in MODELS) of the mmvmae scope')
    for step in steps[:-1]:
        if registry is not TRANSFORMS or TRANSFORMS.get(step['type']) is None:
            raise KeyError(f"{step['type']!r} cannot precede {name!r}: only "
                           'transforms can prepare a mask generator')
    return registry, cls


def config_strategies(cfg: Config) -> List[List[dict]]:
    """Mask generators of the train pipeline, each after the mmvmae
    transforms before it, then the model masker."""
    strategies, preparation = [], []
    for transform in cfg.train_dataloader.dataset.pipeline:
        transform = copy.deepcopy(dict(transform))
        cls = TRANSFORMS.get(transform['type'])
        if inspect.isclass(cls) and issubclass(cls, BaseMaskGenerator):
            strategies.append(preparation + [transform])
        elif transform['type'] in TRANSFORMS.module_dict:
            preparation.append(transform)
    if cfg.model.get('masker'):
        strategies.append([copy.deepcopy(dict(cfg.model.masker))])
    return strategies


def settings(args: argparse.Namespace, cfg: Optional[Config]) -> Dict:
    """Clip and token sizes: command line, else config, else defaults."""
    backbone = cfg.model.get('backbone', {}) if cfg else {}
    sampler = cfg.train_dataloader.dataset.get('sampler', {}) if cfg else {}
    preprocessor = cfg.model.get('data_preprocessor') or {} if cfg else {}

    def pick(value, found, default):
        return value if value is not None else (
            found if found is not None else default)

    return dict(
        size=pick(args.size, backbone.get('img_size'), 224),
        frames=pick(args.frames, backbone.get('num_frames'), 16),
        frame_interval=pick(args.frame_interval,
                            sampler.get('frame_interval'), 4),
        patch_size=pick(args.patch_size, backbone.get('patch_size'), 16),
        tubelet_size=pick(args.tubelet_size, backbone.get('tubelet_size'),
                          2),
        mean=preprocessor.get('mean', IMAGENET_MEAN),
        std=preprocessor.get('std', IMAGENET_STD))


def read_clip(path: str, frames: int, frame_interval: int,
              size: int) -> dict:
    """Decode ``frames`` frames (centred, every ``frame_interval``), resize
    the short side to ``size`` and centre-crop, format NCTHW."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'video not found: {path}')
    transforms = [
        TRANSFORMS.build(t) for t in (
            dict(type='DecordInit'),
            dict(type='SampleFrames', clip_len=frames,
                 frame_interval=frame_interval, num_clips=1,
                 test_mode=True),
            # Decord's frames plus the codec's motion vectors (for MGM).
            dict(type='MotionVectorDecode'),
            dict(type='Resize', scale=(-1, size)),
            dict(type='CenterCrop', crop_size=size),
            dict(type='FormatShape', input_format='NCTHW'))
    ]
    results = dict(filename=path, start_index=0, modality='RGB')
    try:
        for transform in transforms:
            results = transform(results)
    except Exception as error:
        raise ValueError(f'cannot read video {path}: '
                         f'{type(error).__name__}: {error}') from error
    return results


def visible_map(steps: List[dict], clip: dict, sizes: Dict,
                seed: int) -> np.ndarray:
    """Bool (T', H', W') map of the tokens a strategy leaves visible; the
    shared arguments its mask strategy accepts are filled into its spec."""
    registry, cls = strategy_class(steps)
    spec = steps[-1]
    accepted = inspect.signature(cls.__init__).parameters
    for name in SHARED_ARGS:
        if name in accepted:
            spec.setdefault(name, sizes['size'] if name == 'input_size'
                            else sizes[name])
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    strategy = registry.build(copy.deepcopy(spec))
    _, _, t, h, w = clip['imgs'].shape
    grid = (t // sizes['tubelet_size'], h // sizes['patch_size'],
            w // sizes['patch_size'])
    if registry is TRANSFORMS:
        results = dict(clip, imgs=clip['imgs'].copy())
        for step in steps[:-1]:
            results = TRANSFORMS.build(copy.deepcopy(step))(results)
        results = strategy(results)
        visible, grid = results['visible_ids'], results['token_grid']
    else:
        strategy.init_weights()
        strategy.eval()
        mean = torch.tensor(sizes['mean']).view(1, 3, 1, 1, 1)
        std = torch.tensor(sizes['std']).view(1, 3, 1, 1, 1)
        inputs = (torch.from_numpy(clip['imgs']).float() - mean) / std
        with torch.no_grad():
            masks = strategy(inputs, grid, [ActionDataSample()])
        visible = masks.visible_ids[0].cpu().numpy()
    shown = np.zeros(int(np.prod(grid)), dtype=bool)
    shown[visible] = True
    return shown.reshape(grid)


def describe(steps: List[dict], visible: np.ndarray) -> str:
    """Row label: type, its own arguments, ratio and visible count."""
    spec, extra = steps[-1], []
    for key, value in spec.items():
        if key in ('type', *SHARED_ARGS):
            continue
        if isinstance(value, dict) and 'type' in value:
            value = value['type']
        extra.append(f'{key}={value}')
    label = spec['type'] + (f" ({', '.join(extra)})" if extra else '')
    if len(steps) > 1:
        label += ' after ' + ', '.join(step['type'] for step in steps[:-1])
    if 'mask_ratio' in spec:
        label += f" | mask_ratio {spec['mask_ratio']}"
    return label + f' | {int(visible.sum())}/{visible.size} tokens visible'


def main(argv=None) -> str:
    """Write the PNG; returns its path."""
    args = parse_args(argv)
    cfg = Config.fromfile(args.config) if args.config else None
    init_default_scope(cfg.get('default_scope', 'mmvmae') if cfg else
                       'mmvmae')
    if cfg and cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    strategies = (config_strategies(cfg) if cfg else []) + [
        parse_strategy(text) for text in args.masks
    ]
    if not strategies:
        raise ValueError('no mask strategy: give --masks and / or a '
                         '--config with a mask generator or model masker')
    for steps in strategies:  # unknown types fail before decoding
        strategy_class(steps)
    sizes = settings(args, cfg)
    sizes['mask_ratio'] = args.mask_ratio
    clip = read_clip(args.video, sizes['frames'], sizes['frame_interval'],
                     sizes['size'])
    print(f"{args.video}: {sizes['frames']} frames every "
          f"{sizes['frame_interval']}, {sizes['size']}x{sizes['size']}, "
          f"patch {sizes['patch_size']}, tubelet {sizes['tubelet_size']}",
          flush=True)
    rows = []
    for index, steps in enumerate(strategies, start=1):
        visible = visible_map(steps, clip, sizes, args.seed)
        rows.append((describe(steps, visible), visible))
        print(f'[{index}/{len(strategies)}] {rows[-1][0]}', flush=True)
    frames = clip['imgs'][0].transpose(1, 2, 3, 0)
    image = Image.fromarray(mask_grid(frames, rows))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    image.save(args.out)
    print(f'wrote {args.out} ({image.width}x{image.height})', flush=True)
    return args.out


if __name__ == '__main__':
    main()
