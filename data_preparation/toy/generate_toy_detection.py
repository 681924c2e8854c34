"""Generate long synthetic videos with labelled action segments and boxes.

The detection counterpart of ``generate_toy_dataset.py``: each video (64x64,
8 fps, 96-160 frames by default) shows one or two shapes of the
classification toy on a static texture. A shape stays still except during
its 1-3 action segments, in which it moves in the direction of the
segment's class (the classification toy's classes, so an encoder trained
on the toy clips transfers). Outputs, under ``--out-dir``:

- ``videos/<video_id>.mp4``: the videos;
- ``annotations/toy_tad.json``: ActivityNet/ActionFormer-style segments
  (subsets ``training`` and ``validation``); ``annotations/classes.txt``;
- ``annotations/toy_tracks/<video_id>.npz``: per-frame boxes, centres and
  actions of every object;
- ``ava/``: an AVA-format copy (rawframes, CSVs, action list, proposals)
  for mmaction2's ``AVADataset`` (``--no-ava`` skips it);
- ``meta.json``: the arguments (with ``"complete": false`` while a run
  is writing).

See ``data_preparation/toy/README.md`` and ``docs/detection_data.md``.

Example::

    python data_preparation/toy/generate_toy_detection.py \
        --out-dir data/toy_det
"""
import argparse
import json
import os
import os.path as osp
import shutil
import sys
from collections import Counter
from typing import Dict

import numpy as np
from tqdm import tqdm

if not __package__:  # run as a script: put the repository root on path
    sys.path.insert(
        0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from data_preparation.common import pyav_video_codec, write_classes
from data_preparation.toy.generate_toy_dataset import (DECORD_BAD_WIDTHS,
                                                       SPLITS,
                                                       add_class_arguments,
                                                       add_output_arguments,
                                                       class_names,
                                                       outputs_match_meta,
                                                       write_video)
from data_preparation.toy.toy_det_annotations import (SUBSETS, tad_entry,
                                                      track_arrays,
                                                      write_tad_json)
from data_preparation.toy.toy_det_ava import (FILENAME_TMPL,
                                              keyframe_proposals,
                                              keyframe_records,
                                              keyframe_timestamps,
                                              write_action_list,
                                              write_rawframes, write_split)
from data_preparation.toy.toy_det_render import render_scene
from data_preparation.toy.toy_det_scene import (EDGE_MARGIN, MIN_SPEED,
                                                RADIUS_RANGE, SceneSpec,
                                                draw_scene, scene_segments)

# Bump when a change of the toy_det_*.py modules changes the outputs.
GENERATOR_VERSION = 1
# Random streams: video i of split s draws its scene from
# default_rng([seed, s, i, STREAMS['scene']]) and its AVA proposals from
# [seed, s, i, STREAMS['proposals']], apart from the classification toy's.
STREAMS = dict(scene=10, proposals=11)
# The folders a run writes (and a new run with other arguments removes).
OUTPUT_FOLDERS = ('videos', 'annotations', 'ava')


def video_id(split: str, index: int) -> str:
    """The id of video ``index`` of ``split``, e.g. ``train_00003``."""
    return f'{split}_{index:05d}'


def scene_rng(seed: int, split: str, index: int,
              stream: str = 'scene') -> np.random.Generator:
    """The random generator of one video's scene or proposals."""
    return np.random.default_rng(
        [seed, SPLITS.index(split), index, STREAMS[stream]])


def output_paths(out_dir: str, ava: bool = True) -> Dict[str, str]:
    """The paths of every output folder and dataset-wide file.

    Args:
        out_dir (str): The output folder.
        ava (bool): Include the AVA copy's paths. Defaults to True.

    Returns:
        dict[str, str]: Paths keyed by ``root`` (``out_dir``),
        ``video_dir``, ``tad_json``, ``classes``, ``tracks_dir``, ``meta``
        and, with ``ava``, ``ava_dir``, ``ava_frames_dir``,
        ``ava_action_list`` and ``ava_{train,val}_{csv,excluded,proposals}``.
    """
    names = dict(
        video_dir='videos',
        tad_json='annotations/toy_tad.json',
        classes='annotations/classes.txt',
        tracks_dir='annotations/toy_tracks',
        meta='meta.json')
    if ava:
        names.update(
            ava_dir='ava',
            ava_frames_dir='ava/rawframes',
            ava_action_list='ava/annotations/ava_action_list.pbtxt')
        for split in SPLITS:
            names.update({
                f'ava_{split}_csv':
                f'ava/annotations/ava_{split}.csv',
                f'ava_{split}_excluded':
                f'ava/annotations/ava_{split}_excluded_timestamps.csv',
                f'ava_{split}_proposals':
                f'ava/annotations/ava_dense_proposals_{split}.pkl',
            })
    paths = {key: osp.join(out_dir, name) for key, name in names.items()}
    return dict(root=out_dir, **paths)


def ava_dataset_kwargs(paths: Dict[str, str], split: str,
                       meta: dict) -> dict:
    """The mmaction2 ``AVADataset`` arguments (no pipeline) of a split.

    Args:
        paths (dict[str, str]): From :func:`generate`.
        split (str): 'train' or 'val'.
        meta (dict): The content of ``meta.json``.

    Returns:
        dict: ``ann_file``, ``exclude_file``, ``label_file``,
        ``proposal_file``, ``data_prefix``, ``filename_tmpl``,
        ``start_index``, ``fps``, ``timestamp_start``, ``timestamp_end``,
        ``num_classes`` and ``person_det_score_thr``.
    """
    return dict(
        ann_file=paths[f'ava_{split}_csv'],
        exclude_file=paths[f'ava_{split}_excluded'],
        label_file=paths['ava_action_list'],
        proposal_file=paths[f'ava_{split}_proposals'],
        data_prefix=dict(img=paths['ava_frames_dir']),
        filename_tmpl=FILENAME_TMPL,
        start_index=0,
        fps=meta['fps'],
        timestamp_start=0,
        timestamp_end=-(-meta['max_frames'] // meta['fps']),
        num_classes=meta['num_classes'] + 2,
        person_det_score_thr=0.9)


def check_args(num_train: int, num_val: int, size: int, fps: int,
               min_frames: int, max_frames: int, seed: int,
               num_classes: int, min_segment: int, max_segment: int,
               max_segments: int, min_gap: int, max_objects: int,
               ava: bool) -> dict:
    """Check the arguments of :func:`generate`; return ``meta.json``'s."""
    class_names(num_classes)
    if num_train < 1 or num_val < 0:
        raise ValueError('Need num_train >= 1 and num_val >= 0, got '
                         f'{num_train} and {num_val}')
    if size < 32 or size % 2 or size in DECORD_BAD_WIDTHS:
        raise ValueError(f'size must be even, >= 32 and not in '
                         f'{DECORD_BAD_WIDTHS}, got {size}')
    if not isinstance(fps, int) or fps < 1:
        raise ValueError(f'fps must be a positive integer, got {fps!r}')
    if not 1 <= min_segment <= max_segment:
        raise ValueError('Need 1 <= min_segment <= max_segment, got '
                         f'{min_segment} and {max_segment}')
    if max_segments < 1 or min_gap < 1 or max_objects < 1:
        raise ValueError('max_segments, min_gap and max_objects must be '
                         f'>= 1, got {max_segments}, {min_gap} and '
                         f'{max_objects}')
    shortest = max(min_segment + 2 * min_gap, 2 * fps + 1)
    if not shortest <= min_frames <= max_frames:
        raise ValueError(
            f'Need max(min_segment + 2 * min_gap, 2 * fps + 1) = '
            f'{shortest} <= min_frames <= max_frames, got {min_frames} '
            f'and {max_frames}')
    room = size - 2 * (1.2 * RADIUS_RANGE[1] * size + 1 + EDGE_MARGIN)
    if max_segment * MIN_SPEED > room:
        raise ValueError(
            f'max_segment={max_segment} frames at {MIN_SPEED} px/frame '
            f'leave a {size}x{size} frame (room {room:.1f} px); use at '
            f'most {int(room / MIN_SPEED)} frames')
    return dict(
        num_train=num_train,
        num_val=num_val,
        size=size,
        fps=fps,
        min_frames=min_frames,
        max_frames=max_frames,
        seed=seed,
        num_classes=num_classes,
        min_segment=min_segment,
        max_segment=max_segment,
        max_segments=max_segments,
        min_gap=min_gap,
        max_objects=max_objects,
        ava=ava,
        generator_version=GENERATOR_VERSION)


def is_complete(paths: Dict[str, str], meta: dict) -> bool:
    """Whether ``paths`` hold a whole dataset made with ``meta``."""
    if not outputs_match_meta(paths, meta):
        return False
    with open(paths['tad_json']) as f:
        database = json.load(f)['database']
    if len(database) != meta['num_train'] + meta['num_val']:
        return False
    for vid, entry in database.items():
        files = [
            osp.join(paths['video_dir'], vid + '.mp4'),
            osp.join(paths['tracks_dir'], vid + '.npz')
        ]
        if not all(osp.isfile(path) for path in files):
            return False
        frames = round(entry['duration'] * entry['fps'])
        last = osp.join(paths.get('ava_frames_dir', ''), vid,
                        FILENAME_TMPL.format(frames - 1))
        if meta['ava'] and not osp.isfile(last):
            return False
    return True


def generate(out_dir: str = 'data/toy_det',
             num_train: int = 60,
             num_val: int = 20,
             size: int = 64,
             fps: int = 8,
             min_frames: int = 96,
             max_frames: int = 160,
             seed: int = 0,
             num_classes: int = 4,
             min_segment: int = 12,
             max_segment: int = 48,
             max_segments: int = 3,
             min_gap: int = 4,
             max_objects: int = 2,
             ava: bool = True,
             force: bool = False,
             progress: bool = True) -> Dict[str, str]:
    """Generate the toy detection data, or keep it if it matches.

    Args:
        out_dir (str): The output folder. Defaults to 'data/toy_det'.
        num_train (int): Training videos. Defaults to 60.
        num_val (int): Validation videos. Defaults to 20.
        size (int): Frame height and width: even, at least 32 and not in
            ``DECORD_BAD_WIDTHS``. Defaults to 64.
        fps (int): Frame rate, an integer (AVA keyframes are whole
            seconds). Defaults to 8.
        min_frames (int): Fewest frames of a video. Defaults to 96.
        max_frames (int): Most frames of a video. Defaults to 160.
        seed (int): The random seed. Defaults to 0.
        num_classes (int): Motion directions, 2 to 8. Defaults to 4.
        min_segment (int): Shortest segment, frames. Defaults to 12.
        max_segment (int): Longest segment, frames. Defaults to 48.
        max_segments (int): Most segments per object. Defaults to 3.
        min_gap (int): Fewest still frames between an object's segments
            and before the first and after the last. Defaults to 4.
        max_objects (int): Most objects per video. Defaults to 2.
        ava (bool): Write the AVA-format copy. Defaults to True.
        force (bool): Regenerate even if the output matches.
            Defaults to False.
        progress (bool): Show progress bars and a summary.
            Defaults to True.

    Returns:
        dict[str, str]: The paths of the outputs, see :func:`output_paths`.
    """
    meta = check_args(num_train, num_val, size, fps, min_frames, max_frames,
                      seed, num_classes, min_segment, max_segment,
                      max_segments, min_gap, max_objects, ava)
    paths = output_paths(out_dir, ava)
    if not force and is_complete(paths, meta):
        if progress:
            print(f'{out_dir} already matches the arguments, skipping '
                  '(use --force to regenerate).')
        return paths
    _start(out_dir, meta)
    for key in ('video_dir', 'tracks_dir', 'ava_frames_dir'):
        if key in paths:
            os.makedirs(paths[key], exist_ok=True)
    os.makedirs(osp.dirname(paths['tad_json']), exist_ok=True)
    if ava:
        os.makedirs(osp.dirname(paths['ava_action_list']), exist_ok=True)

    spec = SceneSpec(size, num_classes, min_frames, max_frames, min_segment,
                     max_segment, max_segments, min_gap, max_objects)
    classes = class_names(num_classes)
    codec = pyav_video_codec()
    database, stats = {}, Counter()
    for split in SPLITS:
        rows, excluded, proposals = [], [], {}
        num = num_train if split == 'train' else num_val
        for i in tqdm(range(num), desc=split, disable=not progress):
            vid = video_id(split, i)
            scene = draw_scene(spec, scene_rng(seed, split, i))
            video, boxes = render_scene(scene)
            write_video(
                osp.join(paths['video_dir'], vid + '.mp4'),
                video,
                fps=fps,
                codec=codec)
            database[vid] = tad_entry(scene, split, fps, classes)
            tracks = track_arrays(scene, boxes, fps, num_classes)
            np.savez(osp.join(paths['tracks_dir'], vid + '.npz'), **tracks)
            stats[f'{split}_objects'] += len(scene.objects)
            stats[f'{split}_segments'] += len(tracks['segments'])
            if not ava:
                continue
            write_rawframes(osp.join(paths['ava_frames_dir'], vid), video)
            video_rows, video_excluded = keyframe_records(
                vid, tracks['boxes'], tracks['actions'],
                scene_segments(scene), fps, num_classes)
            rows += video_rows
            excluded += video_excluded
            proposals.update(
                keyframe_proposals(vid, tracks['boxes'], fps,
                                   scene_rng(seed, split, i, 'proposals')))
            stats[f'{split}_keyframes'] += len(
                keyframe_timestamps(len(video), fps))
            stats[f'{split}_excluded'] += len(video_excluded)
        if ava:
            write_split(paths, split, rows, excluded, proposals)
    write_tad_json(database, paths['tad_json'])
    write_classes(classes, paths['classes'])
    if ava:
        write_action_list(classes, paths['ava_action_list'])
    with open(paths['meta'], 'w') as f:
        json.dump(meta, f, indent=2)
    if progress:
        _print_summary(paths, meta, stats)
    return paths


def _start(out_dir: str, meta: dict) -> None:
    """Remove the outputs of an earlier run (of other arguments, or
    interrupted) and mark ``out_dir`` as being written.

    ``meta.json`` holds ``meta`` plus ``"complete": false`` until the run
    ends; output folders without this generator's ``meta.json`` are not
    touched: that raises an error.
    """
    folders = [osp.join(out_dir, name) for name in OUTPUT_FOLDERS]
    meta_file = osp.join(out_dir, 'meta.json')
    old = {}
    if osp.isfile(meta_file):
        with open(meta_file) as f:
            old = json.load(f)
    if 'max_segments' not in old and any(map(osp.exists, folders)):
        raise ValueError(
            f'{out_dir} holds outputs without a meta.json of this '
            f'generator ({", ".join(OUTPUT_FOLDERS)}); refusing to '
            'overwrite them, choose another --out-dir')
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(out_dir, exist_ok=True)
    with open(meta_file, 'w') as f:
        json.dump(dict(meta, complete=False), f, indent=2)


def _print_summary(paths: Dict[str, str], meta: dict, stats: Counter) -> None:
    for split in SPLITS:
        num = meta[f'num_{split}']
        print(f'{split}: {num} videos with {stats[f"{split}_objects"]} '
              f'objects and {stats[f"{split}_segments"]} segments '
              f'({SUBSETS[split]} in {paths["tad_json"]})')
        if meta['ava']:
            print(f'  AVA: {stats[f"{split}_keyframes"]} keyframes, '
                  f'{stats[f"{split}_excluded"]} excluded, in '
                  f'{paths[f"ava_{split}_csv"]}')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate long synthetic videos with action segments '
        'and boxes (temporal and spatio-temporal detection)')
    add_output_arguments(parser, 'data/toy_det', num_train=60, num_val=20)
    parser.add_argument('--fps', type=int, default=8)
    parser.add_argument(
        '--min-frames', type=int, default=96, help='fewest frames a video')
    parser.add_argument(
        '--max-frames', type=int, default=160, help='most frames a video')
    add_class_arguments(parser)
    parser.add_argument(
        '--min-segment', type=int, default=12, help='shortest segment')
    parser.add_argument(
        '--max-segment', type=int, default=48, help='longest segment')
    parser.add_argument(
        '--max-segments', type=int, default=3, help='most per object')
    parser.add_argument(
        '--min-gap',
        type=int,
        default=4,
        help='fewest still frames around each segment')
    parser.add_argument(
        '--max-objects', type=int, default=2, help='most per video')
    parser.add_argument(
        '--no-ava', action='store_true', help='skip the AVA-format copy')
    parser.add_argument(
        '--force', action='store_true', help='regenerate existing output')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    try:
        generate(args.out_dir, args.num_train, args.num_val, args.size,
                 args.fps, args.min_frames, args.max_frames, args.seed,
                 args.num_classes, args.min_segment, args.max_segment,
                 args.max_segments, args.min_gap, args.max_objects,
                 not args.no_ava, args.force)
    except ValueError as error:
        sys.exit(f'error: {error}')


if __name__ == '__main__':
    main()
