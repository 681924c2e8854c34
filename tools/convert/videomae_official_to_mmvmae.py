"""Convert an official VideoMAE / VideoMAE V2 checkpoint to mmvmae.

Pretraining checkpoints become ``backbone.*`` + ``neck.*`` (a ``VideoMAE``
model); fine-tuned ones ``backbone.*`` + ``cls_head.fc_cls.*`` (an mmaction2
``Recognizer3D`` with ``VideoViT`` or ``VisionTransformer`` and
``TimeSformerHead``). The output is ``{'state_dict', 'meta'}``, loadable with
``torch.load(weights_only=True)``.

Example:
    python tools/convert/videomae_official_to_mmvmae.py \\
        checkpoint.pth work_dirs/vit-b_pretrain_mmvmae.pth --kind pretrain
"""
# mmvmae first: its compat shims must run before mmaction2 is imported.
import mmvmae  # noqa: F401 isort:skip
import argparse
from typing import Optional, Sequence

from mmvmae.utils.checkpoint_convert import KINDS, convert_official_file


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Convert an official VideoMAE / VideoMAE V2 checkpoint '
        '(weights under "model" or "module", or at top level) to mmvmae')
    parser.add_argument('src', help='official checkpoint (.pth)')
    parser.add_argument('dst', help='output mmvmae checkpoint')
    parser.add_argument(
        '--kind',
        choices=KINDS,
        default='auto',
        help='pretrain (encoder + decoder) or finetune (encoder + head); '
        'auto: pretrain if the checkpoint has a decoder')
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
    conversion = convert_official_file(args.src, args.dst, args.kind,
                                       args.input_size)
    print(conversion.summary())
    print(f'saved {args.dst}')


if __name__ == '__main__':
    main()
