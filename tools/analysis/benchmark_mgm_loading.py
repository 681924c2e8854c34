r"""Data-loading cost of MGM against tube masking, in the same run.

Both variants load clips of the same videos with ``VideoClipDataset`` and
the VideoMAE Kinetics pretraining pipeline (16 frames at stride 4,
``MultiScaleCrop`` + ``Resize`` to 224, ``FormatShape``, mask at 0.9,
``PackActionInputs``); they differ in two stages:

- ``tube``: ``DecordDecode`` + ``TubeMaskGenerator``;
- ``mgm``: ``MotionVectorDecode`` (PyAV with ``+export_mvs``, motion fields)
  + ``MotionGuidedMaskGenerator``.

Each item is seeded alike (numpy and ``random``) in both variants, so they
draw the same clips and crops. Items run in ABBA rounds in the main process
(per-process cost). Reported: per-clip time statistics, the mean time in
the decoder and in the mask generator, and the ratios ``mgm / tube``.

Examples:
    # the mmaction2 fixture videos (../shared/fixtures/mmaction2)
    python tools/analysis/benchmark_mgm_loading.py \
        --out benchmarks/mgm_loading_cpu.json
    # your own videos
    python tools/analysis/benchmark_mgm_loading.py \
        --videos 'data/kinetics400/videos_val/*.mp4' --iters 64
"""
# mmvmae first: its compat shims must run before mmaction2 is imported.
import mmvmae  # noqa: F401 isort:skip
import argparse
import glob
import os.path as osp
import random
import tempfile
import time
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.registry import init_default_scope

from mmvmae.registry import DATASETS, TRANSFORMS
from mmvmae.utils.benchmark import (environment_metadata, summarize_steps,
                                    write_json)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FIXTURE_GLOB = osp.join(
    osp.dirname(REPO_ROOT), 'shared', 'fixtures', 'mmaction2', '*.mp4')
VARIANTS = {
    'tube': (dict(type='DecordDecode'), dict(type='TubeMaskGenerator')),
    'mgm': (dict(type='MotionVectorDecode'),
            dict(type='MotionGuidedMaskGenerator')),
}


class Timed:
    """A transform that adds up the seconds spent in it."""

    def __init__(self, cfg: dict) -> None:
        self.transform: Callable = TRANSFORMS.build(cfg)
        self.seconds = 0.

    def __call__(self, results: dict) -> dict:
        start = time.perf_counter()
        results = self.transform(results)
        self.seconds += time.perf_counter() - start
        return results


def build_dataset(ann_file: str, decoder: Timed, masker: Timed):
    """The VideoMAE K400 pretraining dataset with the given stages."""
    pipeline = [
        TRANSFORMS.build(
            dict(type='MultiScaleCrop', input_size=224,
                 scales=(1, .875, .75, .66), random_crop=False,
                 max_wh_scale_gap=1, num_fixed_crops=13)),
        TRANSFORMS.build(
            dict(type='Resize', scale=(224, 224), keep_ratio=False)),
        TRANSFORMS.build(dict(type='FormatShape', input_format='NCTHW')),
        masker,
        TRANSFORMS.build(
            dict(type='PackActionInputs',
                 algorithm_keys=('visible_ids', 'masked_ids'))),
    ]
    return DATASETS.build(
        dict(type='VideoClipDataset', ann_file=ann_file,
             data_prefix=dict(video=''), decoder=decoder,
             sampler=dict(type='SampleFrames', clip_len=16,
                          frame_interval=4, num_clips=1),
             pipeline=pipeline))


def run(videos: Sequence[str], iters: int, rounds: int,
        mask_ratio: float) -> Dict[str, object]:
    """Time both variants on ``videos``; return the report."""
    init_default_scope('mmvmae')
    with tempfile.TemporaryDirectory() as tmp:
        ann_file = osp.join(tmp, 'videos.txt')
        with open(ann_file, 'w') as f:
            f.writelines(f'{osp.abspath(v)}\n' for v in videos)
        stages, datasets = {}, {}
        for name, (decoder_cfg, masker_cfg) in VARIANTS.items():
            stages[name] = (Timed(decoder_cfg),
                            Timed(dict(masker_cfg, mask_ratio=mask_ratio)))
            datasets[name] = build_dataset(ann_file, *stages[name])
        times: Dict[str, List[float]] = {name: [] for name in VARIANTS}
        walls = dict.fromkeys(VARIANTS, 0.)
        order = list(VARIANTS)
        for round_ in range(2 * rounds):
            for name in (order if round_ % 2 == 0 else order[::-1]):
                for item in range(iters):
                    np.random.seed(item)
                    random.seed(item)
                    start = time.perf_counter()
                    datasets[name][item % len(videos)]
                    times[name].append(time.perf_counter() - start)
                walls[name] += sum(times[name][-iters:])
    report = {}
    for name in VARIANTS:
        decoder, masker = stages[name]
        report[name] = dict(
            summarize_steps(times[name], walls[name], 1),
            decode_s_per_clip=decoder.seconds / len(times[name]),
            mask_s_per_clip=masker.seconds / len(times[name]))
    tube, mgm = report['tube'], report['mgm']
    report['ratios_mgm_over_tube'] = dict(
        clip_time_p50=mgm['step_time_s']['p50'] / tube['step_time_s']['p50'],
        decode=mgm['decode_s_per_clip'] / tube['decode_s_per_clip'],
        mask=mgm['mask_s_per_clip'] / tube['mask_s_per_clip'])
    generator = stages['mgm'][1].transform
    report['mgm_fallbacks'] = generator.fallbacks
    return report


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--videos', default=FIXTURE_GLOB,
        help='glob of H.264 / MPEG-4 videos (default: the mmaction2 '
        'fixtures)')
    parser.add_argument('--iters', type=int, default=16,
                        help='clips per variant per round')
    parser.add_argument('--rounds', type=int, default=2,
                        help='ABBA round pairs')
    parser.add_argument('--mask-ratio', type=float, default=0.9)
    parser.add_argument('--out', help='JSON file to write')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, object]:
    args = parse_args(argv)
    videos = sorted(glob.glob(args.videos))
    if not videos:
        raise FileNotFoundError(f'no video matches {args.videos}')
    torch.set_num_threads(1)
    report = dict(
        benchmark='mgm_loading',
        videos=[osp.basename(v) for v in videos],
        iters=args.iters, rounds=args.rounds, mask_ratio=args.mask_ratio,
        **run(videos, args.iters, args.rounds, args.mask_ratio),
        environment=environment_metadata(torch.device('cpu')))
    ratios = report['ratios_mgm_over_tube']
    print(f"mgm / tube per clip (p50): {ratios['clip_time_p50']:.2f}x; "
          f"decode {ratios['decode']:.2f}x, mask {ratios['mask']:.2f}x")
    if args.out:
        write_json(args.out, report)
    return report


if __name__ == '__main__':
    main()
