"""Train a model with a mmvmae config.

Example:
    python tools/train.py CONFIG [--amp] [--resume [CHECKPOINT]]
"""
# mmvmae first: its compat shims must run before mmaction2 is imported.
import mmvmae  # noqa: F401 isort:skip
from mmengine.config import Config

from mmvmae.utils.cli import (build_runner, merge_train_args, parse_args,
                              train_parser)


def main() -> None:
    """Parse the arguments, merge them into the config and train."""
    args = parse_args(train_parser())
    cfg = merge_train_args(Config.fromfile(args.config), args)
    build_runner(cfg).train()


if __name__ == '__main__':
    main()
