r"""Effect of re-encoding videos (short side 320, short GOP) on loading.

Raw downloads are usually larger than the 224² crops training needs and
have long keyframe intervals. ``data_preparation/resize_videos.py``
re-encodes a dataset once to short side 320 with a keyframe every 16
frames. This tool measures what that buys, on real videos:

1. ``source``: the input videos re-encoded to ``--source-short-side``
   (720) with a keyframe every ``--source-gop`` (250) frames, a stand-in
   for raw downloads (the mmaction2 fixtures are small, 340×256);
2. ``recipe``: ``source`` re-encoded with the recipe (320, GOP 16);
3. ``320_long_gop``: ``source`` at 320 with the source's GOP, to separate
   the effect of the resolution from that of the keyframe interval.

All three are made with ``resize_videos.py``'s own code. Each is then
loaded by mmvmae's ``VideoClipDataset`` with the pretraining pipeline of
``benchmark_loader.py`` (4 repeated clips per visit, 16 frames ×
interval 4, MultiScaleCrop + Resize to 224², tube mask) in the main
process, in ABBA rounds. Per variant: clips/s, decoding and crop + resize
time per clip, file sizes and keyframes. The crop + resize share bounds
what moving the augmentation to the GPU could save the loader.

Examples:
    # the mmaction2 fixture videos (../shared/fixtures/mmaction2/*.mp4)
    python tools/analysis/benchmark_reencode.py \
        --out benchmarks/reencode_cpu.json
    # your own raw videos, as they are (no synthetic source)
    python tools/analysis/benchmark_reencode.py --no-fixtures \
        --videos 'data/raw/*.mp4' --keep-source
"""
# mmvmae first: its compat shims must run before mmaction2 is imported.
import mmvmae  # noqa: F401 isort:skip
import argparse
import os
import os.path as osp
import random
import shutil
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from mmvmae.utils.benchmark import (abba_rounds, environment_metadata,
                                    finish_report, load_sibling_tool)

benchmark_loader = load_sibling_tool(__file__, 'benchmark_loader')
REPO_ROOT = benchmark_loader.REPO_ROOT
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)
from data_preparation import resize_videos  # noqa: E402

VARIANTS = ('source', 'recipe', '320_long_gop')


def make_variants(videos: Sequence[str], work_dir: str, args) -> dict:
    """Write the three variants with resize_videos.py; their folders."""
    inputs = osp.join(work_dir, 'input')
    os.makedirs(inputs, exist_ok=True)
    for index, video in enumerate(videos):
        link = osp.join(inputs, f'{index:03d}_{osp.basename(video)}')
        if not osp.exists(link):
            os.symlink(video, link)
    folders = {name: osp.join(work_dir, name) for name in VARIANTS}
    if args.keep_source:
        folders['source'] = inputs
    steps = [('recipe', args.short_side, args.gop),
             ('320_long_gop', args.short_side, args.source_gop)]
    if not args.keep_source:
        steps.insert(0, ('source', args.source_short_side, args.source_gop))
    for name, short_side, gop in steps:
        src = inputs if name == 'source' else folders['source']
        start = time.perf_counter()
        log_file = osp.join(work_dir, f'{name}_failures.log')
        counts = resize_videos.resize_videos(
            src, folders[name], short_side=short_side, gop=gop,
            backend=args.backend, log_file=log_file)
        if counts['failed']:
            raise RuntimeError(
                f'{counts["failed"]} videos failed to re-encode for '
                f'{name}:\n' + failures(log_file))
        print(f'[{name}] short side {short_side}, GOP {gop}: '
              f'{time.perf_counter() - start:.1f} s', flush=True)
    return folders


def failures(log_file: str) -> str:
    """resize_videos.py's failure log, with the input videos' own paths."""
    with open(log_file) as f:
        lines = [line.rstrip('\n').split('\t', 1) for line in f]
    return '\n'.join(f'{osp.realpath(path)}: {error}'
                      for path, error in lines)


def variant_videos(folder: str) -> List[str]:
    """Absolute paths of the videos in a variant's folder."""
    return [osp.join(folder, path)
            for path in resize_videos.find_videos(folder)]


def describe_files(folder: str) -> dict:
    """Sizes, frames and keyframes of a variant's videos."""
    videos = variant_videos(folder)
    infos = [benchmark_loader.video_info(path) for path in videos]
    return dict(
        videos=len(videos),
        megabytes=sum(osp.getsize(path) for path in videos) / 1e6,
        frames=sum(info['frames'] for info in infos),
        keyframes=sum(info['keyframes'] for info in infos),
        sizes=sorted({f"{info['width']}x{info['height']}" for info in infos}))


def measure(folder: str, args) -> dict:
    """Clips/s and time per clip in decoding and crop + resize."""
    videos = variant_videos(folder)
    ann_file = osp.join(folder, 'videos.txt')
    with open(ann_file, 'w') as f:
        f.writelines(f'{video} 0\n' for video in videos)
    dataset, decoder = benchmark_loader.build_dataset('mmvmae', ann_file,
                                                      args)
    transforms = dataset.pipeline.transforms
    augment = [benchmark_loader.TimedTransform(t) for t in transforms[:2]]
    transforms[:2] = augment
    random.seed(args.seed)
    np.random.seed(args.seed)
    for index in range(args.warmup):
        dataset[index % len(videos)]
    decode_start = decoder.seconds
    augment_start = sum(t.seconds for t in augment)
    start = time.perf_counter()
    for index in range(args.iters):
        dataset[index % len(videos)]
    wall = time.perf_counter() - start
    clips = args.iters * args.num_repeats
    return dict(
        clips=clips,
        wall_s=wall,
        decode_s=decoder.seconds - decode_start,
        crop_resize_s=sum(t.seconds for t in augment) - augment_start)


def merge(rounds: List[dict]) -> dict:
    """One variant over its rounds."""
    clips = sum(r['clips'] for r in rounds)
    wall = sum(r['wall_s'] for r in rounds)
    decode = sum(r['decode_s'] for r in rounds)
    augment = sum(r['crop_resize_s'] for r in rounds)
    return dict(
        clips=clips,
        wall_s=wall,
        clips_per_s=clips / wall,
        clips_per_s_per_round=[r['clips'] / r['wall_s'] for r in rounds],
        ms_per_clip=dict(
            total=1e3 * wall / clips,
            decode=1e3 * decode / clips,
            crop_resize=1e3 * augment / clips,
            rest=1e3 * (wall - decode - augment) / clips),
        crop_resize_share=augment / wall,
        decode_share=decode / wall)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Loading speed before and after re-encoding videos')
    parser.add_argument('--videos', nargs='+', default=[],
                        help='video paths or globs (added to the fixtures)')
    parser.add_argument('--no-fixtures', action='store_true',
                        help='do not use the mmaction2 fixture videos')
    parser.add_argument('--keep-source', action='store_true',
                        help='use the videos as the source variant instead '
                        'of re-encoding them to --source-short-side')
    parser.add_argument('--source-short-side', type=int, default=720)
    parser.add_argument('--source-gop', type=int, default=250)
    parser.add_argument('--short-side', type=int, default=320)
    parser.add_argument('--gop', type=int, default=16)
    parser.add_argument('--backend', default='auto',
                        choices=('auto', 'ffmpeg', 'pyav'))
    parser.add_argument('--work-dir',
                        help='keep the re-encoded videos here (default: a '
                        'temporary folder)')
    parser.add_argument('--iters', type=int, default=12,
                        help='video visits timed per round and variant')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--rounds', type=int, default=2)
    benchmark_loader.add_sampling_arguments(parser)
    parser.add_argument('--out', help='write the results as JSON')
    return parser.parse_args(argv)


def run(args, work_dir: str) -> dict:
    """Make the variants, describe and measure them."""
    videos = benchmark_loader.find_videos(args.videos, not args.no_fixtures)
    folders = make_variants(videos, work_dir, args)
    files = {name: describe_files(folders[name]) for name in VARIANTS}
    rounds = abba_rounds(
        list(VARIANTS), args.rounds,
        lambda name, index: measure(folders[name], args),
        lambda index, name, result: (
            f'round {index} {name:13s} '
            f"{result['clips'] / result['wall_s']:7.2f} clips/s"))
    results: Dict[str, dict] = {
        name: dict(files=files[name], **merge(rounds[name]))
        for name in VARIANTS
    }
    base = results['source']['clips_per_s']
    return dict(
        videos=[benchmark_loader.video_info(v) for v in videos],
        results=results,
        ratio_over_source={
            name: results[name]['clips_per_s'] / base
            for name in VARIANTS[1:]
        })


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the benchmark; print a summary and return (and save) the JSON."""
    args = parse_args(argv)
    import cv2
    cv2.setNumThreads(0)  # as mmengine's default env_cfg
    environment = environment_metadata(torch.device('cpu'))
    if args.work_dir:
        measured = run(args, args.work_dir)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            measured = run(args, tmp)
    encoder = ('ffmpeg (libx264)' if shutil.which('ffmpeg')
               and args.backend != 'pyav' else
               f'PyAV ({resize_videos.pyav_video_codec()})')
    for name, result in measured['results'].items():
        ms = result['ms_per_clip']
        print(f"{name:13s} {result['clips_per_s']:7.2f} clips/s  "
              f"decode {ms['decode']:6.1f} ms/clip  crop+resize "
              f"{ms['crop_resize']:5.1f} ms/clip "
              f"({100 * result['crop_resize_share']:.0f}%)  "
              f"{result['files']['megabytes']:.1f} MB  "
              f"{result['files']['keyframes']} keyframes")
    for name, ratio in measured['ratio_over_source'].items():
        print(f'{name} / source clips/s: {ratio:.2f}')
    report = dict(
        tool='tools/analysis/benchmark_reencode.py',
        measured=('VideoClipDataset items in the main process: decode '
                  '(sorted unique frames), MultiScaleCrop + Resize, '
                  'FormatShape, TubeMaskGenerator, PackActionInputs'),
        encoder=encoder,
        args=vars(args),
        environment=environment,
        **measured)
    return finish_report(report, args.out)


if __name__ == '__main__':
    main()
