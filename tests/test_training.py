"""End to end on tiny toy data: pretrain -> fine-tune -> multi-view test,
exact resume, a user plugin, and 2-process (gloo) training."""
import glob
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from conftest import REPO_ROOT, demo_config
from mmengine.runner import Runner

PRETRAIN = 'videomae_vit-tiny-p8_1xb8-toy_pretrain'
FINETUNE = 'videomae_vit-tiny-p8_1xb8-toy_finetune'
SMALL = {'train_dataloader.batch_size': 4}


def weights(path):
    return torch.load(path, weights_only=True)['state_dict']


@pytest.fixture(scope='module')
def pretrained(toy_data, tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('pretrain'))
    cfg = demo_config(PRETRAIN, toy_data, work_dir,
                      **{'train_cfg.max_epochs': 1, **SMALL})
    runner = Runner.from_cfg(cfg)
    runner.train()
    loss = runner.message_hub.get_scalar('train/loss_pix').current()
    assert torch.isfinite(torch.tensor(loss))
    return osp.join(work_dir, 'epoch_1.pth')


def test_pretrain_writes_checkpoint_and_reconstruction(pretrained):
    state = weights(pretrained)  # weights_only=True, no allow-list needed
    assert 'neck.mask_token' in state and 'backbone.norm.weight' in state
    pictures = glob.glob(osp.join(osp.dirname(pretrained), '*', 'vis_data',
                                  'vis_image', 'reconstruction_*.png'))
    assert pictures


def test_finetune_from_pretrained_then_multiview_test(
        pretrained, toy_data, tmp_path):
    cfg = demo_config(
        FINETUNE, toy_data, str(tmp_path), **{
            'train_cfg.max_epochs': 1, 'train_cfg.val_interval': 1,
            'model.backbone.init_cfg.checkpoint': pretrained, **SMALL})
    runner = Runner.from_cfg(cfg)
    runner.train()
    loaded = runner.model.backbone.blocks[0].attn.qkv.weight
    torch.testing.assert_close(
        loaded.detach(),
        weights(pretrained)['backbone.blocks.0.attn.qkv.weight'],
        atol=0.05, rtol=0)  # one epoch of fine-tuning moves it a little
    metrics = runner.test()
    assert 0 <= metrics['acc/top1'] <= 1
    batch = next(iter(runner.test_dataloader))
    assert batch['inputs'][0].shape == (15, 3, 8, 64, 64)  # 5 clips x 3


def test_resume_continues_exactly(toy_data, tmp_path):
    options = {**SMALL, 'train_dataloader.num_workers': 1,
               'default_hooks.checkpoint.interval': 1, 'custom_hooks': []}

    def train(work_dir, epochs, resume=False):
        cfg = demo_config(PRETRAIN, toy_data, str(work_dir), **options,
                          **{'train_cfg.max_epochs': epochs})
        cfg.resume = resume
        runner = Runner.from_cfg(cfg)
        runner.train()
        return runner.message_hub.get_scalar('train/loss').current()

    straight = train(tmp_path / 'straight', 2)
    train(tmp_path / 'split', 1)
    resumed = train(tmp_path / 'split', 2, resume=True)
    assert resumed == pytest.approx(straight, abs=1e-6)
    a = weights(tmp_path / 'straight' / 'epoch_2.pth')
    b = weights(tmp_path / 'split' / 'epoch_2.pth')
    for key in a:
        torch.testing.assert_close(a[key], b[key], msg=key)


def test_user_plugin_via_custom_imports(toy_data, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(osp.join(REPO_ROOT, 'docs', 'examples'))
    cfg = demo_config(
        osp.join(REPO_ROOT, 'docs', 'examples', 'my_plugin_toy_pretrain.py'),
        toy_data, str(tmp_path), **{'train_cfg.max_epochs': 1, **SMALL})
    runner = Runner.from_cfg(cfg)
    assert type(runner.model.head).__name__ == 'FrameDifferenceHead'
    runner.train()
    item = runner.train_dataloader.dataset[0][0]
    visible = item['data_samples'].visible_ids
    assert len(visible) == 4 * 32  # centre half hidden in each of 4 slices


def test_unknown_type_error_names_it(toy_data, tmp_path):
    cfg = demo_config(PRETRAIN, toy_data, str(tmp_path))
    cfg.model.neck.type = 'MAEDecodr'
    with pytest.raises(KeyError, match='MAEDecodr'):
        Runner.from_cfg(cfg)


def test_two_process_gloo_training(toy_data, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO_ROOT)
    command = [
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node',
        '2', '--master_port', '29517', 'tools/train.py',
        f'configs/demo/{PRETRAIN}.py', '--launcher', 'pytorch',
        '--work-dir', str(tmp_path), '--cfg-options',
        'env_cfg.dist_cfg.backend=gloo', 'train_cfg.max_epochs=1',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'custom_hooks=[]',
        f'train_dataloader.dataset.ann_file={toy_data}/pretrain_list.txt',
        f'train_dataloader.dataset.data_prefix.video={toy_data}/videos'
    ]
    result = subprocess.run(command, cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[
        -3000:]
    log = result.stdout + result.stderr
    assert 'world_size: 2' in log or 'Distributed launcher: pytorch' in log
    assert osp.isfile(tmp_path / 'epoch_1.pth')


def test_missing_pretrained_checkpoint_is_named(toy_data, tmp_path):
    cfg = demo_config(FINETUNE, toy_data, str(tmp_path), **{
        'model.backbone.init_cfg.checkpoint': str(tmp_path / 'none.pth')})
    runner = Runner.from_cfg(cfg)
    with pytest.raises(FileNotFoundError, match='none.pth'):
        runner.train()


def test_misspelled_argument_names_the_class_and_key(toy_data, tmp_path):
    cfg = demo_config(PRETRAIN, toy_data, str(tmp_path))
    cfg.model.backbone.drop_pth_rate = 0.1
    with pytest.raises(TypeError, match='VideoViT.*drop_pth_rate'):
        Runner.from_cfg(cfg)
