"""Tests of the command line tools and :mod:`mmvmae.utils.cli`."""
import os
import os.path as osp
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import AmpOptimWrapper, OptimWrapper

import mmvmae  # noqa: F401
from mmvmae.utils import cli

REPO_ROOT = Path(__file__).resolve().parents[1]
TOOLS = REPO_ROOT / 'tools'
SHELL_SCRIPTS = sorted(TOOLS.rglob('*.sh'))
TINY_CONFIG = """\
default_scope = 'mmvmae'
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1))
test_evaluator = dict(type='AccMetric')
"""


def make_cfg(**kwargs) -> Config:
    """A config with the fields the tools touch; kwargs override them."""
    fields = dict(
        optim_wrapper=dict(
            type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=10),
        val_cfg=dict(type='ValLoop'),
        val_dataloader=dict(batch_size=2),
        val_evaluator=dict(type='AccMetric'),
        test_evaluator=dict(type='AccMetric'),
        default_hooks=dict(visualization=dict(type='VisualizationHook')),
        auto_scale_lr=dict(enable=False, base_batch_size=64))
    fields.update(kwargs)
    return Config(fields)


def merge_train(cfg: Config, *argv: str) -> Config:
    """Parse ``argv`` of ``tools/train.py`` and merge it into ``cfg``."""
    args = cli.train_parser().parse_args(['configs/foo_cfg.py', *argv])
    return cli.merge_train_args(cfg, args)


def merge_test(cfg: Config, checkpoint: str, *argv: str) -> Config:
    """Parse ``argv`` of ``tools/test.py`` and merge it into ``cfg``."""
    args = cli.test_parser().parse_args(
        ['configs/foo_cfg.py', checkpoint, *argv])
    return cli.merge_test_args(cfg, args)


@pytest.fixture
def ckpt(tmp_path: Path) -> str:
    path = tmp_path / 'epoch_1.pth'
    path.write_bytes(b'')
    return str(path)


@pytest.fixture
def config_file(tmp_path: Path) -> str:
    path = tmp_path / 'tiny_cfg.py'
    path.write_text(TINY_CONFIG)
    return str(path)


# ----------------------------- train: --amp -----------------------------
@pytest.mark.parametrize('optim_wrapper', [
    dict(type='OptimWrapper', optimizer=dict(type='SGD')),
    dict(optimizer=dict(type='SGD')),
])
def test_amp_switches_optim_wrapper(optim_wrapper):
    cfg = merge_train(make_cfg(optim_wrapper=optim_wrapper), '--amp')
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'


@pytest.mark.parametrize(
    'wrapper_type',
    ['AmpOptimWrapper', 'mmengine.AmpOptimWrapper', AmpOptimWrapper])
def test_amp_keeps_amp_wrapper_and_loss_scale(wrapper_type):
    optim_wrapper = dict(type=wrapper_type, loss_scale=512.)
    cfg = merge_train(make_cfg(optim_wrapper=optim_wrapper), '--amp')
    assert cfg.optim_wrapper.type == wrapper_type
    assert cfg.optim_wrapper.loss_scale == 512.


@pytest.mark.parametrize('wrapper_type,amp_type', [
    ('FiniteLossOptimWrapper', 'FiniteLossAmpOptimWrapper'),
    ('mmvmae.FiniteLossOptimWrapper', 'mmvmae.FiniteLossAmpOptimWrapper'),
    ('FiniteLossAmpOptimWrapper', 'FiniteLossAmpOptimWrapper'),
    (OptimWrapper, 'AmpOptimWrapper'),
])
def test_amp_uses_registered_amp_counterpart(wrapper_type, amp_type):
    optim_wrapper = dict(type=wrapper_type, nonfinite='skip')
    cfg = merge_train(make_cfg(optim_wrapper=optim_wrapper), '--amp')
    assert cfg.optim_wrapper == dict(
        type=amp_type, nonfinite='skip', loss_scale='dynamic')


def test_amp_needs_amp_counterpart():
    cfg = make_cfg(optim_wrapper=dict(type='ApexOptimWrapper'))
    with pytest.raises(ValueError, match="'ApexAmpOptimWrapper'"):
        merge_train(cfg, '--amp')


@pytest.mark.parametrize('wrapper_type',
                         ['NoSuchOptimWrapper', 'SGD', torch.optim.SGD])
def test_amp_rejects_unknown_wrapper(wrapper_type):
    cfg = make_cfg(optim_wrapper=dict(type=wrapper_type))
    with pytest.raises(ValueError, match="'(NoSuchOptimWrapper|SGD)'"):
        merge_train(cfg, '--amp')


def test_amp_needs_optim_wrapper():
    with pytest.raises(ValueError, match='optim_wrapper'):
        merge_train(make_cfg(optim_wrapper=None), '--amp')


def test_no_amp_leaves_optim_wrapper():
    cfg = merge_train(make_cfg())
    assert cfg.optim_wrapper.type == 'OptimWrapper'
    assert 'loss_scale' not in cfg.optim_wrapper


# ---------------------------- train: --resume ----------------------------
def test_resume_auto(ckpt):
    cfg = merge_train(make_cfg(load_from=ckpt), '--resume')
    assert cfg.resume is True
    assert cfg.load_from is None


def test_resume_from_path(ckpt):
    cfg = merge_train(make_cfg(), '--resume', ckpt)
    assert cfg.resume is True
    assert cfg.load_from == ckpt


def test_resume_from_missing_path(tmp_path):
    missing = str(tmp_path / 'missing.pth')
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        merge_train(make_cfg(), '--resume', missing)


def test_missing_load_from(tmp_path):
    missing = str(tmp_path / 'pretrained.pth')
    with pytest.raises(FileNotFoundError, match='pretrained.pth'):
        merge_train(make_cfg(load_from=missing))
    with pytest.raises(FileNotFoundError, match='pretrained.pth'):
        merge_train(make_cfg(), '--cfg-options', f'load_from={missing}')


def test_remote_load_from_is_not_checked():
    url = 'https://download.example.org/videomae.pth'
    assert merge_train(make_cfg(load_from=url)).load_from == url


# ------------------------- train: the other flags -------------------------
def test_no_validate():
    cfg = merge_train(make_cfg(), '--no-validate')
    assert cfg.val_cfg is None
    assert cfg.val_dataloader is None
    assert cfg.val_evaluator is None
    assert merge_train(make_cfg()).val_cfg == dict(type='ValLoop')


def test_auto_scale_lr():
    assert merge_train(make_cfg(), '--auto-scale-lr').auto_scale_lr.enable
    assert not merge_train(make_cfg()).auto_scale_lr.enable
    with pytest.raises(ValueError, match='auto_scale_lr'):
        merge_train(make_cfg(auto_scale_lr=None), '--auto-scale-lr')


def test_randomness():
    assert merge_train(make_cfg()).randomness == dict(
        seed=None, diff_rank_seed=False, deterministic=False)
    cfg = merge_train(make_cfg(), '--seed', '3', '--diff-rank-seed',
                      '--deterministic')
    assert cfg.randomness == dict(
        seed=3, diff_rank_seed=True, deterministic=True)


def test_randomness_flags_override_config():
    cfg = make_cfg(randomness=dict(seed=1, deterministic=True))
    assert merge_train(cfg).randomness.seed == 1
    cfg = make_cfg(randomness=dict(seed=1, deterministic=True))
    cfg = merge_train(cfg, '--seed', '2')
    assert cfg.randomness == dict(
        seed=2, diff_rank_seed=False, deterministic=True)


# ----------------------- common: work dir, options -----------------------
def test_work_dir_priority():
    assert merge_train(make_cfg()).work_dir == osp.join(
        './work_dirs', 'foo_cfg')
    assert merge_train(make_cfg(work_dir='from_cfg')).work_dir == 'from_cfg'
    cfg = merge_train(make_cfg(work_dir='from_cfg'), '--work-dir', 'from_cli')
    assert cfg.work_dir == 'from_cli'


def test_cfg_options_merge():
    cfg = merge_train(make_cfg(), '--cfg-options',
                      'optim_wrapper.optimizer.lr=0.01',
                      'train_cfg.max_epochs=3', 'work_dir=from_options')
    assert cfg.optim_wrapper.optimizer == dict(type='SGD', lr=0.01)
    assert cfg.train_cfg.max_epochs == 3
    assert cfg.work_dir == 'from_options'


def test_flags_win_over_cfg_options(ckpt):
    cfg = merge_train(make_cfg(), '--work-dir', 'from_cli', '--resume', ckpt,
                      '--cfg-options', 'work_dir=from_options',
                      'load_from=x.pth')
    assert cfg.work_dir == 'from_cli'
    assert cfg.load_from == ckpt


def test_amp_sees_cfg_options_type():
    with pytest.raises(ValueError, match='NoSuchOptimWrapper'):
        merge_train(make_cfg(), '--amp', '--cfg-options',
                    'optim_wrapper.type=NoSuchOptimWrapper')


@pytest.mark.parametrize('launcher', ['none', 'pytorch', 'slurm', 'mpi'])
def test_launcher(launcher):
    assert merge_train(make_cfg(), '--launcher', launcher).launcher == launcher


def test_local_rank_env(monkeypatch):
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    args = cli.parse_args(cli.train_parser(), ['foo.py', '--local-rank', '3'])
    assert args.local_rank == 3
    assert os.environ['LOCAL_RANK'] == '3'
    monkeypatch.setenv('LOCAL_RANK', '1')
    cli.parse_args(cli.train_parser(), ['foo.py', '--local_rank', '3'])
    assert os.environ['LOCAL_RANK'] == '1'


# ------------------------------- test tool -------------------------------
def test_checkpoint_is_loaded(ckpt):
    cfg = merge_test(make_cfg(), ckpt, '--launcher', 'pytorch')
    assert cfg.load_from == ckpt
    assert cfg.launcher == 'pytorch'
    assert cfg.work_dir == osp.join('./work_dirs', 'foo_cfg')


def test_missing_checkpoint(tmp_path):
    missing = str(tmp_path / 'best.pth')
    with pytest.raises(FileNotFoundError, match='best.pth'):
        merge_test(make_cfg(), missing)


@pytest.mark.parametrize(
    'evaluator', [dict(type='AccMetric'), [dict(type='AccMetric')], None])
def test_dump_appends_metric(ckpt, evaluator):
    cfg = merge_test(
        make_cfg(test_evaluator=evaluator), ckpt, '--dump', 'r.pkl')
    dump = dict(type='DumpResults', out_file_path='r.pkl')
    assert cfg.test_evaluator[-1] == dump
    assert len(cfg.test_evaluator) == (1 if evaluator is None else 2)


def test_dump_needs_pickle_suffix(ckpt):
    assert merge_test(make_cfg(), ckpt, '--dump', 'r.pickle').test_evaluator
    with pytest.raises(ValueError, match='r.json'):
        merge_test(make_cfg(), ckpt, '--dump', 'r.json')


def test_show_dir(ckpt):
    cfg = merge_test(make_cfg(), ckpt, '--show-dir', 'vis')
    assert cfg.default_hooks.visualization.enable is True
    assert cfg.default_hooks.visualization.out_dir == 'vis'
    with pytest.raises(ValueError, match='visualization'):
        merge_test(make_cfg(default_hooks=dict()), ckpt, '--show-dir', 'vis')


# ----------------------------- runner choice -----------------------------
def test_build_runner(monkeypatch):
    monkeypatch.setattr(cli.Runner, 'from_cfg', lambda cfg: 'default')
    monkeypatch.setattr(cli.RUNNERS, 'build', lambda cfg: 'registry')
    assert cli.build_runner(make_cfg()) == 'default'
    assert cli.build_runner(make_cfg(runner_type='Runner')) == 'registry'


# ------------------------- the tools, end to end -------------------------
class FakeRunner:
    """Records which method a tool called, instead of running."""
    calls = []

    def __init__(self, cfg: Config):
        self.cfg = cfg

    def train(self):
        self.calls.append(('train', self.cfg))

    def test(self):
        self.calls.append(('test', self.cfg))


def run_tool(monkeypatch, tool: str, *argv: str) -> list:
    """Run ``tools/<tool>.py`` in process with a fake runner."""
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    monkeypatch.setattr(FakeRunner, 'calls', [])
    monkeypatch.setattr(cli, 'build_runner', FakeRunner)
    monkeypatch.setattr(sys, 'argv', [f'{tool}.py', *argv])
    runpy.run_path(str(TOOLS / f'{tool}.py'), run_name='__main__')
    return FakeRunner.calls


def test_train_tool(monkeypatch, config_file, tmp_path):
    calls = run_tool(monkeypatch, 'train', config_file, '--amp', '--work-dir',
                     str(tmp_path))
    [(method, cfg)] = calls
    assert method == 'train'
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.default_scope == 'mmvmae'


def test_train_tool_missing_load_from(monkeypatch, config_file, tmp_path):
    missing = str(tmp_path / 'pretrained.pth')
    with pytest.raises(FileNotFoundError, match='pretrained.pth'):
        run_tool(monkeypatch, 'train', config_file, '--cfg-options',
                 f'load_from={missing}')
    assert FakeRunner.calls == []


def test_test_tool(monkeypatch, config_file, ckpt):
    calls = run_tool(monkeypatch, 'test', config_file, ckpt, '--dump', 'r.pkl')
    [(method, cfg)] = calls
    assert method == 'test'
    assert cfg.load_from == ckpt
    assert cfg.test_evaluator[-1].type == 'DumpResults'


def test_test_tool_missing_checkpoint(monkeypatch, config_file, tmp_path):
    missing = str(tmp_path / 'best.pth')
    with pytest.raises(FileNotFoundError, match='best.pth'):
        run_tool(monkeypatch, 'test', config_file, missing)


@pytest.mark.parametrize('tool,option', [('train', '--resume'),
                                         ('test', '--dump')])
def test_help(tool, option):
    result = subprocess.run(
        [sys.executable, str(TOOLS / f'{tool}.py'), '--help'],
        capture_output=True,
        text=True,
        timeout=120)
    assert result.returncode == 0, result.stderr
    assert option in result.stdout
    assert '--cfg-options' in result.stdout


# ----------------------------- shell scripts -----------------------------
def test_all_shell_scripts_found():
    names = {path.name for path in SHELL_SCRIPTS}
    assert {
        'dist_train.sh', 'dist_test.sh', 'slurm_train.sh', 'slurm_test.sh'
    } <= names


@pytest.mark.parametrize('script', SHELL_SCRIPTS, ids=lambda p: p.name)
def test_shell_syntax_and_mode(script):
    result = subprocess.run(['bash', '-n', str(script)],
                            capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert os.access(script, os.X_OK), f'{script} is not executable'


@pytest.mark.skipif(torch.cuda.is_available(), reason='CUDA is present')
def test_gpu_checks_without_a_gpu_says_so_and_runs_nothing(tmp_path):
    result = subprocess.run(
        ['bash', str(TOOLS / 'analysis' / 'gpu_checks.sh'),
         str(tmp_path / 'out')], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert 'needs a CUDA GPU' in result.stderr
    assert not (tmp_path / 'out').exists()


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    """``torchrun`` and ``srun`` that print PYTHONPATH and their args."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    for name in ('torchrun', 'srun'):
        fake = bin_dir / name
        fake.write_text('#!/usr/bin/env bash\n'
                        'printf "%s\\n" "PYTHONPATH=$PYTHONPATH" "$@"\n')
        fake.chmod(0o755)
    return bin_dir


def run_script(fake_bin: Path, script: str, *argv: str, **env: str) -> list:
    """Run a launcher script from another directory; its printed lines."""
    inherited = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env = dict(inherited, PATH=f'{fake_bin}:{os.environ["PATH"]}', **env)
    result = subprocess.run([str(TOOLS / script), *argv],
                            capture_output=True,
                            text=True,
                            cwd=fake_bin,
                            env=env,
                            timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_dist_train_sh(fake_bin):
    lines = run_script(
        fake_bin,
        'dist_train.sh',
        'a.py',
        '4',
        '--amp',
        '--cfg-options',
        'a=b c',
        PYTHONPATH='/x',
        PORT='1')
    assert lines[0] == f'PYTHONPATH={REPO_ROOT}:/x'
    assert lines[1:6] == [
        '--nnodes=1', '--node_rank=0', '--master_addr=127.0.0.1',
        '--master_port=1', '--nproc_per_node=4'
    ]
    assert lines[6:] == [
        str(TOOLS / 'train.py'), 'a.py', '--launcher', 'pytorch', '--amp',
        '--cfg-options', 'a=b c'
    ]


def test_dist_test_sh(fake_bin):
    lines = run_script(
        fake_bin,
        'dist_test.sh',
        'a.py',
        'b.pth',
        '2',
        '--dump',
        'r.pkl',
        NNODES='2',
        NODE_RANK='1')
    assert lines[0] == f'PYTHONPATH={REPO_ROOT}'
    assert lines[1:3] == ['--nnodes=2', '--node_rank=1']
    assert lines[6:] == [
        str(TOOLS / 'test.py'), 'a.py', 'b.pth', '--launcher', 'pytorch',
        '--dump', 'r.pkl'
    ]


@pytest.mark.parametrize('argv,py_args', [
    (['work/dir', '--amp'], ['--work-dir', 'work/dir', '--amp']),
    (['--amp'], ['--amp']),
    ([], []),
])
def test_slurm_train_sh(fake_bin, argv, py_args):
    lines = run_script(
        fake_bin,
        'slurm_train.sh',
        'part',
        'job',
        'a.py',
        *argv,
        GPUS='16',
        SRUN_ARGS='--qos=low --exclusive')
    assert lines[0] == f'PYTHONPATH={REPO_ROOT}'
    assert lines[1:3] == ['-p', 'part']
    assert '--ntasks=16' in lines
    assert '--ntasks-per-node=8' in lines
    python = lines.index('python')
    assert lines[python - 2:python] == ['--qos=low', '--exclusive']
    assert lines[python + 1:] == [
        '-u',
        str(TOOLS / 'train.py'), 'a.py', '--launcher=slurm', *py_args
    ]


def test_slurm_test_sh(fake_bin):
    lines = run_script(
        fake_bin,
        'slurm_test.sh',
        'part',
        'job',
        'a.py',
        'b.pth',
        '--dump',
        'r.pkl',
        GPUS_PER_NODE='4')
    assert '--gres=gpu:4' in lines
    python = lines.index('python')
    assert lines[python + 1:] == [
        '-u',
        str(TOOLS / 'test.py'), 'a.py', 'b.pth', '--launcher=slurm', '--dump',
        'r.pkl'
    ]
