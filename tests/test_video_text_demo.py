"""The video-text and TGM demo configs train on toy videos with captions,
test retrieval, and hand their video encoder to fine-tuning."""
import os.path as osp

import pytest
import torch
from conftest import demo_config, load_toy_generator
from mmengine.runner import Runner

VIDEO_TEXT = 'video-text_vit-tiny-p8_1xb8-toy_pretrain'
TGM = 'tgm_vit-tiny-p8_1xb8-toy_pretrain'
FINETUNE = 'video-text_vit-tiny-p8_1xb8-toy_finetune'
# 8 training videos in batches of 4: two iterations.
SMALL = {'train_dataloader.batch_size': 4, 'train_cfg.max_epochs': 1}


def weights(path):
    return torch.load(path, weights_only=True)['state_dict']


def losses_of(runner):
    return {
        key: runner.message_hub.get_scalar(f'train/{key}').current()
        for key in ('loss_pix', 'loss_contrast')
    }


@pytest.fixture(scope='module')
def toy_captions(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('toy_captions'))
    load_toy_generator().generate(
        root, num_train=8, num_val=4, size=64, frames=16, seed=0,
        num_classes=4, progress=False, captions=True)
    return root


@pytest.fixture(scope='module')
def video_text(toy_captions, tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('video_text'))
    runner = Runner.from_cfg(
        demo_config(VIDEO_TEXT, toy_captions, work_dir, **SMALL))
    runner.train()
    return runner, osp.join(work_dir, 'epoch_1.pth')


def test_video_text_demo_trains_and_tests_retrieval(video_text):
    runner, checkpoint = video_text
    assert runner.iter == 2
    losses = losses_of(runner)
    assert all(0 < value < 10 for value in losses.values()), losses
    state = weights(checkpoint)
    for key in ('contrastive.log_temperature',
                'text_projector.layers.1.weight',
                'text_encoder.model.encoder.layer.5.output.dense.weight',
                'neck.mask_token'):
        assert key in state, key
    metrics = runner.test()  # text -> video over the 4 val videos
    assert set(metrics) >= {'retrieval/R1', 'retrieval/R5', 'retrieval/R10'}
    assert 0 <= metrics['retrieval/R1'] <= 100
    assert metrics['retrieval/R5'] == 100  # 4 candidates


def test_tgm_demo_masks_with_the_video_text_model(video_text, toy_captions,
                                                  tmp_path):
    _, similarity_model = video_text
    cfg = demo_config(TGM, toy_captions, str(tmp_path), **SMALL, **{
        'model.masker.scorer.checkpoint': similarity_model})
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    losses = losses_of(runner)
    assert all(0 < value < 10 for value in losses.values()), losses
    # the frozen scorer still holds the video-text model's weights
    source = weights(similarity_model)
    scorer = runner.model.masker.scorer.state_dict()
    for key in ('backbone.blocks.3.mlp.layers.1.weight',
                'video_projector.layers.1.weight',
                'text_projector.layers.1.weight'):
        torch.testing.assert_close(scorer[key], source[key])


def test_finetune_loads_the_video_encoder(video_text, toy_captions,
                                          tmp_path):
    _, checkpoint = video_text
    cfg = demo_config(
        FINETUNE, toy_captions, str(tmp_path),
        **{'model.backbone.init_cfg.checkpoint': checkpoint, **SMALL})
    runner = Runner.from_cfg(cfg)
    runner.train()
    torch.testing.assert_close(
        runner.model.backbone.patch_embed.projection.weight.detach(),
        weights(checkpoint)['backbone.patch_embed.projection.weight'],
        atol=0.05, rtol=0)  # two steps of fine-tuning move it a little
