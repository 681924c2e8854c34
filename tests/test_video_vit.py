"""VideoViT: position tables, visible-only forward, switches, sizes."""
import pytest
import torch
from mmaction.models.backbones.vit_mae import get_sinusoid_encoding

from mmvmae.models.encoders import ARCH_SETTINGS, VideoViT
from mmvmae.models.layers import interpolate_grid, sinusoid_table
from mmvmae.registry import MODELS

TINY = dict(arch=dict(embed_dims=32, depth=2, num_heads=2), img_size=32,
            num_frames=4)


def test_sinusoid_matches_mmaction2():
    ours = sinusoid_table(1568, 96)
    theirs = get_sinusoid_encoding(1568, 96)
    torch.testing.assert_close(ours, theirs.float(), atol=1e-6, rtol=0)


@pytest.mark.parametrize('fused', [True, False])
def test_all_visible_ids_equal_full_forward(seeded, fused):
    model = VideoViT(**TINY, out_type='tokens', fused_attn=fused).eval()
    x = torch.randn(2, 3, 4, 32, 32)
    ids = torch.arange(8).repeat(2, 1)
    torch.testing.assert_close(model(x, ids), model(x))


def test_visible_forward_uses_only_visible_tokens(seeded):
    model = VideoViT(**TINY, out_type='tokens').eval()
    x = torch.randn(1, 3, 4, 32, 32)
    ids = torch.tensor([[0, 5]])
    y = x.clone()
    y[:, :, 0:2, 0:16, 16:32] = 0  # token 1 (t=0, h=0, w=1): hidden
    torch.testing.assert_close(model(x, ids), model(y, ids))
    assert model(x, ids).shape == (1, 2, 32)


def test_fused_and_eager_attention_agree(seeded):
    model = VideoViT(**TINY, fused_attn=True).eval()
    eager = VideoViT(**TINY, fused_attn=False).eval()
    eager.load_state_dict(model.state_dict())
    x = torch.randn(2, 3, 4, 32, 32)
    torch.testing.assert_close(model(x), eager(x), atol=1e-5, rtol=1e-5)


def test_env_switch_selects_eager(monkeypatch):
    monkeypatch.setenv('MMVMAE_FUSED_ATTN', '0')
    assert not VideoViT(**TINY).blocks[0].attn.fused
    monkeypatch.setenv('MMVMAE_FUSED_ATTN', 'yes')
    with pytest.raises(ValueError, match='MMVMAE_FUSED_ATTN'):
        VideoViT(**TINY)


def test_checkpointing_gives_same_output_and_grads(seeded):
    plain = VideoViT(**TINY, drop_path_rate=0.)
    ckpt = VideoViT(**TINY, with_cp=True)
    ckpt.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 4, 32, 32)
    plain(x).pow(2).sum().backward()
    ckpt(x).pow(2).sum().backward()
    for (name, a), (_, b) in zip(plain.named_parameters(),
                                 ckpt.named_parameters()):
        torch.testing.assert_close(a.grad, b.grad, msg=name)


def test_pos_embed_resampled_for_other_frame_count_and_filled_if_absent():
    source = VideoViT(**TINY)
    target = VideoViT(**dict(TINY, num_frames=8))
    state = source.state_dict()
    target.load_state_dict(state)  # 8 -> 16 tokens, strict
    expected = interpolate_grid(source.pos_embed, (2, 2, 2), (4, 2, 2))
    torch.testing.assert_close(target.pos_embed, expected)
    del state['pos_embed']
    fresh = VideoViT(**TINY)
    fresh.load_state_dict(state)  # official checkpoints have no table
    torch.testing.assert_close(fresh.pos_embed, source.pos_embed)


def test_runtime_input_of_other_size_interpolates(seeded):
    model = VideoViT(**TINY, out_type='featmap').eval()
    out = model(torch.randn(1, 3, 8, 64, 48))
    assert out.shape == (1, 32, 4, 4, 3)


def test_learned_separable_pos_embed(seeded):
    model = VideoViT(**TINY, pos_embed_type='learned_separable')
    keys = set(model.state_dict())
    assert {'pos_embed.pos_embed_spatial',
            'pos_embed.pos_embed_temporal'} <= keys
    model(torch.randn(1, 3, 4, 32, 32)).pow(2).sum().backward()
    assert model.pos_embed.pos_embed_temporal.grad.abs().sum() > 0


@pytest.mark.parametrize('shape, message', [
    ((1, 3, 5, 32, 32), 'tubelet_size=2'),
    ((1, 3, 4, 30, 32), 'patch_size=16'),
    ((3, 4, 32, 32), r'\(B, C, T, H, W\)'),
])
def test_bad_shapes_name_the_problem(shape, message):
    with pytest.raises(ValueError, match=message):
        VideoViT(**TINY)(torch.randn(*shape))


def test_bad_arch_and_options_are_named():
    with pytest.raises(KeyError, match='unknown arch'):
        VideoViT(arch='colossal')
    with pytest.raises(ValueError, match='out_type'):
        VideoViT(**TINY, out_type='cls')
    with pytest.raises(ValueError, match='pos_embed_type'):
        VideoViT(**TINY, pos_embed_type='rope')


def test_frozen_encoder_stays_eval_and_has_no_trainable_params():
    model = VideoViT(**TINY, frozen=True, drop_path_rate=0.1)
    model.train()
    assert not model.training
    assert not any(p.requires_grad for p in model.parameters())


@pytest.mark.parametrize('arch, params_m', [('small', 21.9), ('base', 86.2),
                                            ('large', 303.3),
                                            ('huge', 631.7),
                                            ('giant', 1011.6)])
def test_paper_sizes_build_on_meta(arch, params_m):
    patch = 14 if arch == 'giant' else 16
    with torch.device('meta'):
        model = MODELS.build(
            dict(type='VideoViT', arch=arch, patch_size=patch))
    count = sum(p.numel() for p in model.parameters()) / 1e6
    assert count == pytest.approx(params_m, rel=0.01)
    assert model.embed_dims == ARCH_SETTINGS[arch][0]


def test_encode_tokens_returns_raw_block_outputs():
    torch.manual_seed(0)
    vit = VideoViT(arch=dict(embed_dims=32, depth=3, num_heads=2),
                   img_size=32, num_frames=4).eval()
    x = torch.randn(2, 3, 4, 32, 32)
    tokens = vit.embed(x)
    out, feats = vit.encode_tokens(tokens, layers=(3, 1))
    manual = tokens
    raw = []
    for block in vit.blocks:
        manual = block(manual)
        raw.append(manual)
    assert torch.allclose(feats[0], raw[2]) and torch.allclose(feats[1], raw[0])
    assert torch.allclose(out, vit.norm(raw[2]))
    with pytest.raises(ValueError, match=r'\[4\] out of range 1..3'):
        vit.encode_tokens(tokens, layers=(4, ))
