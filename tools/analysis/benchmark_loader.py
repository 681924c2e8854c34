r"""Data-loading clips/s: mmvmae's VideoClipDataset vs mmaction2's
RepeatAugDataset, with repeated sampling, on the same real videos.

Both datasets open each video once, sample ``--num-repeats`` clips
(``SampleFrames``) and run the same per-clip pipeline after decoding
(``MultiScaleCrop`` + ``Resize`` + ``FormatShape`` + ``TubeMaskGenerator`` +
``PackActionInputs``). They differ in how they decode:

- mmvmae ``VideoClipDataset(num_repeats=N)`` decodes the **sorted,
  de-duplicated** union of the clips' frame indices in one pass;
- mmaction2 ``RepeatAugDataset(num_repeats=N)`` (pipeline ``DecordInit,
  SampleFrames, DecordDecode, ...``) decodes the clips' indices
  concatenated **unsorted**, so decord seeks back for every clip.

With the same seeds (numpy and ``random``) both draw the same clips,
crops and masks (the random calls come in the same order), so the work
differs only in decoding. Each
dataset item is ``N`` clips for both (checked). Loading runs through a
``torch.utils.data.DataLoader`` with ``repeat_pseudo_collate``, with
``num_workers`` 0 (the main process: per-process throughput) and any other
counts asked for; throughput per worker is clips/s divided by
``max(1, num_workers)``. With 0 workers the time spent in the decoder is
measured too.

Examples:
    # the mmaction2 fixture videos (../shared/fixtures/mmaction2/*.mp4)
    python tools/analysis/benchmark_loader.py --out benchmarks/loader_cpu.json
    # your own videos, 0 and 4 workers
    python tools/analysis/benchmark_loader.py --no-fixtures \
        --videos 'data/k400/val/*.mp4' --workers 0 4 --iters 64
"""
# mmvmae first: its compat shims must run before mmaction2 is imported.
import mmvmae  # noqa: F401 isort:skip
import argparse
import glob
import os.path as osp
import random
import tempfile
import time
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmaction.datasets import repeat_pseudo_collate
from mmengine.registry import init_default_scope
from torch.utils.data import DataLoader

from mmvmae.registry import DATASETS
from mmvmae.utils.benchmark import (abba_rounds, environment_metadata,
                                    finish_report, summarize_steps)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FIXTURE_GLOB = osp.join('..', 'shared', 'fixtures', 'mmaction2', '*.mp4')
DATASET_NAMES = ('mmvmae', 'mmaction2')


class TimedTransform:
    """Wrap a transform and add up its time and decoded frame count."""

    def __init__(self, transform) -> None:
        self.transform = transform
        self.seconds = 0.
        self.calls = 0
        self.frames = 0

    def __call__(self, results: dict) -> dict:
        self.frames += len(np.asarray(results['frame_inds']).reshape(-1))
        start = time.perf_counter()
        out = self.transform(results)
        self.seconds += time.perf_counter() - start
        self.calls += 1
        return out

    def __repr__(self) -> str:  # RepeatAugDataset reads types from repr
        return repr(self.transform)


def find_videos(patterns: Sequence[str], fixtures: bool) -> List[str]:
    """Absolute paths of the videos: the fixtures (if present and asked
    for) and every ``--videos`` path or glob, de-duplicated, sorted."""
    found = []
    if fixtures:
        found += glob.glob(osp.join(REPO_ROOT, FIXTURE_GLOB))
    for pattern in patterns:
        matches = glob.glob(pattern)
        if not matches and not glob.has_magic(pattern):
            raise FileNotFoundError(f'video not found: {pattern}')
        found += matches
    videos = sorted({osp.abspath(path) for path in found})
    if not videos:
        raise FileNotFoundError(
            f'no videos: {osp.join(REPO_ROOT, FIXTURE_GLOB)} matched nothing '
            'and no --videos were given')
    spaced = [v for v in videos if ' ' in v]
    if spaced:
        raise ValueError('annotation lists are space-separated; these video '
                         f'paths contain spaces: {spaced}')
    return videos


def video_info(path: str) -> dict:
    """Frames, fps, size and keyframes of a video (decord)."""
    from decord import VideoReader
    reader = VideoReader(path, num_threads=1)
    height, width = reader[0].shape[:2]
    shown = osp.relpath(path, REPO_ROOT) if path.startswith(
        osp.dirname(REPO_ROOT)) else path
    return dict(
        path=shown,
        frames=len(reader),
        fps=float(reader.get_avg_fps()),
        width=int(width),
        height=int(height),
        keyframes=len(reader.get_key_indices()))


def common_pipeline(args) -> List[dict]:
    """The per-clip transforms after decoding, shared by both datasets."""
    return [
        dict(
            type='MultiScaleCrop',
            input_size=args.img_size,
            scales=(1, .875, .75, .66),
            random_crop=False,
            max_wh_scale_gap=1),
        dict(
            type='Resize',
            scale=(args.img_size, args.img_size),
            keep_ratio=False),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(
            type='TubeMaskGenerator',
            mask_ratio=args.mask_ratio,
            patch_size=args.patch_size,
            tubelet_size=args.tubelet_size),
        dict(
            type='PackActionInputs',
            algorithm_keys=('visible_ids', 'masked_ids')),
    ]


def build_dataset(name: str, ann_file: str, args):
    """Build one dataset and return it with its (timed) decoder."""
    init_default_scope('mmvmae')
    sampler = dict(
        type='SampleFrames',
        clip_len=args.clip_len,
        frame_interval=args.frame_interval,
        num_clips=1)
    if name == 'mmvmae':
        dataset = DATASETS.build(
            dict(
                type='VideoClipDataset',
                ann_file=ann_file,
                data_prefix=dict(video=''),
                init=dict(type='DecordInit'),
                sampler=sampler,
                decoder=dict(type='DecordDecode'),
                num_repeats=args.num_repeats,
                pipeline=common_pipeline(args)))
        dataset.decoder = TimedTransform(dataset.decoder)
        return dataset, dataset.decoder
    dataset = DATASETS.build(
        dict(
            type='RepeatAugDataset',
            ann_file=ann_file,
            data_prefix=dict(video=''),
            num_repeats=args.num_repeats,
            pipeline=[
                dict(type='DecordInit'), sampler,
                dict(type='DecordDecode')
            ] + common_pipeline(args)))
    transforms = dataset.pipeline.transforms
    transforms[2] = TimedTransform(transforms[2])
    return dataset, transforms[2]


def _seed_worker(worker_id: int) -> None:
    seed = torch.initial_seed() % 2**32
    random.seed(seed)
    np.random.seed(seed)


def measure(name: str, ann_file: str, num_videos: int, workers: int,
            args) -> dict:
    """Clips/s of one dataset with ``workers`` loader processes."""
    dataset, decoder = build_dataset(name, ann_file, args)
    total = args.warmup + args.iters
    indices = [i % num_videos for i in range(total * args.batch_size)]
    # numpy (sampling, masks) and random (MultiScaleCrop) in the same
    # states: both datasets draw the same clips, crops and masks.
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    loader = DataLoader(
        dataset,
        batch_size=args.batch_size,
        sampler=indices,
        num_workers=workers,
        collate_fn=repeat_pseudo_collate,
        worker_init_fn=_seed_worker if workers else None)
    times, clips_per_item = [], set()
    clips = 0
    iterator = iter(loader)
    for _ in range(args.warmup):
        next(iterator)
    decode_start = (decoder.seconds, decoder.calls, decoder.frames)
    start = last = time.perf_counter()
    for batch in iterator:
        now = time.perf_counter()
        times.append(now - last)
        last = now
        clips += len(batch['inputs'])
        clips_per_item.add(len(batch['inputs']) // args.batch_size)
        shape = tuple(batch['inputs'][0].shape)
    wall = time.perf_counter() - start
    del iterator, loader
    # step_time_s is per batch; clips/s is recomputed from the clips seen.
    result = summarize_steps(times, wall, args.batch_size * args.num_repeats)
    result.update(
        clips=clips,
        clips_per_s=clips / wall,
        clips_per_s_per_worker=clips / wall / max(1, workers),
        clips_per_item=sorted(clips_per_item),
        clip_shape=list(shape),
        skipped=len(getattr(dataset, 'skipped', {})))
    if workers == 0:
        seconds = decoder.seconds - decode_start[0]
        calls = decoder.calls - decode_start[1]
        frames = decoder.frames - decode_start[2]
        result.update(
            decode_s_per_item=seconds / calls,
            decode_share=seconds / wall,
            decoded_frames_per_item=frames / calls)
    return result


def add_sampling_arguments(parser: argparse.ArgumentParser) -> None:
    """Clips per visit, clip shape, tube mask and seed of the timed
    pipeline (also used by ``benchmark_reencode.py``)."""
    parser.add_argument('--num-repeats', type=int, default=4,
                        help='clips per video visit')
    parser.add_argument('--clip-len', type=int, default=16)
    parser.add_argument('--frame-interval', type=int, default=4)
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--patch-size', type=int, default=16)
    parser.add_argument('--tubelet-size', type=int, default=2)
    parser.add_argument('--mask-ratio', type=float, default=0.9)
    parser.add_argument('--seed', type=int, default=0)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Loader clips/s: VideoClipDataset vs RepeatAugDataset')
    parser.add_argument('--videos', nargs='+', default=[],
                        help='video paths or globs (added to the fixtures)')
    parser.add_argument('--no-fixtures', action='store_true',
                        help=f'do not use {FIXTURE_GLOB} (relative to the '
                        'repository root)')
    parser.add_argument('--datasets', nargs='+', default=list(DATASET_NAMES),
                        choices=DATASET_NAMES, help='in run order')
    parser.add_argument('--workers', type=int, nargs='+', default=[0],
                        help='DataLoader num_workers values to measure')
    parser.add_argument('--iters', type=int, default=12,
                        help='timed batches per measurement')
    parser.add_argument('--warmup', type=int, default=2,
                        help='untimed batches first (worker start-up too)')
    parser.add_argument('--rounds', type=int, default=2,
                        help='measurements per dataset, in ABBA order')
    parser.add_argument('--batch-size', type=int, default=1,
                        help='videos per batch (clips = x num-repeats)')
    add_sampling_arguments(parser)
    parser.add_argument('--opencv-threads', type=int, default=0,
                        help='cv2.setNumThreads (0, as mmengine sets it)')
    parser.add_argument('--out', help='write the results as JSON')
    return parser.parse_args(argv)


def _merge(rounds: List[dict], workers: int) -> dict:
    """One dataset's result over its rounds (sums of clips and time)."""
    clips = sum(r['clips'] for r in rounds)
    wall = sum(r['wall_s'] for r in rounds)
    merged = dict(
        num_workers=workers,
        clips=clips,
        wall_s=wall,
        clips_per_s=clips / wall,
        clips_per_s_per_worker=clips / wall / max(1, workers),
        clips_per_s_per_round=[r['clips_per_s'] for r in rounds],
        batch_time_s=dict(
            p50=float(np.median([r['step_time_s']['p50'] for r in rounds])),
            p90=float(np.median([r['step_time_s']['p90'] for r in rounds]))),
        clips_per_item=sorted({c for r in rounds for c in r['clips_per_item']
                               }),
        clip_shape=rounds[0]['clip_shape'],
        skipped=sum(r['skipped'] for r in rounds))
    if workers == 0:
        merged.update(
            decode_s_per_item=float(
                np.mean([r['decode_s_per_item'] for r in rounds])),
            decode_share=float(np.mean([r['decode_share'] for r in rounds])),
            decoded_frames_per_item=float(
                np.mean([r['decoded_frames_per_item'] for r in rounds])))
    return merged


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the benchmark; print a summary and return (and save) the JSON."""
    args = parse_args(argv)
    videos = find_videos(args.videos, not args.no_fixtures)
    # As mmengine's default env_cfg (mp_cfg.opencv_num_threads=0): the
    # crops and resizes run in the loading process' own thread.
    import cv2
    cv2.setNumThreads(args.opencv_threads)
    environment = environment_metadata(torch.device('cpu'))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        ann_file = osp.join(tmp, 'videos.txt')
        with open(ann_file, 'w') as f:
            f.writelines(f'{video} 0\n' for video in videos)
        for workers in args.workers:
            rounds = abba_rounds(
                args.datasets, args.rounds,
                lambda name, index: measure(name, ann_file, len(videos),
                                            workers, args),
                lambda index, name, run: (
                    f'[workers={workers}] round {index} {name:9s} '
                    f"{run['clips_per_s']:7.2f} clips/s"))
            merged = {n: _merge(r, workers) for n, r in rounds.items()}
            counts = {n: tuple(m['clips_per_item']) for n, m in merged.items()}
            if len(set(counts.values())) != 1:
                raise RuntimeError(
                    f'datasets give different clips per item: {counts}')
            ratio = None
            if set(DATASET_NAMES) <= set(merged):
                mm, ma = merged['mmvmae'], merged['mmaction2']
                ratio = dict(
                    clips_per_s_per_worker=(mm['clips_per_s_per_worker'] /
                                            ma['clips_per_s_per_worker']))
                if workers == 0:
                    ratio['decode_s_per_item'] = (mm['decode_s_per_item'] /
                                                  ma['decode_s_per_item'])
            for name, res in merged.items():
                line = (f'[workers={workers}] {name:9s} '
                        f"{res['clips_per_s']:7.2f} clips/s  "
                        f"{res['clips_per_s_per_worker']:7.2f} per worker")
                if workers == 0:
                    line += (f"  decode {res['decode_s_per_item']:.3f} s/item"
                             f" ({res['decoded_frames_per_item']:.0f} frames)")
                print(line, flush=True)
            if ratio:
                print(f'[workers={workers}] mmvmae / mmaction2 clips/s per '
                      f"worker: {ratio['clips_per_s_per_worker']:.3f}",
                      flush=True)
            results.append(
                dict(num_workers=workers, datasets=merged,
                     ratio_mmvmae_over_mmaction2=ratio))
    report = dict(
        tool='tools/analysis/benchmark_loader.py',
        datasets=dict(
            mmvmae='mmvmae VideoClipDataset(num_repeats=N): decode the '
            'sorted unique union of the clips\' frames once',
            mmaction2='mmaction2 RepeatAugDataset(num_repeats=N): decode '
            'the clips\' frame indices concatenated unsorted'),
        pipeline_after_decode=[t['type'] for t in common_pipeline(args)],
        videos=[video_info(v) for v in videos],
        args=vars(args),
        environment=environment,
        results=results)
    return finish_report(report, args.out)


if __name__ == '__main__':
    main()
