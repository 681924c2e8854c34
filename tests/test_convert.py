"""Tests of :mod:`mmvmae.utils.checkpoint_convert` and ``tools/convert``.

Fake official checkpoints are made from tiny mmvmae models with the reverse
converter; transformers checkpoints come from tiny transformers models.
"""
import mmvmae  # noqa: F401 isort:skip  (stubs mmaction2's missing drn)
import argparse
import json
import runpy
from pathlib import Path
from typing import Dict

import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from torch import nn
from transformers import (VideoMAEConfig, VideoMAEForPreTraining,
                          VideoMAEForVideoClassification, VideoMAEModel)

from mmvmae.models.layers import sinusoid_table
from mmvmae.registry import MODELS
from mmvmae.utils.checkpoint_convert import (CheckpointConversionError,
                                             convert_official_file,
                                             hf_config, hf_to_mmvmae,
                                             load_torch_file, mmvmae_to_hf,
                                             mmvmae_to_official,
                                             official_to_mmvmae)

CONVERT_TOOLS = Path(__file__).resolve().parents[1] / 'tools' / 'convert'
DIMS, DEPTH, HEADS, NUM_CLASSES = 32, 2, 2, 5
IMG, PATCH, FRAMES, TUBELET = 32, 16, 4, 2
NUM_TOKENS = (FRAMES // TUBELET) * (IMG // PATCH)**2
SIZES = dict(img_size=IMG, patch_size=PATCH, num_frames=FRAMES,
             tubelet_size=TUBELET)
ARCH = dict(embed_dims=DIMS, depth=DEPTH, num_heads=HEADS)
HF_SIZES = dict(image_size=IMG, patch_size=PATCH, num_frames=FRAMES,
                tubelet_size=TUBELET, hidden_size=DIMS,
                num_hidden_layers=DEPTH, num_attention_heads=HEADS,
                intermediate_size=4 * DIMS, decoder_hidden_size=16,
                decoder_num_hidden_layers=1, decoder_num_attention_heads=2,
                decoder_intermediate_size=64)
StateDict = Dict[str, torch.Tensor]


class Unsafe:
    """A class ``torch.load(weights_only=True)`` must refuse."""


def build(cfg: dict) -> nn.Module:
    """Build a model in the mmvmae scope with seeded random weights."""
    init_default_scope('mmvmae')
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn(param.shape, generator=gen) * .1)
    return model


def videomae(init_values: float = 0.) -> nn.Module:
    """Tiny mmvmae ``VideoMAE`` (encoder ending in ``norm``)."""
    return build(dict(
        type='VideoMAE',
        backbone=dict(type='VideoViT', arch=ARCH, use_mean_pooling=False,
                      init_values=init_values, **SIZES),
        neck=dict(type='MAEDecoder', in_dims=DIMS, embed_dims=16, depth=1,
                  num_heads=2, out_dims=TUBELET * PATCH**2 * 3),
        head=dict(type='PixelReconstructionHead', patch_size=PATCH,
                  tubelet_size=TUBELET)))


def recognizer(backbone: str = 'VideoViT',
               use_mean_pooling: bool = True) -> nn.Module:
    """Tiny mmaction2 ``Recognizer3D`` with a ``TimeSformerHead``."""
    if backbone == 'VideoViT':
        backbone_cfg = dict(type='VideoViT', arch=ARCH,
                            use_mean_pooling=use_mean_pooling, **SIZES)
    else:
        backbone_cfg = dict(type='mmaction.VisionTransformer',
                            embed_dims=DIMS, depth=DEPTH, num_heads=HEADS,
                            use_mean_pooling=use_mean_pooling, **SIZES)
    return build(dict(
        type='Recognizer3D',
        backbone=backbone_cfg,
        cls_head=dict(type='TimeSformerHead', num_classes=NUM_CLASSES,
                      in_channels=DIMS, average_clips='prob'),
        data_preprocessor=dict(type='ActionDataPreprocessor',
                               format_shape='NCTHW')))


def hf_model(cls: type, **kwargs) -> nn.Module:
    """Tiny transformers VideoMAE model with seeded random weights."""
    torch.manual_seed(0)
    model = cls(VideoMAEConfig(**HF_SIZES, **kwargs))
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn(param.shape, generator=gen) * .1)
    return model


def assert_same(a: StateDict, b: StateDict) -> None:
    """Same keys and bitwise identical tensors."""
    assert sorted(a) == sorted(b)
    for key in a:
        assert a[key].dtype == b[key].dtype, key
        assert torch.equal(a[key], b[key]), key


def without_pos_embed(state_dict: StateDict) -> StateDict:
    return {k: v for k, v in state_dict.items() if k != 'backbone.pos_embed'}


def assert_plain(value) -> None:
    """Only builtin containers and scalars (``meta`` of a checkpoint)."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str)
            assert_plain(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            assert_plain(item)
    else:
        assert value is None or type(value) in (str, int, float, bool), (
            type(value))


def run_tool(name: str, *argv: str) -> None:
    """Run ``tools/convert/<name>.py`` in process."""
    runpy.run_path(str(CONVERT_TOOLS / f'{name}.py'))['main'](list(argv))


@pytest.mark.parametrize('init_values', [0., .1])
def test_official_pretrain_round_trip(init_values: float) -> None:
    ours = videomae(init_values).state_dict()
    official = mmvmae_to_official(ours)
    assert official.kind == 'pretrain'
    assert 'backbone.pos_embed' in official.dropped
    names = set(official.state_dict)
    assert {'encoder.patch_embed.proj.weight', 'encoder.blocks.1.mlp.fc1.bias',
            'encoder.blocks.0.attn.q_bias', 'encoder.norm.weight',
            'encoder_to_decoder.weight', 'mask_token',
            'decoder.blocks.0.mlp.fc2.weight', 'decoder.norm.bias',
            'decoder.head.weight'} <= names
    assert ('encoder.blocks.0.gamma_1' in names) == (init_values > 0)
    back = official_to_mmvmae(official.state_dict)
    assert back.kind == 'pretrain'
    assert_same(back.state_dict, without_pos_embed(ours))
    assert_same(mmvmae_to_official(back.state_dict).state_dict,
                official.state_dict)


@pytest.mark.parametrize('use_mean_pooling', [True, False])
@pytest.mark.parametrize('prefix', ['', 'backbone.', 'encoder.'])
def test_official_finetune_round_trip(use_mean_pooling: bool,
                                      prefix: str) -> None:
    ours = recognizer(use_mean_pooling=use_mean_pooling).state_dict()
    official = mmvmae_to_official(ours).state_dict
    norm = 'fc_norm' if use_mean_pooling else 'norm'
    assert {'patch_embed.proj.weight', 'blocks.1.attn.qkv.weight',
            f'{norm}.weight', 'head.weight', 'head.bias'} <= set(official)
    prefixed = {(k if k.startswith('head.') else prefix + k): v
                for k, v in official.items()}
    back = official_to_mmvmae(prefixed)
    assert back.kind == 'finetune'
    assert_same(back.state_dict, without_pos_embed(ours))
    assert_same(mmvmae_to_official(back.state_dict).state_dict, official)


@pytest.mark.parametrize('entry', ['module', 'model', None])
def test_fake_official_file(tmp_path: Path, entry: str) -> None:
    """An official-style file (weights under ``module``/``model`` or at top
    level, ``argparse.Namespace`` args) converts to a plain checkpoint that
    loads strictly into a ``VideoMAE``."""
    model = videomae()
    official = mmvmae_to_official(model.state_dict()).state_dict
    src, dst = tmp_path / 'official.pth', tmp_path / 'out' / 'mmvmae.pth'
    if entry is None:
        torch.save(official, src)
    else:
        torch.save({entry: official, 'epoch': 799, 'args': argparse.Namespace(
            model='pretrain_videomae_small_patch16_224', lr=1.5e-4)}, src)
    conversion = convert_official_file(str(src), str(dst))
    assert conversion.ignored == ([] if entry is None else ['epoch', 'args'])

    saved = torch.load(dst, weights_only=True)
    assert sorted(saved) == ['meta', 'state_dict']
    assert_plain(saved['meta'])
    assert saved['meta']['source'] == 'videomae_official'
    assert saved['meta']['arch']['depth'] == DEPTH
    assert saved['meta']['arch']['decoder']['embed_dims'] == 16
    fresh = videomae()
    fresh.load_state_dict(saved['state_dict'], strict=True)
    assert_same(fresh.state_dict(), model.state_dict())


def test_module_prefix_and_v2_position_tables() -> None:
    """``module.`` prefixes go; VideoMAE V2-style saved tables: the
    encoder's is kept, the decoder's fixed sinusoid is dropped."""
    ours = videomae().state_dict()
    official = {'module.' + k: v
                for k, v in mmvmae_to_official(ours).state_dict.items()}
    official['module.encoder.pos_embed'] = sinusoid_table(NUM_TOKENS, DIMS)
    official['module.decoder.pos_embed'] = sinusoid_table(NUM_TOKENS, 16)
    official['module.pos_embed'] = sinusoid_table(NUM_TOKENS, 16)
    conversion = official_to_mmvmae(official)
    assert sorted(conversion.dropped) == ['decoder.pos_embed', 'pos_embed']
    assert 'dropped decoder.pos_embed: fixed sinusoid' in (
        conversion.summary())
    assert_same(conversion.state_dict, ours)


def test_learned_decoder_table_is_refused() -> None:
    official = mmvmae_to_official(videomae().state_dict()).state_dict
    official['decoder.pos_embed'] = torch.randn(1, NUM_TOKENS, 16)
    with pytest.raises(CheckpointConversionError, match='decoder.pos_embed'):
        official_to_mmvmae(official)


def test_unknown_keys_are_named() -> None:
    official = mmvmae_to_official(videomae().state_dict()).state_dict
    official['encoder.blocks.0.attn.scale'] = torch.ones(2, 1, 1)
    official['encoder.head.weight'] = torch.ones(3, DIMS)
    with pytest.raises(CheckpointConversionError) as info:
        official_to_mmvmae(official)
    message = str(info.value)
    assert 'keys outside the official VideoMAE pretraining layout' in message
    assert 'encoder.blocks.0.attn.scale' in message
    assert 'encoder.head.weight' in message


def test_missing_keys_are_named() -> None:
    official = mmvmae_to_official(videomae().state_dict()).state_dict
    del official['encoder.blocks.1.norm2.bias']
    del official['decoder.head.weight']
    with pytest.raises(CheckpointConversionError) as info:
        official_to_mmvmae(official)
    message = str(info.value)
    assert 'missing keys' in message
    assert 'backbone.blocks.1.norm2.bias (encoder.blocks.1.norm2.bias)' in (
        message)
    assert 'neck.head.weight (decoder.head.weight)' in message


def test_wrong_kind_and_two_final_norms_are_refused() -> None:
    finetuned = mmvmae_to_official(recognizer().state_dict()).state_dict
    with pytest.raises(CheckpointConversionError, match='blocks.0.norm1'):
        official_to_mmvmae(finetuned, kind='pretrain')
    finetuned['norm.weight'] = torch.ones(DIMS)
    finetuned['norm.bias'] = torch.zeros(DIMS)
    with pytest.raises(CheckpointConversionError, match='backbone.norm'):
        official_to_mmvmae(finetuned)


def test_unsafe_pickle_is_refused(tmp_path: Path) -> None:
    path = tmp_path / 'unsafe.pth'
    torch.save({'model': {}, 'args': Unsafe()}, path)
    with pytest.raises(CheckpointConversionError, match='weights_only'):
        load_torch_file(str(path))


@pytest.mark.parametrize('backbone', ['VideoViT', 'VisionTransformer'])
def test_finetuned_checkpoint_loads_into_recognizer(tmp_path: Path,
                                                    backbone: str) -> None:
    """A converted fine-tuned official checkpoint loads into Recognizer3D
    with no missing or unexpected keys. mmaction2's ``VisionTransformer``
    needs ``backbone.pos_embed`` (``input_size``); ``VideoViT`` makes it."""
    official = mmvmae_to_official(recognizer().state_dict()).state_dict
    assert 'pos_embed' not in official
    src, dst = tmp_path / 'finetuned.pth', tmp_path / 'mmvmae.pth'
    torch.save({'module': official}, src)
    input_size = (FRAMES, IMG) if backbone == 'VisionTransformer' else None
    conversion = convert_official_file(str(src), str(dst),
                                       input_size=input_size)
    assert conversion.kind == 'finetune'
    assert ('backbone.pos_embed' in conversion.added) == (
        input_size is not None)

    model = recognizer(backbone)
    result = model.load_state_dict(
        torch.load(dst, weights_only=True)['state_dict'], strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    load_checkpoint(recognizer(backbone), str(dst), strict=True)
    assert torch.equal(model.backbone.pos_embed,
                       sinusoid_table(NUM_TOKENS, DIMS))


@pytest.mark.parametrize('cls,kwargs', [
    (VideoMAEForPreTraining, dict(use_mean_pooling=False)),
    (VideoMAEForVideoClassification, dict(num_labels=NUM_CLASSES)),
    (VideoMAEForVideoClassification,
     dict(num_labels=NUM_CLASSES, use_mean_pooling=False)),
])
def test_hf_round_trip(cls: type, kwargs: dict) -> None:
    theirs = hf_model(cls, **kwargs).state_dict()
    conversion = hf_to_mmvmae(theirs)
    assert conversion.kind == ('pretrain' if cls is VideoMAEForPreTraining
                               else 'finetune')
    assert conversion.num_source_keys == len(theirs)
    qkv = conversion.state_dict['backbone.blocks.1.attn.qkv.weight']
    prefix = 'videomae.encoder.layer.1.attention.attention.'
    assert torch.equal(qkv, torch.cat(
        [theirs[prefix + p + '.weight'] for p in ('query', 'key', 'value')]))
    assert_same(mmvmae_to_hf(conversion.state_dict).state_dict, theirs)


def test_bare_hf_model_converts_to_backbone() -> None:
    theirs = hf_model(VideoMAEModel, use_mean_pooling=False).state_dict()
    converted = hf_to_mmvmae(theirs).state_dict
    backbone = recognizer(use_mean_pooling=False).backbone
    backbone.load_state_dict(
        {k[len('backbone.'):]: v for k, v in converted.items()}, strict=True)


@pytest.mark.parametrize('pretrain', [True, False])
def test_hf_export_and_config_build_hf_model(pretrain: bool) -> None:
    ours = (videomae() if pretrain else recognizer()).state_dict()
    config = hf_config(ours, HEADS, image_size=IMG, num_frames=FRAMES,
                       decoder_num_heads=2)
    cls = VideoMAEForPreTraining if pretrain else (
        VideoMAEForVideoClassification)
    assert config['architectures'] == [cls.__name__]
    model = cls(VideoMAEConfig(**config))
    model.load_state_dict(mmvmae_to_hf(ours).state_dict, strict=True)
    assert model.config.layer_norm_eps == 1e-6


def test_hf_missing_projection_is_named() -> None:
    theirs = hf_model(VideoMAEForPreTraining,
                      use_mean_pooling=False).state_dict()
    del theirs['decoder.decoder_layers.0.attention.attention.key.weight']
    with pytest.raises(CheckpointConversionError,
                       match='decoder_layers.0.attention.attention.key'):
        hf_to_mmvmae(theirs)


def test_hf_export_refuses_what_transformers_lacks() -> None:
    with pytest.raises(CheckpointConversionError, match='gamma_1'):
        mmvmae_to_hf(videomae(init_values=.1).state_dict())
    ours = videomae().state_dict()
    ours['backbone.pos_embed'] = torch.randn(1, NUM_TOKENS, DIMS)
    with pytest.raises(CheckpointConversionError,
                       match='backbone.pos_embed'):
        mmvmae_to_hf(ours)


def test_official_tools(tmp_path: Path,
                        capsys: pytest.CaptureFixture) -> None:
    model = videomae()
    src = tmp_path / 'epoch_1.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {'epoch': 1}}, src)
    official, back = tmp_path / 'official.pth', tmp_path / 'back.pth'
    run_tool('mmvmae_to_videomae_official', str(src), str(official))
    run_tool('videomae_official_to_mmvmae', str(official), str(back),
             '--kind', 'pretrain', '--input-size', str(FRAMES), str(IMG))
    out = capsys.readouterr().out
    assert 'mmvmae (pretrain) -> videomae_official' in out
    assert 'dropped backbone.pos_embed: fixed sinusoid' in out
    assert 'ignored checkpoint entries (not weights): meta' in out
    assert 'videomae_official (pretrain) -> mmvmae' in out
    assert 'added backbone.pos_embed' in out
    assert sorted(torch.load(official, weights_only=True)) == ['model']
    assert_same(torch.load(back, weights_only=True)['state_dict'],
                model.state_dict())


@pytest.mark.parametrize('safe', [True, False])
def test_hf_tools(tmp_path: Path, capsys: pytest.CaptureFixture,
                  safe: bool) -> None:
    hf = hf_model(VideoMAEForPreTraining, use_mean_pooling=False,
                  layer_norm_eps=1e-6)
    hf_dir, out_dir = tmp_path / 'hf', tmp_path / 'hf_out'
    hf.save_pretrained(hf_dir, safe_serialization=safe)
    mmvmae_file = tmp_path / 'mmvmae.pth'
    run_tool('hf_videomae_to_mmvmae', str(hf_dir), str(mmvmae_file))
    saved = torch.load(mmvmae_file, weights_only=True)
    assert_plain(saved['meta'])
    assert saved['meta']['hf_config']['hidden_size'] == DIMS
    run_tool('mmvmae_to_hf_videomae', str(mmvmae_file), str(out_dir),
             '--num-heads', str(HEADS), '--decoder-num-heads', '2',
             '--image-size', str(IMG), '--num-frames', str(FRAMES))
    out = capsys.readouterr().out
    assert 'transformers_videomae (pretrain) -> mmvmae' in out
    assert 'mmvmae (pretrain) -> transformers_videomae' in out
    with open(out_dir / 'config.json') as f:
        assert json.load(f)['decoder_num_attention_heads'] == 2
    reloaded = VideoMAEForPreTraining.from_pretrained(out_dir)
    assert_same(reloaded.state_dict(), hf.state_dict())
