"""AudioViT and SpectrogramPatchEmbed: token order, grid, table, forward."""
import math

import pytest
import torch

from mmvmae.models.encoders import AudioViT
from mmvmae.models.layers import (SpectrogramPatchEmbed, gather_tokens,
                                  sincos_table_2d)
from mmvmae.registry import MODELS

# 64 frames x 32 bins, patch 16: grid (4, 2) time-major, (2, 4) freq-major.
TINY = dict(arch=dict(embed_dims=32, depth=2, num_heads=2),
            target_length=64, n_mels=32)


def bright_patch(t_patch: int, f_patch: int) -> torch.Tensor:
    x = torch.zeros(1, 64, 32)
    x[0, 16 * t_patch:16 * (t_patch + 1), 16 * f_patch:16 * (f_patch + 1)] = 1
    return x


@pytest.mark.parametrize('layout,grid,index', [('tf', (4, 2), 2 * 2 + 1),
                                               ('ft', (2, 4), 1 * 4 + 2)])
def test_bright_patch_lands_on_layout_token(layout, grid, index):
    embed = SpectrogramPatchEmbed(embed_dims=4, layout=layout)
    torch.nn.init.ones_(embed.projection.weight)
    torch.nn.init.zeros_(embed.projection.bias)
    x = bright_patch(t_patch=2, f_patch=1)
    assert embed.token_grid(x.shape) == grid
    with torch.no_grad():
        tokens = embed(x)[0, :, 0]
    assert tokens.shape == (8, )
    assert int(tokens.argmax()) == index
    assert float(tokens[index]) == 256. and float(tokens.sum()) == 256.


def test_channel_dim_is_optional():
    embed = SpectrogramPatchEmbed(embed_dims=8, layout='ft')
    x = torch.randn(2, 64, 32)
    torch.testing.assert_close(embed(x), embed(x[:, None]))


@pytest.mark.parametrize('shape', [(2, 60, 32), (2, 64, 30), (2, 2, 64, 32),
                                   (64, ), (1, 1, 1, 64, 32)])
def test_bad_shapes_are_named(shape):
    embed = SpectrogramPatchEmbed(embed_dims=8)
    with pytest.raises(ValueError, match='fbank'):
        embed.token_grid(shape)


def test_bad_layout():
    with pytest.raises(ValueError, match="layout must be one of"):
        SpectrogramPatchEmbed(layout='time')


def test_sincos_table_column_then_row():
    table = sincos_table_2d((3, 5), 16)[0]
    assert table.shape == (15, 16)
    # token (r, c) is r * 5 + c; first half = column, second half = row
    torch.testing.assert_close(table[1 * 5 + 2, :8], table[2 * 5 + 2, :8])
    torch.testing.assert_close(table[1 * 5 + 2, 8:], table[1 * 5 + 4, 8:])
    # position 0: sin 0 = 0 then cos 0 = 1
    torch.testing.assert_close(table[0], torch.tensor([0.] * 4 + [1.] * 4
                                                       + [0.] * 4 + [1.] * 4))
    # column 1, first frequency: sin(1), cos(1)
    assert math.isclose(float(table[1, 0]), math.sin(1.), abs_tol=1e-6)
    assert math.isclose(float(table[1, 4]), math.cos(1.), abs_tol=1e-6)
    with pytest.raises(ValueError, match='divisible by 4'):
        sincos_table_2d((2, 2), 6)


@pytest.mark.parametrize('layout', ['tf', 'ft'])
def test_shorter_fbank_gets_the_trimmed_table(layout):
    model = AudioViT(**TINY, layout=layout)
    short = model.position_embedding(
        model.patch_embed.token_grid((1, 32, 32)))[0]
    full = model.pos_embed[0].reshape(*model.grid, -1)
    # keep the first 2 of 4 time patches
    trimmed = full[:2] if layout == 'tf' else full[:, :2]
    torch.testing.assert_close(short, trimmed.reshape(-1, 32))


@pytest.mark.parametrize('layout', ['tf', 'ft'])
def test_visible_forward_is_gather_of_embedding(seeded, layout):
    model = AudioViT(**TINY, layout=layout, out_type='tokens').eval()
    x = torch.randn(2, 64, 32)
    ids = torch.tensor([[0, 3, 6], [1, 2, 7]])
    out = model(x, ids)
    assert out.shape == (2, 3, 32)
    full = model.embed(x)
    torch.testing.assert_close(full[:, 5], model.patch_embed(x)[:, 5]
                               + model.pos_embed[:, 5])
    expected, _ = model.encode_tokens(gather_tokens(full, ids))
    torch.testing.assert_close(out, expected)
    # every token visible == full forward; hidden tokens change nothing
    all_ids = torch.arange(8).repeat(2, 1)
    torch.testing.assert_close(model(x, all_ids), model(x))
    y = x.clone()
    hidden = 4  # token 4: not visible in either sample
    t, f = divmod(hidden, 2) if layout == 'tf' else divmod(hidden, 4)[::-1]
    y[:, 16 * t:16 * (t + 1), 16 * f:16 * (f + 1)] = 5.
    assert not torch.allclose(model(y), model(x))
    torch.testing.assert_close(model(y, ids), out)


def test_layers_return_raw_block_outputs(seeded):
    model = AudioViT(**TINY, use_mean_pooling=False).eval()
    tokens = model.embed(torch.randn(1, 64, 32))
    normed, (raw, ) = model.encode_tokens(tokens, layers=(2, ))
    torch.testing.assert_close(normed, model.norm(raw))
    with pytest.raises(ValueError, match='out of range'):
        model.encode_tokens(tokens, layers=(3, ))


@pytest.mark.parametrize('use_mean_pooling', [True, False])
def test_gradients_reach_every_parameter(seeded, use_mean_pooling):
    model = AudioViT(**TINY, use_mean_pooling=use_mean_pooling, layout='ft')
    model(torch.randn(2, 1, 64, 32)).pow(2).sum().backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_frozen_and_checkpointing(seeded):
    frozen = AudioViT(**TINY, frozen=True, drop_path_rate=0.1).train()
    assert not frozen.training
    assert not any(p.requires_grad for p in frozen.parameters())
    plain = AudioViT(**TINY)
    ckpt = AudioViT(**TINY, with_cp=True)
    ckpt.load_state_dict(plain.state_dict())
    x = torch.randn(2, 64, 32)
    torch.testing.assert_close(plain(x), ckpt(x))


def test_build_sizes_and_state_dict():
    model = MODELS.build(dict(type='AudioViT', arch='tiny', layout='ft'))
    assert model.grid == (8, 64) and model.embed_dims == 192
    assert len(model.blocks) == 12
    assert 'pos_embed' not in model.state_dict()
    assert 'patch_embed.projection.weight' in model.state_dict()
    with pytest.raises(ValueError, match='out_type'):
        AudioViT(**TINY, out_type='featmap')
