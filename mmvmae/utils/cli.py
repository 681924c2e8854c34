"""Argument parsing and config merging for ``tools/train.py`` and
``tools/test.py``.

The tools stay thin: they parse their arguments with :func:`train_parser`
or :func:`test_parser` (through :func:`parse_args`), merge them into the
config with :func:`merge_train_args` or :func:`merge_test_args` and run the
runner of :func:`build_runner`.

Merge order: ``--cfg-options`` is merged into the config file first, then
the dedicated flags (``--amp``, ``--resume``, ``--work-dir``, ...) apply on
top, so a flag always wins over a ``--cfg-options`` key it overlaps.
"""
import argparse
import importlib.util
import os
import os.path as osp
from typing import Optional, Sequence

from mmengine.config import Config, DictAction
from mmengine.optim import AmpOptimWrapper
from mmengine.runner import Runner

from mmvmae.registry import OPTIM_WRAPPERS, RUNNERS

LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')
FLEXIBLE_RUNNER = 'FlexibleRunner'
# Strategies (mmengine's FlexibleRunner) that need a package of their own.
STRATEGY_PACKAGES = {
    'DeepSpeedStrategy': 'deepspeed',
    'ColossalAIStrategy': 'colossalai'
}
DUMP_SUFFIXES = ('.pkl', '.pickle')
WRAPPER_SUFFIX = 'OptimWrapper'
CFG_OPTIONS_HELP = (
    'override settings of the config: key=value pairs, merged into the '
    'config before the other flags apply. A list value is written '
    'key="[a,b]" or key=a,b; nested lists/tuples as key="[(a,b),(c,d)]" '
    '(the quotation marks are needed and no white space is allowed).')


def add_common_args(parser: argparse.ArgumentParser,
                    work_dir_help: str) -> None:
    """Add the arguments both tools share.

    Args:
        parser (argparse.ArgumentParser): The parser to extend.
        work_dir_help (str): Help text of ``--work-dir``.
    """
    parser.add_argument('--work-dir', help=work_dir_help)
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help=CFG_OPTIONS_HELP)
    parser.add_argument(
        '--launcher', choices=LAUNCHERS, default='none', help='job launcher')
    parser.add_argument(
        '--local_rank',
        '--local-rank',
        type=int,
        default=0,
        help='local rank, used when the launcher does not set LOCAL_RANK')


def train_parser() -> argparse.ArgumentParser:
    """Build the argument parser of ``tools/train.py``.

    Returns:
        argparse.ArgumentParser: The parser.
    """
    parser = argparse.ArgumentParser(description='Train a mmvmae model')
    parser.add_argument('config', help='train config file path')
    add_common_args(parser, 'the directory to save logs and checkpoints')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or, without a path, from the '
        'latest checkpoint in the work directory')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic mixed precision training')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate by the actual batch size over '
        '`auto_scale_lr.base_batch_size` of the config')
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument(
        '--diff-rank-seed',
        action='store_true',
        help='set a different seed on every rank')
    parser.add_argument(
        '--deterministic',
        action='store_true',
        help='set deterministic options for the CUDNN backend')
    return parser


def test_parser() -> argparse.ArgumentParser:
    """Build the argument parser of ``tools/test.py``.

    Returns:
        argparse.ArgumentParser: The parser.
    """
    parser = argparse.ArgumentParser(
        description='Test (and evaluate) a mmvmae model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    add_common_args(parser,
                    'the directory to save the evaluation metrics and logs')
    parser.add_argument(
        '--dump',
        type=str,
        help='dump the predictions to this .pkl/.pickle file for offline '
        'evaluation')
    parser.add_argument(
        '--show-dir',
        help='directory where the visualizations are saved (needs '
        '`default_hooks.visualization` in the config)')
    return parser


def parse_args(parser: argparse.ArgumentParser,
               argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the arguments and export ``LOCAL_RANK`` for the launcher.

    Args:
        parser (argparse.ArgumentParser): Parser of :func:`train_parser` or
            :func:`test_parser`.
        argv (Sequence[str], optional): The arguments; ``sys.argv[1:]`` if
            None. Defaults to None.

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    args = parser.parse_args(argv)
    set_local_rank_env(args.local_rank)
    return args


def set_local_rank_env(local_rank: int) -> None:
    """Set ``LOCAL_RANK`` unless the launcher (torchrun, srun) has set it.

    Args:
        local_rank (int): Value of ``--local-rank``.
    """
    os.environ.setdefault('LOCAL_RANK', str(local_rank))


def check_checkpoint(path: Optional[str], what: str) -> None:
    """Fail early when a local checkpoint file does not exist.

    ``None`` and remote URIs (``https://``, ``s3://``, ``open-mmlab://``,
    ...), which mmengine fetches itself, are not checked.

    Args:
        path (str, optional): The checkpoint path.
        what (str): What the path is, for the error message.

    Raises:
        FileNotFoundError: If ``path`` is local and not a file.
    """
    if path is None or '://' in str(path):
        return
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} not found: {path}')


def merge_common_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Merge ``--cfg-options``, ``--launcher`` and ``--work-dir``.

    The work directory is, by priority, ``--work-dir``, ``work_dir`` of the
    config, or ``./work_dirs/<config file stem>``.

    Args:
        cfg (Config): The config, updated in place.
        args (argparse.Namespace): Arguments of either tool.

    Returns:
        Config: The updated config.
    """
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        stem = osp.splitext(osp.basename(args.config))[0]
        cfg.work_dir = osp.join('./work_dirs', stem)
    return cfg


def merge_train_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Merge the arguments of ``tools/train.py`` into the config.

    Args:
        cfg (Config): The config, updated in place.
        args (argparse.Namespace): Arguments of :func:`train_parser`.

    Returns:
        Config: The updated config, with ``load_from`` checked.

    Raises:
        FileNotFoundError: If the ``--resume`` checkpoint or ``load_from``
            does not exist.
        ValueError: If ``--amp`` meets an unusable optim wrapper type, or
            ``--auto-scale-lr`` a config without ``auto_scale_lr``.
    """
    cfg = merge_common_args(cfg, args)
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    if args.amp:
        enable_amp(cfg)
    if args.resume is not None:
        set_resume(cfg, args.resume)
    if args.auto_scale_lr:
        enable_auto_scale_lr(cfg)
    set_randomness(cfg, args)
    check_checkpoint(cfg.get('load_from'), 'load_from checkpoint')
    return cfg


def merge_test_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Merge the arguments of ``tools/test.py`` into the config.

    Args:
        cfg (Config): The config, updated in place.
        args (argparse.Namespace): Arguments of :func:`test_parser`.

    Returns:
        Config: The updated config, loading ``args.checkpoint``.

    Raises:
        FileNotFoundError: If the checkpoint does not exist.
        ValueError: If ``--dump`` does not end in ``.pkl``/``.pickle``, or
            ``--show-dir`` is given and the config has no visualization
            hook.
    """
    cfg = merge_common_args(cfg, args)
    if args.show_dir is not None:
        enable_visualization(cfg, args.show_dir)
    if args.dump is not None:
        add_dump_metric(cfg, args.dump)
    check_checkpoint(args.checkpoint, 'checkpoint')
    cfg.load_from = args.checkpoint
    return cfg


def enable_amp(cfg: Config) -> None:
    """Switch the optim wrapper to automatic mixed precision.

    The type must be a registered name ending in ``OptimWrapper`` (or such
    a class). An ``AmpOptimWrapper`` subclass is kept; any other
    ``XOptimWrapper`` becomes its registered AMP counterpart
    ``XAmpOptimWrapper`` (``OptimWrapper`` becomes ``AmpOptimWrapper``,
    ``FiniteLossOptimWrapper`` becomes ``FiniteLossAmpOptimWrapper``).
    ``loss_scale='dynamic'`` is set unless the config sets it.

    Args:
        cfg (Config): The config, updated in place.

    Raises:
        ValueError: If the config has no ``optim_wrapper``, its type is not
            a registered ``*OptimWrapper``, or it has no AMP counterpart.
    """
    if cfg.get('optim_wrapper') is None:
        raise ValueError('--amp needs an `optim_wrapper` in the config')
    wrapper_type = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if not issubclass(_optim_wrapper_class(wrapper_type), AmpOptimWrapper):
        cfg.optim_wrapper.type = _amp_counterpart(wrapper_type)
    cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')


def _type_name(wrapper_type) -> str:
    """The name of an optim wrapper type given as a name or a class."""
    if isinstance(wrapper_type, type):  # a class, from a lazy config
        return wrapper_type.__name__
    return str(wrapper_type)


def _optim_wrapper_class(wrapper_type) -> type:
    """Resolve an optim wrapper type for ``--amp``, or raise ValueError."""
    name = _type_name(wrapper_type)
    if isinstance(wrapper_type, type):
        wrapper_cls = wrapper_type
    else:
        wrapper_cls = OPTIM_WRAPPERS.get(name)
    if wrapper_cls is None or not name.endswith(WRAPPER_SUFFIX):
        raise ValueError(
            f'--amp does not support optim_wrapper type {name!r}: use '
            'a type registered in OPTIM_WRAPPERS whose name ends in '
            f'{WRAPPER_SUFFIX!r}')
    return wrapper_cls


def _amp_counterpart(wrapper_type) -> str:
    """``'XOptimWrapper'`` -> ``'XAmpOptimWrapper'``, which must be a
    registered ``AmpOptimWrapper`` subclass, or raise ValueError."""
    name = _type_name(wrapper_type)
    amp_name = name[:-len(WRAPPER_SUFFIX)] + 'Amp' + WRAPPER_SUFFIX
    amp_cls = OPTIM_WRAPPERS.get(amp_name)
    if amp_cls is None or not issubclass(amp_cls, AmpOptimWrapper):
        raise ValueError(
            '--amp found no AMP counterpart of optim_wrapper type '
            f'{name!r}: {amp_name!r} is not a registered AmpOptimWrapper; '
            'set an AmpOptimWrapper type in the config instead')
    return amp_name


def set_resume(cfg: Config, resume: str) -> None:
    """Resume from the latest checkpoint (``'auto'``) or from a path.

    Args:
        cfg (Config): The config, updated in place.
        resume (str): ``'auto'`` or a checkpoint path.

    Raises:
        FileNotFoundError: If the checkpoint path does not exist.
    """
    cfg.resume = True
    if resume == 'auto':
        cfg.load_from = None
        return
    check_checkpoint(resume, '--resume checkpoint')
    cfg.load_from = resume


def enable_auto_scale_lr(cfg: Config) -> None:
    """Turn on ``auto_scale_lr`` of the config.

    Args:
        cfg (Config): The config, updated in place.

    Raises:
        ValueError: If the config has no ``auto_scale_lr``.
    """
    if cfg.get('auto_scale_lr') is None:
        raise ValueError(
            '--auto-scale-lr needs `auto_scale_lr = dict(enable=False, '
            'base_batch_size=...)` in the config')
    cfg.auto_scale_lr.enable = True


def set_randomness(cfg: Config, args: argparse.Namespace) -> None:
    """Set ``cfg.randomness``; the seed flags override the config's values.

    Args:
        cfg (Config): The config, updated in place.
        args (argparse.Namespace): Arguments of :func:`train_parser`.
    """
    randomness = dict(seed=None, diff_rank_seed=False, deterministic=False)
    randomness.update(cfg.get('randomness') or {})
    if args.seed is not None:
        randomness['seed'] = args.seed
    if args.diff_rank_seed:
        randomness['diff_rank_seed'] = True
    if args.deterministic:
        randomness['deterministic'] = True
    cfg.randomness = randomness


def enable_visualization(cfg: Config, show_dir: str) -> None:
    """Save the visualizations of the visualization hook to ``show_dir``.

    Args:
        cfg (Config): The config, updated in place.
        show_dir (str): Output directory of the visualizations.

    Raises:
        ValueError: If the config has no ``default_hooks.visualization``.
    """
    if 'visualization' not in (cfg.get('default_hooks') or {}):
        raise ValueError('--show-dir needs `default_hooks.visualization = '
                         "dict(type='VisualizationHook')` in the config")
    cfg.default_hooks.visualization.update(enable=True, out_dir=show_dir)


def add_dump_metric(cfg: Config, out_file_path: str) -> None:
    """Append a ``DumpResults`` metric to ``cfg.test_evaluator``.

    Args:
        cfg (Config): The config, updated in place.
        out_file_path (str): The pickle file to dump the predictions to.

    Raises:
        ValueError: If the file does not end in ``.pkl`` or ``.pickle``.
    """
    if not out_file_path.endswith(DUMP_SUFFIXES):
        raise ValueError(
            f'--dump must end in .pkl or .pickle, got {out_file_path}')
    evaluators = cfg.get('test_evaluator')
    if evaluators is None:
        evaluators = []
    elif not isinstance(evaluators, (list, tuple)):
        evaluators = [evaluators]
    dump = dict(type='DumpResults', out_file_path=out_file_path)
    cfg.test_evaluator = [*evaluators, dump]


def build_runner(cfg: Config) -> Runner:
    """Build the runner: ``RUNNERS`` if ``runner_type`` is set, else
    :class:`mmengine.runner.Runner`.

    A config with a ``strategy`` (FSDP, DeepSpeed, ...) and no
    ``runner_type`` gets mmengine's ``FlexibleRunner``, the runner that
    reads strategies; see :func:`select_runner_type` and
    :func:`move_find_unused_parameters`.

    Args:
        cfg (Config): The merged config, updated in place.

    Returns:
        Runner: The runner.
    """
    select_runner_type(cfg)
    move_find_unused_parameters(cfg)
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def select_runner_type(cfg: Config) -> None:
    """Set ``runner_type='FlexibleRunner'`` when the config has a
    ``strategy``, and check that the strategy's package is installed.

    Args:
        cfg (Config): The config, updated in place.

    Raises:
        ImportError: If the strategy needs a package that is missing
            (``deepspeed``, ``colossalai``), naming it.
        ValueError: If a ``strategy`` meets a ``runner_type`` other than
            ``FlexibleRunner`` (mmengine's ``Runner`` ignores strategies).
    """
    strategy = cfg.get('strategy')
    if strategy is None:
        return
    runner_type = _type_name(cfg.get('runner_type', FLEXIBLE_RUNNER))
    if runner_type != FLEXIBLE_RUNNER:
        raise ValueError(
            f'the config sets strategy={_type_name(strategy.get("type"))!r} '
            f'but runner_type={runner_type!r}, which ignores strategies; '
            f"use runner_type='{FLEXIBLE_RUNNER}' or drop the strategy")
    cfg.runner_type = cfg.get('runner_type', FLEXIBLE_RUNNER)
    package = STRATEGY_PACKAGES.get(_type_name(strategy.get('type')))
    if package is not None and importlib.util.find_spec(package) is None:
        raise ImportError(
            f'strategy {_type_name(strategy["type"])!r} needs the '
            f'{package!r} package, which is not installed: pip install '
            f'{package} (see docs/distributed.md)')


def move_find_unused_parameters(cfg: Config) -> None:
    """Move a top-level ``find_unused_parameters`` into
    ``model_wrapper_cfg``, which mmengine's Runner reads instead whenever
    it is set (as in ``configs/_base_/default_runtime.py``).

    Args:
        cfg (Config): The config, updated in place.
    """
    if 'find_unused_parameters' not in cfg or cfg.get(
            'model_wrapper_cfg') is None:
        return
    cfg.model_wrapper_cfg.find_unused_parameters = cfg.pop(
        'find_unused_parameters')
