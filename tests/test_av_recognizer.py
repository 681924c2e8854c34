"""AudioVisualRecognizer: fusions, absent audio, views, checkpoints, demos."""
import os.path as osp

import numpy as np
import pytest
import torch
from conftest import demo_config, load_toy_generator
from mmaction.structures import ActionDataSample
from mmengine.runner import Runner

from mmvmae.registry import MODELS

# video: 4 frames x 32x32, patch 16, tubelet 2 -> 8 tokens;
# audio: 32 frames x 32 bins, patch 16 -> 4 tokens.
WIDTH = 32
CLASSES = 3
ARCH = dict(embed_dims=WIDTH, depth=2, num_heads=2)
AUDIO_DEMO = 'audio_vit-tiny-p16_1xb8-toy_classify'
AV_DEMO = 'cavmae_vit-tiny-p8_1xb8-toy_finetune-av'
AV_PRETRAIN = 'cavmae_vit-tiny-p8_1xb8-toy_pretrain'


def encoders(pooling=True, modalities=('imgs', 'audios')) -> dict:
    cfgs = dict(
        imgs=dict(type='VideoViT', arch=ARCH, img_size=32, num_frames=4,
                  use_mean_pooling=pooling),
        audios=dict(type='AudioViT', arch=ARCH, target_length=32, n_mels=32,
                    layout='ft', use_mean_pooling=pooling))
    return {name: cfgs[name] for name in modalities}


def recognizer(fusion='concat', modalities=('imgs', 'audios'),
               **overrides) -> dict:
    mid = fusion == 'mid'
    width = WIDTH if mid else WIDTH * len(modalities)
    cfg = dict(
        type='AudioVisualRecognizer',
        encoders=encoders(pooling=not mid, modalities=modalities),
        fusion=dict(type='MidFusion', embed_dims=WIDTH, num_heads=2,
                    modality_norms=False) if mid else fusion,
        cls_head=dict(type='TimeSformerHead', num_classes=CLASSES,
                      in_channels=width, average_clips='prob',
                      label_smooth_eps=0.1))
    cfg.update(overrides)
    return cfg


def build(**kwargs):
    torch.manual_seed(0)
    model = MODELS.build(recognizer(**kwargs))
    model.init_weights()
    return model


def batch(size=3, video_views=1, audio_windows=None, seed=0) -> dict:
    """Random normalized inputs: (B, V, 3, 4, 32, 32), (B, [A,] 32, 32)."""
    gen = torch.Generator().manual_seed(seed)
    audio_shape = (size, 32, 32) if audio_windows is None else (
        size, audio_windows, 32, 32)
    return dict(
        imgs=torch.randn(size, video_views, 3, 4, 32, 32, generator=gen),
        audios=torch.randn(*audio_shape, generator=gen))


def samples(present=(True, False, True), labels=(0, 1, 2)) -> list:
    out = []
    for flag, label in zip(present, labels):
        sample = ActionDataSample().set_gt_label(label)
        sample.set_field(np.asarray(flag), 'audios_present')
        out.append(sample)
    return out


@pytest.mark.parametrize('kwargs', [
    dict(fusion='concat'),
    dict(fusion='mid'),
    dict(modalities=('audios', )),
    dict(fusion='concat', modality_embed=False),
], ids=['concat', 'mid', 'audio-only', 'concat-no-modality-embed'])
def test_gradients_reach_every_parameter(kwargs):
    model = build(**kwargs)
    model.train()
    losses = model(batch(), samples(), mode='loss')
    assert torch.isfinite(losses['loss_cls'])
    losses['loss_cls'].backward()
    missed = [
        name for name, p in model.named_parameters()
        if p.requires_grad and (p.grad is None or not p.grad.abs().sum())
    ]
    assert not missed, missed


def test_missing_audio_stays_in_the_graph_when_all_present():
    model = build()
    model(batch(), samples(present=(True, True, True)),
          mode='loss')['loss_cls'].backward()
    assert model.missing_audio.grad is not None
    assert not model.missing_audio.grad.abs().sum()


@pytest.mark.parametrize('kwargs', [
    dict(fusion='concat'), dict(fusion='mid'), dict(modalities=('audios', ))
], ids=['concat', 'mid', 'audio-only'])
def test_absent_audio_is_replaced_by_the_missing_embedding(kwargs):
    model = build(**kwargs).eval()
    inputs = batch()
    other = dict(inputs, audios=torch.randn_like(inputs['audios']))
    with torch.no_grad():
        feats = model(inputs, samples(), mode='tensor')
        changed = model(other, samples(), mode='tensor')
    # sample 1 has no audio: its fbank does not matter, the others' does
    torch.testing.assert_close(feats[1], changed[1])
    assert not torch.allclose(feats[0], changed[0])
    assert not torch.allclose(feats[2], changed[2])
    if kwargs.get('fusion') == 'concat':  # audio half: the embedding pooled
        fc_norm = model.encoders.audios.fc_norm
        with torch.no_grad():
            expected = fc_norm(model.missing_audio[0, 0])
        torch.testing.assert_close(feats[1, WIDTH:], expected)


def test_all_audio_absent_gives_equal_audio_features():
    model = build(modalities=('audios', )).eval()
    with torch.no_grad():
        feats = model(batch(), samples(present=(False, ) * 3), mode='tensor')
    torch.testing.assert_close(feats, feats[:1].expand_as(feats))


@pytest.mark.parametrize('fusion', ['concat', 'mid'])
def test_predict_averages_softmax_over_views(fusion):
    """6 video views (3 crops x 2 clips, crop-major) and 2 audio windows:
    view v is paired with window v % 2; pred_score is the mean softmax."""
    model = build(fusion=fusion).eval()
    inputs = batch(size=2, video_views=6, audio_windows=2)
    with torch.no_grad():
        feats = model(inputs, samples((True, True), (0, 1)), mode='tensor')
        preds = model(inputs, samples((True, True), (0, 1)),
                      mode='predict')
        # one view alone: sample 1, video view 3 with audio window 1
        single = dict(imgs=inputs['imgs'][1:, 3],
                      audios=inputs['audios'][1:, 1])
        view = model(single, samples((True, ), (1, )), mode='tensor')
        probs = model.cls_head(feats).softmax(-1).view(2, 6, CLASSES)
    assert feats.shape == (12, model.cls_head.in_channels)
    torch.testing.assert_close(view[0], feats[6 + 3])
    assert len(preds) == 2
    for i, pred in enumerate(preds):
        assert pred.pred_score.shape == (CLASSES, )
        torch.testing.assert_close(pred.pred_score.sum(), torch.tensor(1.))
        torch.testing.assert_close(pred.pred_score, probs[i].mean(0))
        assert pred.pred_label.item() == pred.pred_score.argmax().item()


def test_per_window_presence_with_several_audio_windows():
    model = build().eval()
    inputs = batch(size=1, video_views=2, audio_windows=2)
    flags = [ActionDataSample()]
    flags[0].set_field(np.array([True, False]), 'audios_present')
    other = dict(inputs, audios=inputs['audios'].clone())
    other['audios'][0, 1] += 1  # the absent window changes
    with torch.no_grad():
        feats = model(inputs, flags, mode='tensor')
        changed = model(other, flags, mode='tensor')
    torch.testing.assert_close(feats, changed)
    other['audios'][0, 0] += 1  # the present window changes
    with torch.no_grad():
        changed = model(other, flags, mode='tensor')
    assert not torch.allclose(feats[0], changed[0])
    torch.testing.assert_close(feats[1], changed[1])


def test_audio_only_predicts_from_audio_alone():
    model = build(modalities=('audios', )).eval()
    with torch.no_grad():
        preds = model(dict(audios=batch()['audios']), samples(),
                      mode='predict')
    assert [p.pred_score.shape for p in preds] == [(CLASSES, )] * 3


@pytest.mark.parametrize('change, message', [
    (dict(fusion='none'), "'concat' or a MidFusion"),
    (dict(encoders=dict(text=dict(type='VideoViT'))), 'keys among'),
    (dict(cls_head=dict(type='TimeSformerHead', num_classes=3,
                        in_channels=WIDTH)), 'in_channels is 32'),
])
def test_bad_configs_fail_at_build(change, message):
    with pytest.raises(ValueError, match=message):
        MODELS.build(dict(recognizer(), **change))


def test_bad_mid_fusion_configs_fail_at_build():
    cfg = recognizer(fusion='mid')
    with pytest.raises(ValueError, match='use_mean_pooling=False'):
        MODELS.build(dict(cfg, encoders=encoders(pooling=True)))
    with pytest.raises(ValueError, match='modality_norms=False'):
        MODELS.build(dict(cfg, fusion=dict(cfg['fusion'],
                                           modality_norms=True)))
    with pytest.raises(ValueError, match='needs encoders for'):
        MODELS.build(dict(cfg, encoders=encoders(False, ('audios', ))))


def test_bad_inputs_name_the_problem():
    model = build()
    with pytest.raises(KeyError, match="collect_keys=\\('imgs', 'audios'\\)"):
        model(dict(imgs=batch()['imgs']), samples(), mode='loss')
    with pytest.raises(ValueError, match='multiple of the audio windows'):
        model(batch(video_views=3, audio_windows=2), samples(),
              mode='tensor')
    with pytest.raises(ValueError, match='one view per sample'):
        model(batch(video_views=2), samples(), mode='loss')
    with pytest.raises(ValueError, match='audios input must be'):
        model(dict(batch(), audios=torch.zeros(3, 32)), samples(),
              mode='tensor')


def pretrain_checkpoint(path) -> tuple:
    """A tiny AudioVisualMAE (mid fusion, modality embeddings) saved as a
    runner checkpoint; returns the path and its state dict."""
    torch.manual_seed(1)
    model = MODELS.build(dict(
        type='AudioVisualMAE',
        encoders=encoders(pooling=False),
        fusion=dict(type='MidFusion', embed_dims=WIDTH, num_heads=2,
                    modality_norms=False),
        decoder=dict(type='JointMAEDecoder', in_dims=WIDTH,
                     out_dims=dict(imgs=2 * 16 * 16 * 3, audios=16 * 16),
                     embed_dims=16, depth=1, num_heads=2),
        heads=dict(imgs=dict(type='PixelReconstructionHead'),
                   audios=dict(type='SpectrogramReconstructionHead',
                               layout='ft'))))
    model.init_weights()
    state = model.state_dict()
    torch.save(dict(state_dict=state), path)
    return str(path), state


def assert_loaded(module, state, prefix):
    own = module.state_dict()
    assert own
    for key, value in own.items():
        torch.testing.assert_close(value, state[prefix + key], rtol=0,
                                   atol=0)


def test_init_weights_runs_the_encoders_own_init():
    """The encoders sit in mmengine's ModuleDict, so ``init_weights``
    reaches their ``init_cfg`` (torch's ModuleDict would hide it)."""
    torch.manual_seed(0)
    model = MODELS.build(recognizer())
    weight = model.encoders.audios.blocks[0].attn.qkv.weight
    before = weight.detach().clone()
    model.init_weights()
    assert not torch.equal(before, weight)


def test_encoders_load_from_an_audio_visual_mae_checkpoint(tmp_path):
    path, state = pretrain_checkpoint(tmp_path / 'avmae.pth')
    cfg = recognizer(fusion='mid')
    for name, enc in cfg['encoders'].items():
        enc['init_cfg'] = dict(type='Pretrained', checkpoint=path,
                               prefix=f'encoders.{name}.')
    model = MODELS.build(cfg)
    model.init_weights()
    for name in ('imgs', 'audios'):
        assert_loaded(model.encoders[name], state, f'encoders.{name}.')


@pytest.mark.parametrize('modalities', [('imgs', 'audios'), ('audios', )])
def test_whole_model_loads_encoders_fusion_and_embeddings(
        tmp_path, modalities):
    path, state = pretrain_checkpoint(tmp_path / 'avmae.pth')
    fusion = 'mid' if len(modalities) == 2 else 'concat'
    cfg = recognizer(fusion=fusion, modalities=modalities,
                     init_cfg=dict(type='Pretrained', checkpoint=path))
    cfg['encoders'] = encoders(pooling=False, modalities=modalities)
    model = MODELS.build(cfg)
    model.init_weights()
    for name in modalities:
        assert_loaded(model.encoders[name], state, f'encoders.{name}.')
        torch.testing.assert_close(model.modality_embed[name],
                                   state[f'modality_embed.{name}'])
    if model.fusion is not None:
        assert_loaded(model.fusion, state, 'fusion.')


def toy_set(root: str) -> str:
    load_toy_generator().generate(
        root, num_train=8, num_val=4, size=64, frames=32, seed=0,
        num_classes=4, progress=False, audio='aac')
    return root


@pytest.fixture(scope='module')
def toy_mm(tmp_path_factory) -> str:
    return toy_set(str(tmp_path_factory.mktemp('toy_mm')))


def test_audio_only_demo_trains_and_tests(toy_mm, tmp_path):
    cfg = demo_config(
        AUDIO_DEMO, toy_mm, str(tmp_path), **{
            'train_dataloader.batch_size': 4,
            'train_cfg.max_epochs': 2,
            'train_cfg.val_interval': 2,
        })
    runner = Runner.from_cfg(cfg)
    runner.train()
    loss = runner.message_hub.get_scalar('train/loss_cls').current()
    assert np.isfinite(loss) and loss > 0
    metrics = runner.test()
    assert 0 <= metrics['acc/top1'] <= 1


def test_audio_visual_demo_finetunes_a_pretrain_checkpoint(toy_mm, tmp_path):
    """The AV fine-tuning loads everything of the pretraining checkpoint it
    can use (here an untrained CAV-MAE demo model), trains and tests with
    5 clips x 3 crops paired with 5 audio windows."""
    pretrain = demo_config(AV_PRETRAIN, toy_mm, str(tmp_path / 'pre'))
    torch.manual_seed(0)
    model = MODELS.build(pretrain.model)
    model.init_weights()
    checkpoint = osp.join(str(tmp_path), 'pretrain.pth')
    state = model.state_dict()
    torch.save(dict(state_dict=state), checkpoint)
    cfg = demo_config(
        AV_DEMO, toy_mm, str(tmp_path / 'ft'), **{
            'model.init_cfg.checkpoint': checkpoint,
            'train_dataloader.batch_size': 4,
            'train_cfg.max_epochs': 1,
            'optim_wrapper.optimizer.lr': 0.,  # weights stay as loaded
        })
    runner = Runner.from_cfg(cfg)
    runner.train()
    loaded = runner.model.state_dict()
    for key in ('encoders.imgs.blocks.0.attn.qkv.weight',
                'encoders.audios.patch_embed.projection.weight',
                'fusion.blocks.0.mlp.layers.1.weight',
                'modality_embed.audios'):
        torch.testing.assert_close(loaded[key], state[key], rtol=0, atol=0)
    metrics = runner.test()
    assert 0 <= metrics['acc/top1'] <= 1
