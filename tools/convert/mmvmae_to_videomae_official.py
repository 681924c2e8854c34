"""Convert an mmvmae checkpoint to the official VideoMAE layout.

A ``VideoMAE`` checkpoint (``backbone`` + ``neck``) becomes the official
pretraining layout (``encoder.*``, ``encoder_to_decoder``, ``mask_token``,
``decoder.*``); a recognizer (``backbone`` + ``cls_head``) becomes the
fine-tuned layout (``patch_embed``, ``blocks``, ``fc_norm``/``norm``,
``head``). The output is ``{'model': state_dict}``.

Example:
    python tools/convert/mmvmae_to_videomae_official.py \\
        work_dirs/pretrain/epoch_800.pth videomae_official.pth
"""
# mmvmae first: its compat shims must run before mmaction2 is imported.
import mmvmae  # noqa: F401 isort:skip
import argparse
from typing import Optional, Sequence

from mmvmae.utils.checkpoint_convert import KINDS, convert_to_official_file


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Convert an mmvmae checkpoint to the official VideoMAE '
        'layout')
    parser.add_argument('src', help='mmvmae / mmaction2 checkpoint')
    parser.add_argument('dst', help='output official checkpoint')
    parser.add_argument(
        '--kind',
        choices=KINDS,
        default='auto',
        help='pretrain or finetune layout; auto: pretrain if the checkpoint '
        'has a neck')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Convert and print a summary."""
    args = parse_args(argv)
    conversion = convert_to_official_file(args.src, args.dst, args.kind)
    print(conversion.summary())
    print(f'saved {args.dst}')


if __name__ == '__main__':
    main()
