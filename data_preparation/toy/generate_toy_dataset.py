"""Generate a tiny synthetic video dataset whose classes need motion.

Each video shows one shape (square, disc or triangle; random colour, size
and rotation) on a random static texture with a little per-frame noise. The
shape moves at a random constant speed in the direction given by the class
and wraps around the frame edges (the frame is a torus). Shape, colour,
size and position are drawn independently of the class and the position is
uniform at every frame, so a single frame carries no information about the
class: only the motion does.

Everything is drawn from ``numpy.random.default_rng([seed, split, index])``,
so the same seed gives the same lists and the same decoded frames.

Example::

    python data_preparation/toy/generate_toy_dataset.py --out-dir data/toy
"""
import argparse
import colorsys
import json
import os
import os.path as osp
import shutil
import sys
from typing import Dict, List

import av
import numpy as np
from tqdm import tqdm

if not __package__:  # run as a script: put the repository root on path
    sys.path.insert(
        0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from data_preparation.common import (MPEG4_BIT_RATE, pyav_video_codec,
                                     write_classes, write_list)

# Bump when a change of this file changes the generated data.
GENERATOR_VERSION = 1
DIRECTIONS = (
    ('left', (-1, 0)),
    ('right', (1, 0)),
    ('up', (0, -1)),
    ('down', (0, 1)),
    ('up_left', (-1, -1)),
    ('up_right', (1, -1)),
    ('down_left', (-1, 1)),
    ('down_right', (1, 1)),
)
SHAPES = ('square', 'disc', 'triangle')
SPLITS = ('train', 'val')
FPS = 30
GOP = 16
NOISE_STD = 1.0
GRAIN = 3.0
# decord 0.6.0 returns 4-channel frames of these widths and then fails.
DECORD_BAD_WIDTHS = (48, 72)


def class_names(num_classes: int) -> List[str]:
    """Return the class names, ordered by label.

    Args:
        num_classes (int): How many directions to use, 2 to 8.

    Returns:
        list[str]: The names of the first ``num_classes`` directions.
    """
    if not 2 <= num_classes <= len(DIRECTIONS):
        raise ValueError(f'num_classes must be in [2, {len(DIRECTIONS)}], '
                         f'got {num_classes}')
    return [name for name, _ in DIRECTIONS[:num_classes]]


def direction(label: int) -> np.ndarray:
    """Return the unit motion vector ``(dx, dy)`` of a class, in pixels.

    ``dx`` grows to the right and ``dy`` grows downwards.

    Args:
        label (int): The class label.

    Returns:
        np.ndarray: The unit vector, shape (2, ).
    """
    vector = np.array(DIRECTIONS[label][1], dtype=np.float64)
    return vector / np.linalg.norm(vector)


def balanced_labels(num: int, num_classes: int,
                    rng: np.random.Generator) -> np.ndarray:
    """Draw labels whose class counts differ by at most one, shuffled.

    Args:
        num (int): The number of labels.
        num_classes (int): The number of classes.
        rng (np.random.Generator): The random generator.

    Returns:
        np.ndarray: The labels, shape (num, ).
    """
    return rng.permutation(np.arange(num) % num_classes)


def render_background(size: int, rng: np.random.Generator) -> np.ndarray:
    """Render a dark, smooth colour texture with fine static grain.

    Args:
        size (int): The frame height and width.
        rng (np.random.Generator): The random generator.

    Returns:
        np.ndarray: Float RGB image in [0, 255], shape (size, size, 3).
    """
    coarse = rng.uniform(20, 110, size=(4, 4, 3))
    smooth = _upsample(_upsample(coarse, size, axis=0), size, axis=1)
    return smooth + rng.uniform(-GRAIN, GRAIN, size=(size, size, 1))


def _upsample(array: np.ndarray, size: int, axis: int) -> np.ndarray:
    """Linearly interpolate ``array`` to ``size`` samples along ``axis``."""
    pos = np.linspace(0, array.shape[axis] - 1, size)
    low = np.minimum(pos.astype(int), array.shape[axis] - 2)
    frac = np.expand_dims(pos - low, tuple(range(1, array.ndim - axis)))
    return (np.take(array, low, axis=axis) * (1 - frac) +
            np.take(array, low + 1, axis=axis) * frac)


def shape_alpha(shape: str, u: np.ndarray, v: np.ndarray,
                radius: float) -> np.ndarray:
    """Anti-aliased coverage of a shape centred at ``u = v = 0``.

    Args:
        shape (str): One of :data:`SHAPES`.
        u (np.ndarray): Pixel offsets along the shape's own x axis.
        v (np.ndarray): Pixel offsets along the shape's own y axis.
        radius (float): Half the extent of the shape, in pixels.

    Returns:
        np.ndarray: Coverage in [0, 1], the shape of ``u``.
    """
    if shape == 'disc':
        inside = radius - np.hypot(u, v)
    elif shape == 'square':
        inside = 0.8 * radius - np.maximum(np.abs(u), np.abs(v))
    else:
        # Equilateral triangle: distance to the nearest of three edges.
        angles = np.pi / 2 + 2 * np.pi * np.arange(3) / 3
        normals = np.stack([np.cos(angles), np.sin(angles)], axis=-1)
        dists = normals[:, 0, None, None] * u + normals[:, 1, None, None] * v
        inside = 0.6 * radius - dists.max(axis=0)
    return np.clip(inside + 0.5, 0, 1)


def render_video(label: int, size: int, frames: int,
                 rng: np.random.Generator) -> np.ndarray:
    """Render one video of a shape moving in the direction of ``label``.

    The shape crosses 0.5 to 1 frame width during the video, whatever
    ``frames`` is.

    Args:
        label (int): The class label; see :data:`DIRECTIONS`.
        size (int): The frame height and width.
        frames (int): The number of frames.
        rng (np.random.Generator): The random generator.

    Returns:
        np.ndarray: RGB frames, uint8, shape (frames, size, size, 3).
    """
    background = render_background(size, rng)
    shape = SHAPES[rng.integers(len(SHAPES))]
    colour = 255 * np.array(
        colorsys.hsv_to_rgb(rng.uniform(), rng.uniform(0.5, 1),
                            rng.uniform(0.8, 1)))
    radius = rng.uniform(0.12, 0.2) * size
    angle = rng.uniform(0, 2 * np.pi)
    start = rng.uniform(0, size, size=2)
    velocity = direction(label) * rng.uniform(0.5, 1.0) * size / frames
    noise = rng.normal(0, NOISE_STD, size=(frames, size, size, 1))

    grid = np.arange(size) + 0.5
    video = np.empty((frames, size, size, 3), dtype=np.uint8)
    for t in range(frames):
        cx, cy = start + velocity * t
        # Offsets on the torus, in [-size / 2, size / 2).
        dx = (grid[None, :] - cx + size / 2) % size - size / 2
        dy = (grid[:, None] - cy + size / 2) % size - size / 2
        u = np.cos(angle) * dx + np.sin(angle) * dy
        v = -np.sin(angle) * dx + np.cos(angle) * dy
        alpha = shape_alpha(shape, u, v, radius)[..., None]
        frame = background * (1 - alpha) + colour * alpha + noise[t]
        video[t] = np.clip(np.rint(frame), 0, 255)
    return video


def write_video(path: str,
                video: np.ndarray,
                fps: int = FPS,
                codec: str = 'libx264') -> None:
    """Encode RGB frames to an mp4 file, single-threaded (deterministic).

    Args:
        path (str): The output file.
        video (np.ndarray): RGB frames, uint8, shape (T, H, W, 3) with even
            H and W.
        fps (int): The frame rate. Defaults to 30.
        codec (str): 'libx264' or 'mpeg4'. Defaults to 'libx264'.
    """
    # Reproducible bitstreams need FFmpeg's 'threads' option (setting
    # codec_context.thread_count leaves libx264 multi-threaded) and, for
    # libx264, a constant quantiser: its CRF rate control (macroblock tree)
    # gave different bitstreams from run to run with the same input.
    options = {'threads': '1'}
    if codec == 'libx264':
        options.update(qp='20', preset='veryfast')
    with av.open(path, 'w') as container:
        stream = container.add_stream(codec, rate=fps, options=options)
        stream.width, stream.height = video.shape[2], video.shape[1]
        stream.pix_fmt = 'yuv420p'
        stream.codec_context.gop_size = GOP
        if codec != 'libx264':
            stream.codec_context.bit_rate = MPEG4_BIT_RATE
        for frame in video:
            image = av.VideoFrame.from_ndarray(frame, format='rgb24')
            container.mux(stream.encode(image))
        container.mux(stream.encode())


def generate(out_dir: str,
             num_train: int = 200,
             num_val: int = 80,
             size: int = 64,
             frames: int = 32,
             seed: int = 0,
             num_classes: int = 4,
             force: bool = False,
             progress: bool = True) -> Dict[str, str]:
    """Generate the toy dataset, or keep it if it matches the arguments.

    Writes ``videos/{train,val}_NNNNN.mp4``, ``train_list.txt`` and
    ``val_list.txt`` (``name.mp4 label``), ``pretrain_list.txt`` (train
    videos, no label), ``classes.txt`` and ``meta.json`` (the arguments; it
    is written last, so an interrupted run is redone).

    Args:
        out_dir (str): The output folder.
        num_train (int): The number of training videos. Defaults to 200.
        num_val (int): The number of validation videos. Defaults to 80.
        size (int): Frame height and width: even, at least 32 and not in
            :data:`DECORD_BAD_WIDTHS`. Defaults to 64.
        frames (int): Frames per video. Defaults to 32.
        seed (int): The random seed. Defaults to 0.
        num_classes (int): The number of motion directions, 2 to 8.
            Defaults to 4 (left, right, up, down).
        force (bool): Regenerate even if the output matches.
            Defaults to False.
        progress (bool): Show a progress bar and messages.
            Defaults to True.

    Returns:
        dict[str, str]: The paths of the outputs, keyed by ``video_dir``,
        ``train_list``, ``val_list``, ``pretrain_list``, ``classes`` and
        ``meta``.
    """
    meta = _check_args(num_train, num_val, size, frames, seed, num_classes)
    paths = _output_paths(out_dir)
    if not force and _is_complete(paths, meta):
        if progress:
            print(f'{out_dir} already matches the arguments, skipping '
                  '(use --force to regenerate).')
        return paths
    if osp.isfile(paths['meta']):
        os.remove(paths['meta'])
        shutil.rmtree(paths['video_dir'], ignore_errors=True)
    os.makedirs(paths['video_dir'], exist_ok=True)

    codec = pyav_video_codec()
    entries = {}
    for split_id, split in enumerate(SPLITS):
        num = num_train if split == 'train' else num_val
        labels = balanced_labels(num, num_classes,
                                 np.random.default_rng([seed, split_id]))
        entries[split] = [(f'{split}_{i:05d}.mp4', int(label))
                          for i, label in enumerate(labels)]
        for i, (name, label) in enumerate(
                tqdm(entries[split], desc=split, disable=not progress)):
            rng = np.random.default_rng([seed, split_id, i])
            video = render_video(label, size, frames, rng)
            write_video(osp.join(paths['video_dir'], name), video, codec=codec)

    write_list(entries['train'], paths['train_list'], progress)
    write_list(entries['val'], paths['val_list'], progress)
    write_list([(name, None) for name, _ in entries['train']],
               paths['pretrain_list'], progress)
    write_classes(class_names(num_classes), paths['classes'])
    with open(paths['meta'], 'w') as f:
        json.dump(meta, f, indent=2)
    return paths


def _check_args(num_train: int, num_val: int, size: int, frames: int,
                seed: int, num_classes: int) -> dict:
    class_names(num_classes)
    if num_train < 1 or num_val < 0:
        raise ValueError('Need num_train >= 1 and num_val >= 0, got '
                         f'{num_train} and {num_val}')
    if size < 32 or size % 2 or size in DECORD_BAD_WIDTHS:
        raise ValueError(f'size must be even, >= 32 and not in '
                         f'{DECORD_BAD_WIDTHS}, got {size}')
    if frames < 2:
        raise ValueError(f'frames must be >= 2, got {frames}')
    return dict(
        num_train=num_train,
        num_val=num_val,
        size=size,
        frames=frames,
        seed=seed,
        num_classes=num_classes,
        fps=FPS,
        generator_version=GENERATOR_VERSION)


def _output_paths(out_dir: str) -> Dict[str, str]:
    names = dict(
        video_dir='videos',
        train_list='train_list.txt',
        val_list='val_list.txt',
        pretrain_list='pretrain_list.txt',
        classes='classes.txt',
        meta='meta.json')
    return {key: osp.join(out_dir, name) for key, name in names.items()}


def _is_complete(paths: Dict[str, str], meta: dict) -> bool:
    if not all(osp.exists(path) for path in paths.values()):
        return False
    with open(paths['meta']) as f:
        if json.load(f) != meta:
            return False
    with open(paths['train_list']) as f:
        names = [line.split()[0] for line in f]
    with open(paths['val_list']) as f:
        names += [line.split()[0] for line in f]
    return len(names) == meta['num_train'] + meta['num_val'] and all(
        osp.isfile(osp.join(paths['video_dir'], name)) for name in names)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate a synthetic moving-shape video dataset')
    parser.add_argument('--out-dir', default='data/toy', help='output folder')
    parser.add_argument('--num-train', type=int, default=200)
    parser.add_argument('--num-val', type=int, default=80)
    parser.add_argument(
        '--size', type=int, default=64, help='frame height and width')
    parser.add_argument(
        '--frames', type=int, default=32, help='frames per video')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--num-classes',
        type=int,
        default=4,
        help='number of motion directions (2 to 8)')
    parser.add_argument(
        '--force', action='store_true', help='regenerate existing output')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    generate(args.out_dir, args.num_train, args.num_val, args.size,
             args.frames, args.seed, args.num_classes, args.force)


if __name__ == '__main__':
    main()
