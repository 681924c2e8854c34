"""The audio-visual demo configs train on toy videos with an audio track."""
import os.path as osp

import pytest
import torch
from conftest import demo_config, load_toy_generator
from mmengine.runner import Runner

PRETRAIN = 'cavmae_vit-tiny-p8_1xb8-toy_pretrain'
FINETUNE = 'cavmae_vit-tiny-p8_1xb8-toy_finetune'
SMALL = {'train_dataloader.batch_size': 4, 'train_cfg.max_epochs': 1}


def toy_set(root: str, audio) -> str:
    load_toy_generator().generate(
        root, num_train=8, num_val=4, size=64, frames=32, seed=0,
        num_classes=4, progress=False, audio=audio)
    return root


@pytest.fixture(scope='module')
def pretrained(tmp_path_factory):
    data = toy_set(str(tmp_path_factory.mktemp('toy_mm')), 'aac')
    work_dir = str(tmp_path_factory.mktemp('cavmae'))
    runner = Runner.from_cfg(demo_config(PRETRAIN, data, work_dir, **SMALL))
    runner.train()
    losses = {
        key: runner.message_hub.get_scalar(f'train/{key}').current()
        for key in ('loss_video', 'loss_audio', 'loss_contrast')
    }
    return data, osp.join(work_dir, 'epoch_1.pth'), losses


def test_pretrain_trains_every_part(pretrained):
    _, checkpoint, losses = pretrained
    assert all(0 < value < 10 for value in losses.values()), losses
    state = torch.load(checkpoint, weights_only=True)['state_dict']
    for key in ('encoders.audios.patch_embed.projection.weight',
                'fusion.blocks.0.modality_norm1.audios.weight',
                'decoder.heads.audios.weight', 'modality_embed.imgs'):
        assert key in state, key


def test_finetune_loads_the_video_encoder(pretrained, tmp_path):
    data, checkpoint, _ = pretrained
    cfg = demo_config(
        FINETUNE, data, str(tmp_path),
        **{'model.backbone.init_cfg.checkpoint': checkpoint, **SMALL})
    runner = Runner.from_cfg(cfg)
    runner.train()
    state = torch.load(checkpoint, weights_only=True)['state_dict']
    torch.testing.assert_close(
        runner.model.backbone.patch_embed.projection.weight.detach(),
        state['encoders.imgs.patch_embed.projection.weight'],
        atol=0.05, rtol=0)  # one epoch of fine-tuning moves it a little


def test_videos_without_audio_train_with_zero_audio_losses(tmp_path):
    data = toy_set(str(tmp_path / 'toy'), None)
    cfg = demo_config(PRETRAIN, data, str(tmp_path / 'work'), **SMALL)
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    assert hub.get_scalar('train/loss_audio').current() == 0
    assert hub.get_scalar('train/loss_contrast').current() == 0
    assert hub.get_scalar('train/loss_video').current() > 0
