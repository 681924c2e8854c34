"""Test (and evaluate) a checkpoint with a mmvmae config.

Example:
    python tools/test.py CONFIG CHECKPOINT [--dump results.pkl]
"""
# mmvmae first: its compat shims must run before mmaction2 is imported.
import mmvmae  # noqa: F401 isort:skip
from mmengine.config import Config

from mmvmae.utils.cli import (build_runner, merge_test_args, parse_args,
                              test_parser)


def main() -> None:
    """Parse the arguments, merge them into the config and test."""
    args = parse_args(test_parser())
    cfg = merge_test_args(Config.fromfile(args.config), args)
    build_runner(cfg).test()


if __name__ == '__main__':
    main()
