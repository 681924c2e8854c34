"""Extract sliding-window features of long videos with the video encoder of
any mmvmae config (for temporal action detection on features).

One float32 ``<video_id>.npy`` (num_features, C) per video and an
``index.json`` (window, stride, fps, time convention, per-video metadata,
failed videos) in ``--out-dir``; see docs/feature_extraction.md. Finished
videos are skipped when run again. Example::

    python tools/misc/extract_features.py \\
        configs/demo/videomae_vit-tiny-p8_1xb8-toy_pretrain.py \\
        work_dirs/videomae_vit-tiny-p8_1xb8-toy_pretrain/epoch_20.pth \\
        data/toy_det/annotations/toy_tad.json \\
        --video-root data/toy_det/videos --out-dir data/toy_det/features \\
        --clip-len 8 --frame-interval 2 --stride 4

Several processes (one per GPU) share the videos with torchrun::

    torchrun --nproc_per_node 8 tools/misc/extract_features.py ... \\
        --device cuda
"""
import argparse
import os
import os.path as osp
from datetime import timedelta

import mmvmae  # noqa: F401  isort:skip  (shims and registries first)
import torch
import torch.distributed as dist
from mmengine.config import Config, DictAction
from mmengine.logging import print_log

from mmvmae.apis import (POOLINGS, RESIZE_MODES, TAILS, FeatureExtractor,
                         collect_videos, extract_videos)
from mmvmae.utils.cli import CFG_OPTIONS_HELP

# Ranks wait for the slowest one before rank 0 merges the index.
DIST_TIMEOUT = timedelta(hours=24)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0].replace('\n', ' '))
    parser.add_argument('config', help='pretraining or fine-tuning config')
    parser.add_argument(
        'checkpoint',
        help='checkpoint (mmvmae / mmaction2, official VideoMAE / V2, or '
        'transformers file or folder)')
    parser.add_argument(
        'videos', nargs='+',
        help='video files, folders of videos, list files (one path per '
        'line) or annotation JSON files (ActivityNet / ActionFormer)')
    parser.add_argument('--out-dir', required=True, help='feature folder')
    parser.add_argument(
        '--video-root',
        help='folder of the videos of list / annotation files (default: '
        'the folder of the list file)')
    parser.add_argument(
        '--subset', help='only annotated videos of this subset')
    parser.add_argument(
        '--clip-len', type=int,
        help="frames per window (default: the encoder's num_frames)")
    parser.add_argument(
        '--frame-interval', type=int, default=1,
        help='source frames between sampled frames (default: 1)')
    parser.add_argument(
        '--stride', type=int, default=4,
        help='source frames between windows (default: 4)')
    parser.add_argument(
        '--batch-size', type=int, default=8,
        help='windows per encoder call (default: 8)')
    parser.add_argument(
        '--pooling', choices=POOLINGS, default='mean',
        help="'mean': mean of all tokens through the encoder's final norm")
    parser.add_argument(
        '--resize', choices=RESIZE_MODES, default='crop',
        help="'crop': short side to the input size, centre crop (default);"
        " 'square': whole frame resized to a square (VideoMAE V2 TAD)")
    parser.add_argument(
        '--input-size', type=int,
        help="window height and width (default: the encoder's img_size)")
    parser.add_argument(
        '--tail', choices=TAILS, default='drop',
        help="frames after the last full window: 'drop' (default) or 'pad' "
        '(one more window, past-the-end frames repeat the last one)')
    parser.add_argument(
        '--device',
        default='cuda' if torch.cuda.is_available() else 'cpu',
        help='cpu or cuda (under torchrun: cuda:LOCAL_RANK)')
    parser.add_argument(
        '--checkpoint-prefix',
        help="key prefix of the encoder in the checkpoint (default: the "
        "config's, 'backbone.' or 'encoders.imgs.')")
    parser.add_argument(
        '--decode-threads', type=int, default=1,
        help='decord threads per video (default: 1)')
    parser.add_argument(
        '--overwrite', action='store_true',
        help='redo videos that are already finished')
    parser.add_argument(
        '--skip-bad', action='store_true',
        help='log, count and list unusable videos in index.json ("failed")'
        ' and go on, instead of stopping at the first one')
    parser.add_argument(
        '--no-progress', action='store_true', help='no progress bar')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help=CFG_OPTIONS_HELP)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    """Extract the features of this process's share of the videos."""
    args = parse_args(argv)
    world_size = int(os.environ.get('WORLD_SIZE', '1'))
    rank = int(os.environ.get('RANK', '0'))
    device = args.device
    if world_size > 1:
        dist.init_process_group('gloo', timeout=DIST_TIMEOUT)
        if device == 'cuda':
            device = f'cuda:{os.environ.get("LOCAL_RANK", "0")}'
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    extractor = FeatureExtractor(
        cfg,
        args.checkpoint,
        clip_len=args.clip_len,
        frame_interval=args.frame_interval,
        stride=args.stride,
        batch_size=args.batch_size,
        pooling=args.pooling,
        resize=args.resize,
        input_size=args.input_size,
        tail=args.tail,
        device=device,
        checkpoint_prefix=args.checkpoint_prefix,
        decode_threads=args.decode_threads)
    sources = collect_videos(args.videos, args.video_root, args.subset)
    summary = extract_videos(
        extractor, sources, args.out_dir, overwrite=args.overwrite,
        skip_bad=args.skip_bad, rank=rank, world_size=world_size,
        progress=rank == 0 and not args.no_progress)
    if world_size > 1:
        dist.barrier()
        if rank == 0:
            summary.index.merge()
        dist.destroy_process_group()
    if rank == 0:
        index = summary.index
        print_log(
            f'{osp.join(args.out_dir, "index.json")}: {len(index.videos)} '
            f'videos, {len(index.failed)} failed', logger='current')


if __name__ == '__main__':
    main()
