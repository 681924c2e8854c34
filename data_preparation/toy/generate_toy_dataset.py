"""Generate a tiny synthetic video dataset whose classes need motion.

Each video shows one shape (square, disc or triangle; random colour, size
and rotation) on a random static texture with a little per-frame noise. The
shape moves at a random constant speed in the direction given by the class
and wraps around the frame edges (the frame is a torus). Shape, colour,
size and position are drawn independently of the class and the position is
uniform at every frame, so a single frame carries no information about the
class: only the motion does.

Optional modalities, off by default and leaving the videos' frames as they
are: an audio track whose pitch is the class (``--audio``, ``--audio-file``;
``toy_audio.py``), IMU readings of the shape's motion from three virtual
devices (``--imu``; ``toy_imu.py``) and template captions (``--captions``;
``toy_captions.py``).

Everything is drawn from ``numpy.random.default_rng([seed, split, index])``
(each modality from its own stream, see :data:`STREAMS`), so the same seed
gives the same lists, files and decoded frames.

Example::

    python data_preparation/toy/generate_toy_dataset.py --out-dir data/toy
    python data_preparation/toy/generate_toy_dataset.py \
        --out-dir data/toy_mm --audio --audio-file --imu --captions
"""
import argparse
import colorsys
import json
import os
import os.path as osp
import shutil
import sys
from typing import Dict, List, NamedTuple, Optional

import av
import numpy as np
from tqdm import tqdm

if not __package__:  # run as a script: put the repository root on path
    sys.path.insert(
        0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from data_preparation.common import (MPEG4_BIT_RATE, pyav_video_codec,
                                     write_classes, write_list)
from data_preparation.toy.toy_audio import (AUDIO_CODECS, SAMPLE_RATE,
                                            add_audio_stream, mux_audio,
                                            synthesize_audio, write_wav)
from data_preparation.toy.toy_captions import (CAPTIONS_PER_CLIP,
                                               make_captions, write_captions)
from data_preparation.toy.toy_imu import (IMU_DEVICES, IMU_RATE,
                                          apply_faults, channel_spec,
                                          draw_faults, simulate_imu,
                                          write_imu_csv)

# Bump when a change of this file changes the generated videos.
GENERATOR_VERSION = 1
# Bump when a change changes the optional modalities (toy_*.py).
MODALITIES_VERSION = 1
# Random streams of the modalities: clip i of split s draws its video from
# default_rng([seed, s, i]) and modality m from [seed, s, i, STREAMS[m]].
STREAMS = dict(audio=1, imu=2, captions=3, imu_faults=4)
# The outputs of each modality: name in the returned paths -> relative path.
MODALITY_OUTPUTS = dict(
    audio_file=dict(audio_dir='audio'),
    imu=dict(
        imu_dir='imu',
        imu_channels='imu/channels.json',
        imu_faults='imu/faults.json'),
    captions=dict(
        train_captions='train_captions.json',
        val_captions='val_captions.json',
        train_captions_jsonl='train_captions.jsonl',
        val_captions_jsonl='val_captions.jsonl'))
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


class ShapeLook(NamedTuple):
    """How a shape looks: kind, colour, size and rotation."""
    shape: str
    hue: float
    colour: np.ndarray  # RGB in [0, 255]
    radius: float  # pixels
    angle: float


def draw_look(size: int,
              rng: np.random.Generator,
              radius_range: tuple = (0.12, 0.2)) -> ShapeLook:
    """Draw a shape, its colour, radius and rotation.

    Args:
        size (int): The frame height and width.
        rng (np.random.Generator): The random generator.
        radius_range (tuple): The radius range, in frame widths.
            Defaults to (0.12, 0.2).

    Returns:
        ShapeLook: The shape's look.
    """
    shape = SHAPES[rng.integers(len(SHAPES))]
    hue = rng.uniform()
    colour = 255 * np.array(
        colorsys.hsv_to_rgb(hue, rng.uniform(0.5, 1), rng.uniform(0.8, 1)))
    radius = rng.uniform(*radius_range) * size
    angle = rng.uniform(0, 2 * np.pi)
    return ShapeLook(shape, hue, colour, radius, angle)


def shape_coverage(look: ShapeLook, centre: np.ndarray,
                   size: int) -> np.ndarray:
    """Coverage of a shape centred at ``centre`` on a torus-shaped frame.

    Args:
        look (ShapeLook): The shape (``shape``, ``radius`` and ``angle``
            are used).
        centre (np.ndarray): The centre ``(x, y)`` in pixels.
        size (int): The frame height and width.

    Returns:
        np.ndarray: Coverage in [0, 1], shape (size, size).
    """
    grid = np.arange(size) + 0.5
    cx, cy = centre
    # Offsets on the torus, in [-size / 2, size / 2).
    dx = (grid[None, :] - cx + size / 2) % size - size / 2
    dy = (grid[:, None] - cy + size / 2) % size - size / 2
    u = np.cos(look.angle) * dx + np.sin(look.angle) * dy
    v = -np.sin(look.angle) * dx + np.cos(look.angle) * dy
    return shape_alpha(look.shape, u, v, look.radius)


class ToyClip(NamedTuple):
    """Everything drawn for one clip, before rendering it."""
    label: int
    shape: str
    hue: float
    colour: np.ndarray  # RGB in [0, 255]
    radius: float  # pixels
    angle: float
    start: np.ndarray  # (x, y) at frame 0, pixels
    speed: float  # frame widths crossed during the clip, 0.5 to 1
    velocity: np.ndarray  # (dx, dy) pixels per frame
    background: np.ndarray
    noise: np.ndarray


def draw_clip(label: int, size: int, frames: int,
              rng: np.random.Generator) -> ToyClip:
    """Draw the content of one clip whose shape moves as ``label`` says.

    Args:
        label (int): The class label; see :data:`DIRECTIONS`.
        size (int): The frame height and width.
        frames (int): The number of frames.
        rng (np.random.Generator): The random generator.

    Returns:
        ToyClip: The clip's shape, colour, motion, background and noise.
    """
    background = render_background(size, rng)
    look = draw_look(size, rng)
    start = rng.uniform(0, size, size=2)
    speed = rng.uniform(0.5, 1.0)
    velocity = direction(label) * speed * size / frames
    noise = rng.normal(0, NOISE_STD, size=(frames, size, size, 1))
    return ToyClip(label, look.shape, look.hue, look.colour, look.radius,
                   look.angle, start, speed, velocity, background, noise)


def render_clip(clip: ToyClip) -> np.ndarray:
    """Render the frames of a clip from :func:`draw_clip`.

    Args:
        clip (ToyClip): The clip.

    Returns:
        np.ndarray: RGB frames, uint8, shape (frames, size, size, 3).
    """
    frames, size = clip.noise.shape[:2]
    look = ShapeLook(clip.shape, clip.hue, clip.colour, clip.radius,
                     clip.angle)
    video = np.empty((frames, size, size, 3), dtype=np.uint8)
    for t in range(frames):
        alpha = shape_coverage(look, clip.start + clip.velocity * t,
                               size)[..., None]
        frame = (clip.background * (1 - alpha) + clip.colour * alpha +
                 clip.noise[t])
        video[t] = np.clip(np.rint(frame), 0, 255)
    return video


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
    return render_clip(draw_clip(label, size, frames, rng))


def write_video(path: str,
                video: np.ndarray,
                fps: int = FPS,
                codec: str = 'libx264',
                audio: Optional[np.ndarray] = None,
                audio_codec: str = 'aac') -> None:
    """Encode RGB frames to an mp4 file, single-threaded (deterministic).

    Args:
        path (str): The output file.
        video (np.ndarray): RGB frames, uint8, shape (T, H, W, 3) with even
            H and W.
        fps (int): The frame rate. Defaults to 30.
        codec (str): 'libx264' or 'mpeg4'. Defaults to 'libx264'.
        audio (np.ndarray, optional): A mono waveform at
            :data:`~toy_audio.SAMPLE_RATE` to mux as an audio track.
            Defaults to None (no audio track).
        audio_codec (str): 'aac' or 'mp3', for ``audio``.
            Defaults to 'aac'.
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
        if audio is not None:
            audio_stream = add_audio_stream(container, audio_codec)
        for frame in video:
            image = av.VideoFrame.from_ndarray(frame, format='rgb24')
            container.mux(stream.encode(image))
        container.mux(stream.encode())
        if audio is not None:
            mux_audio(container, audio_stream, audio)


def generate(out_dir: str,
             num_train: int = 200,
             num_val: int = 80,
             size: int = 64,
             frames: int = 32,
             seed: int = 0,
             num_classes: int = 4,
             force: bool = False,
             progress: bool = True,
             audio: Optional[str] = None,
             audio_file: bool = False,
             imu: bool = False,
             captions: bool = False,
             imu_dead_prob: float = 0.0,
             imu_backwards_prob: float = 0.0) -> Dict[str, str]:
    """Generate the toy dataset, or keep it if it matches the arguments.

    Writes ``videos/{train,val}_NNNNN.mp4``, ``train_list.txt`` and
    ``val_list.txt`` (``name.mp4 label``), ``pretrain_list.txt`` (train
    videos, no label), ``classes.txt`` and ``meta.json`` (the arguments; it
    is written last, so an interrupted run is redone). The optional
    modalities add ``audio/NNNNN.wav`` (``audio_file``), ``imu/*.csv``,
    ``imu/channels.json`` and ``imu/faults.json`` (``imu``) and
    ``{train,val}_captions.json(l)`` (``captions``); see
    ``data_preparation/toy/README.md``. They leave the video frames as they
    are.

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
        audio (str, optional): Mux an audio track coded with 'aac' or 'mp3'
            into each video. Defaults to None (no track).
        audio_file (bool): Write the audio as a separate 16-bit wav file
            per video. Defaults to False.
        imu (bool): Write an IMU CSV per video. Defaults to False.
        captions (bool): Write captions. Defaults to False.
        imu_dead_prob (float): Probability that one IMU device of a clip is
            dead (``nan``); needs ``imu``. Defaults to 0.
        imu_backwards_prob (float): Probability that a clip's IMU
            timestamps go backwards once; needs ``imu``. Defaults to 0.

    Returns:
        dict[str, str]: The paths of the outputs, keyed by ``video_dir``,
        ``train_list``, ``val_list``, ``pretrain_list``, ``classes`` and
        ``meta``, plus those of the enabled modalities: ``audio_dir``;
        ``imu_dir``, ``imu_channels``, ``imu_faults``; ``train_captions``,
        ``val_captions``, ``train_captions_jsonl``, ``val_captions_jsonl``.
    """
    modalities = _check_modalities(audio, audio_file, imu, captions,
                                   imu_dead_prob, imu_backwards_prob)
    meta = _check_args(num_train, num_val, size, frames, seed, num_classes)
    if modalities:
        meta['modalities'] = modalities
    paths = _output_paths(out_dir, modalities)
    if not force and _is_complete(paths, meta):
        if progress:
            print(f'{out_dir} already matches the arguments, skipping '
                  '(use --force to regenerate).')
        return paths
    if osp.isfile(paths['meta']):
        os.remove(paths['meta'])
        _remove_clip_outputs(out_dir)
    for key in ('video_dir', 'audio_dir', 'imu_dir'):
        if key in paths:
            os.makedirs(paths[key], exist_ok=True)

    codec = pyav_video_codec()
    entries, texts, faults = {}, {}, {}
    for split_id, split in enumerate(SPLITS):
        num = num_train if split == 'train' else num_val
        labels = balanced_labels(num, num_classes,
                                 np.random.default_rng([seed, split_id]))
        entries[split] = [(f'{split}_{i:05d}.mp4', int(label))
                          for i, label in enumerate(labels)]
        for i, (name, label) in enumerate(
                tqdm(entries[split], desc=split, disable=not progress)):
            key = [seed, split_id, i]
            clip = draw_clip(label, size, frames, np.random.default_rng(key))
            outputs = _write_modalities(paths, name, clip, key, modalities)
            write_video(
                osp.join(paths['video_dir'], name),
                render_clip(clip),
                codec=codec,
                audio=outputs.get('audio'),
                audio_codec=audio or 'aac')
            if 'imu_faults' in outputs:
                faults[_stem(name) + '.csv'] = outputs['imu_faults']
            if 'captions' in outputs:
                texts[name] = outputs['captions']

    write_list(entries['train'], paths['train_list'], progress)
    write_list(entries['val'], paths['val_list'], progress)
    write_list([(name, None) for name, _ in entries['train']],
               paths['pretrain_list'], progress)
    write_classes(class_names(num_classes), paths['classes'])
    _write_annotations(paths, entries, texts, faults, modalities, progress)
    with open(paths['meta'], 'w') as f:
        json.dump(meta, f, indent=2)
    return paths


def _write_modalities(paths: Dict[str, str], name: str, clip: ToyClip,
                      key: List[int], modalities: dict) -> dict:
    """Write a clip's wav and IMU files; return what goes elsewhere.

    Each modality draws from its own stream ``key + [STREAMS[modality]]``,
    so enabling one changes neither the video nor the other modalities.

    Returns:
        dict: ``audio`` (the waveform to mux), ``imu_faults`` (the faults
        of the CSV, if any) and ``captions``, for the enabled modalities.
    """
    outputs = {}
    frames, size = clip.noise.shape[:2]
    duration = frames / FPS
    if modalities.get('audio') or modalities.get('audio_file'):
        waveform = synthesize_audio(
            clip.label, clip.speed, duration,
            np.random.default_rng(key + [STREAMS['audio']]))
        if modalities['audio']:
            outputs['audio'] = waveform
        if modalities['audio_file']:
            write_wav(
                osp.join(paths['audio_dir'], _stem(name) + '.wav'), waveform)
    if modalities.get('imu'):
        timestamps, readings = simulate_imu(
            clip.velocity * FPS / size, duration,
            np.random.default_rng(key + [STREAMS['imu']]))
        faults = draw_faults(
            timestamps.size, modalities['imu_dead_prob'],
            modalities['imu_backwards_prob'],
            np.random.default_rng(key + [STREAMS['imu_faults']]))
        write_imu_csv(
            osp.join(paths['imu_dir'], _stem(name) + '.csv'),
            *apply_faults(timestamps, readings, faults))
        if faults['dead_devices'] or faults['swapped_rows']:
            outputs['imu_faults'] = faults
    if modalities.get('captions'):
        outputs['captions'] = make_captions(
            clip.shape, clip.hue, clip.radius / size,
            DIRECTIONS[clip.label][0], clip.speed,
            np.random.default_rng(key + [STREAMS['captions']]))
    return outputs


def _write_annotations(paths: Dict[str, str], entries: dict, texts: dict,
                       faults: dict, modalities: dict,
                       progress: bool) -> None:
    """Write the per-split caption files and the IMU spec and faults."""
    if modalities.get('captions'):
        for split in SPLITS:
            write_captions(entries[split], texts,
                           paths[f'{split}_captions'],
                           paths[f'{split}_captions_jsonl'])
            if progress:
                print(f'Wrote {CAPTIONS_PER_CLIP} captions for each of '
                      f'{len(entries[split])} videos to '
                      f'{paths[f"{split}_captions"]} and .jsonl')
    if modalities.get('imu'):
        with open(paths['imu_channels'], 'w') as f:
            json.dump(channel_spec(), f, indent=2)
        with open(paths['imu_faults'], 'w') as f:
            json.dump(faults, f, indent=2)
    if not progress:
        return
    num = sum(len(split_entries) for split_entries in entries.values())
    if modalities.get('audio'):
        print(f'Muxed {modalities["audio"]} audio ({SAMPLE_RATE} Hz, mono) '
              f'into {num} videos in {paths["video_dir"]}')
    if modalities.get('audio_file'):
        print(f'Wrote {num} wav files to {paths["audio_dir"]}')
    if modalities.get('imu'):
        dead = sum(len(fault['dead_devices']) for fault in faults.values())
        swapped = sum(fault['swapped_rows'] is not None
                      for fault in faults.values())
        print(f'Wrote {num} IMU CSVs ({len(IMU_DEVICES)} devices, '
              f'{IMU_RATE} Hz) to {paths["imu_dir"]}: {dead} dead devices, '
              f'{swapped} with backwards timestamps')


def _remove_clip_outputs(out_dir: str) -> None:
    """Remove ``videos/`` and every modality output of an old dataset."""
    shutil.rmtree(osp.join(out_dir, 'videos'), ignore_errors=True)
    for outputs in MODALITY_OUTPUTS.values():
        for name in outputs.values():
            path = osp.join(out_dir, name)
            if osp.isdir(path):
                shutil.rmtree(path)
            elif osp.isfile(path):
                os.remove(path)


def _stem(name: str) -> str:
    return osp.splitext(name)[0]


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


def _check_modalities(audio: Optional[str], audio_file: bool, imu: bool,
                      captions: bool, imu_dead_prob: float,
                      imu_backwards_prob: float) -> dict:
    """Check the modality arguments; return their meta (empty if none)."""
    if audio is not None and audio not in AUDIO_CODECS:
        raise ValueError(f'audio must be None or one of '
                         f'{sorted(AUDIO_CODECS)}, got {audio!r}')
    for name, prob in (('imu_dead_prob', imu_dead_prob),
                       ('imu_backwards_prob', imu_backwards_prob)):
        if not 0 <= prob <= 1:
            raise ValueError(f'{name} must be in [0, 1], got {prob}')
        if prob and not imu:
            raise ValueError(f'{name}={prob} needs imu=True')
    if audio is None and not (audio_file or imu or captions):
        return {}
    return dict(
        audio=audio,
        audio_file=audio_file,
        imu=imu,
        captions=captions,
        imu_dead_prob=imu_dead_prob,
        imu_backwards_prob=imu_backwards_prob,
        audio_sample_rate=SAMPLE_RATE,
        imu_rate=IMU_RATE,
        version=MODALITIES_VERSION)


def _output_paths(out_dir: str, modalities: dict) -> Dict[str, str]:
    names = dict(
        video_dir='videos',
        train_list='train_list.txt',
        val_list='val_list.txt',
        pretrain_list='pretrain_list.txt',
        classes='classes.txt',
        meta='meta.json')
    for modality, outputs in MODALITY_OUTPUTS.items():
        if modalities.get(modality):
            names.update(outputs)
    return {key: osp.join(out_dir, name) for key, name in names.items()}


def outputs_match_meta(paths: Dict[str, str], meta: dict) -> bool:
    """Whether every path of ``paths`` exists and ``paths['meta']``
    holds ``meta`` (the start of a toy generator's completeness check)."""
    if not all(osp.exists(path) for path in paths.values()):
        return False
    with open(paths['meta']) as f:
        return json.load(f) == meta


def _is_complete(paths: Dict[str, str], meta: dict) -> bool:
    if not outputs_match_meta(paths, meta):
        return False
    with open(paths['train_list']) as f:
        names = [line.split()[0] for line in f]
    with open(paths['val_list']) as f:
        names += [line.split()[0] for line in f]
    clip_files = [osp.join(paths['video_dir'], name) for name in names]
    for key, ext in (('audio_dir', '.wav'), ('imu_dir', '.csv')):
        if key in paths:
            clip_files += [
                osp.join(paths[key], _stem(name) + ext) for name in names
            ]
    return len(names) == meta['num_train'] + meta['num_val'] and all(
        osp.isfile(path) for path in clip_files)


def add_output_arguments(parser: argparse.ArgumentParser, out_dir: str,
                         num_train: int, num_val: int) -> None:
    """``--out-dir``, ``--num-train``, ``--num-val`` and ``--size`` of a
    toy generator, with its own defaults for the first three."""
    parser.add_argument('--out-dir', default=out_dir, help='output folder')
    parser.add_argument('--num-train', type=int, default=num_train)
    parser.add_argument('--num-val', type=int, default=num_val)
    parser.add_argument(
        '--size', type=int, default=64, help='frame height and width')


def add_class_arguments(parser: argparse.ArgumentParser) -> None:
    """``--seed`` and ``--num-classes`` (motion directions) of a toy
    generator."""
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--num-classes',
        type=int,
        default=4,
        help='number of motion directions (2 to 8)')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate a synthetic moving-shape video dataset')
    add_output_arguments(parser, 'data/toy', num_train=200, num_val=80)
    parser.add_argument(
        '--frames', type=int, default=32, help='frames per video')
    add_class_arguments(parser)
    parser.add_argument(
        '--force', action='store_true', help='regenerate existing output')
    group = parser.add_argument_group(
        'optional modalities (none by default)')
    group.add_argument(
        '--audio',
        nargs='?',
        const='aac',
        choices=sorted(AUDIO_CODECS),
        help='mux an audio track (16 kHz mono, pitch = class) into each '
        'video, coded with AAC (the default) or MP3')
    group.add_argument(
        '--audio-file',
        action='store_true',
        help='write the audio as audio/<video name>.wav as well')
    group.add_argument(
        '--imu',
        action='store_true',
        help=f'write imu/<video name>.csv: {len(IMU_DEVICES)} virtual '
        f'devices at {IMU_RATE} Hz')
    group.add_argument(
        '--captions',
        action='store_true',
        help='write {train,val}_captions.json (VideoTextDataset) and .jsonl')
    group.add_argument(
        '--imu-dead-prob',
        type=float,
        default=0.0,
        help='probability that one IMU device of a clip is dead (nan)')
    group.add_argument(
        '--imu-backwards-prob',
        type=float,
        default=0.0,
        help='probability that two IMU rows of a clip are swapped')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    generate(args.out_dir, args.num_train, args.num_val, args.size,
             args.frames, args.seed, args.num_classes, args.force,
             audio=args.audio, audio_file=args.audio_file, imu=args.imu,
             captions=args.captions, imu_dead_prob=args.imu_dead_prob,
             imu_backwards_prob=args.imu_backwards_prob)


if __name__ == '__main__':
    main()
