"""Convert an mmvmae checkpoint to a transformers VideoMAE directory.

A ``VideoMAE`` checkpoint becomes ``VideoMAEForPreTraining`` weights, a
recognizer ``VideoMAEForVideoClassification`` weights, written to
``DST/model.safetensors``. The number of heads is not stored in weights:
with ``--num-heads`` (and ``--decoder-num-heads`` for pretraining) a
``config.json`` is written too, so ``from_pretrained(DST)`` works.

Example:
    python tools/convert/mmvmae_to_hf_videomae.py \\
        work_dirs/pretrain/epoch_800.pth hf_videomae/ \\
        --num-heads 12 --decoder-num-heads 6
"""
# mmvmae first: its compat shims must run before mmaction2 is imported.
import mmvmae  # noqa: F401 isort:skip
import argparse
from typing import Optional, Sequence

from mmvmae.utils.checkpoint_convert import convert_to_hf_dir


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Convert an mmvmae checkpoint to a transformers '
        'VideoMAE model directory')
    parser.add_argument('src', help='mmvmae / mmaction2 checkpoint')
    parser.add_argument('dst', help='output directory')
    parser.add_argument(
        '--num-heads',
        type=int,
        help='encoder attention heads; writes config.json when given')
    parser.add_argument(
        '--decoder-num-heads',
        type=int,
        help='decoder attention heads (pretraining checkpoints)')
    parser.add_argument(
        '--image-size', type=int, default=224, help='input size (config)')
    parser.add_argument(
        '--num-frames', type=int, default=16, help='input frames (config)')
    parser.add_argument(
        '--norm-eps',
        type=float,
        default=1e-6,
        help='layer_norm_eps of the config (VideoMAE and mmvmae use 1e-6, '
        'transformers defaults to 1e-12)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Convert and print a summary."""
    args = parse_args(argv)
    conversion = convert_to_hf_dir(
        args.src,
        args.dst,
        args.num_heads,
        image_size=args.image_size,
        num_frames=args.num_frames,
        decoder_num_heads=args.decoder_num_heads,
        norm_eps=args.norm_eps)
    print(conversion.summary())
    print(f'saved {args.dst}' + ('' if args.num_heads else
                                 ' (no config.json: pass --num-heads)'))


if __name__ == '__main__':
    main()
