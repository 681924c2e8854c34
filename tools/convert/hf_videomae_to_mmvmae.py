"""Convert local transformers VideoMAE weights to mmvmae.

Reads ``model.safetensors`` or ``pytorch_model.bin`` from a model directory
(or the file itself); nothing is downloaded. ``VideoMAEForPreTraining``
weights become a ``VideoMAE`` model, ``VideoMAEForVideoClassification`` (or
bare ``VideoMAEModel``) weights a recognizer. ``config.json``, if present,
is kept in ``meta['hf_config']``.

Example:
    python tools/convert/hf_videomae_to_mmvmae.py \\
        ~/models/videomae-base work_dirs/videomae-base_mmvmae.pth
"""
# mmvmae first: its compat shims must run before mmaction2 is imported.
import mmvmae  # noqa: F401 isort:skip
import argparse
from typing import Optional, Sequence

from mmvmae.utils.checkpoint_convert import convert_hf_file


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Convert local transformers VideoMAE weights to mmvmae')
    parser.add_argument(
        'src', help='model directory, model.safetensors or pytorch_model.bin')
    parser.add_argument('dst', help='output mmvmae checkpoint')
    parser.add_argument(
        '--input-size',
        nargs=2,
        type=int,
        metavar=('FRAMES', 'SIZE'),
        help='also write the fixed sinusoid backbone.pos_embed for clips of '
        'FRAMES frames of SIZExSIZE pixels (needed by mmaction2\'s '
        'VisionTransformer, which loads strictly; VideoViT makes its own)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Convert and print a summary."""
    args = parse_args(argv)
    conversion = convert_hf_file(args.src, args.dst, args.input_size)
    print(conversion.summary())
    print(f'saved {args.dst}')


if __name__ == '__main__':
    main()
