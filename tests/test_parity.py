"""Numerical parity of mmvmae with mmaction2's ViT and transformers' VideoMAE.

Tiny seeded models on CPU in float32; every parameter is perturbed so that
no weight is left at an identity-like initial value.
"""
import mmvmae  # noqa: F401 isort:skip  (stubs mmaction2's missing drn)
import pytest
import torch
from mmaction.models.backbones.vit_mae import VisionTransformer
from mmaction.structures import ActionDataSample
from mmengine.registry import init_default_scope
from torch import nn
from torch.testing import assert_close
from transformers import VideoMAEConfig, VideoMAEForPreTraining

from mmvmae.models import VideoViT
from mmvmae.models.layers import sinusoid_table
from mmvmae.registry import MODELS
from mmvmae.utils.checkpoint_convert import hf_to_mmvmae

DIMS, DEPTH, HEADS = 32, 2, 2
DECODER_DIMS, DECODER_DEPTH, DECODER_HEADS = 16, 1, 2
IMG, PATCH, FRAMES, TUBELET = 32, 16, 4, 2
NUM_TOKENS = (FRAMES // TUBELET) * (IMG // PATCH)**2
NUM_MASKED = 6
EPS = 1e-6


def perturb(module: nn.Module, seed: int) -> None:
    """Add seeded noise (std 0.1) to every parameter of ``module``."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in module.parameters():
            param.add_(torch.randn(param.shape, generator=gen) * .1)


@pytest.mark.parametrize('fused_attn', [True, False])
@pytest.mark.parametrize('use_mean_pooling', [True, False])
@pytest.mark.parametrize('init_values', [0., .1])
def test_video_vit_matches_mmaction2_vit(fused_attn: bool,
                                         use_mean_pooling: bool,
                                         init_values: float) -> None:
    """VideoViT and mmaction2's VisionTransformer (eager attention) swap
    state dicts strictly, both ways, and give the same features.

    With mean pooling both return ``fc_norm(mean(tokens))``; without it the
    feature maps (tokens after ``norm``) are compared, since mmaction2 then
    returns the first token where VideoViT's ``'avg'`` averages.
    """
    torch.manual_seed(0)
    sizes = dict(img_size=IMG, patch_size=PATCH, num_frames=FRAMES,
                 tubelet_size=TUBELET, use_mean_pooling=use_mean_pooling,
                 init_values=init_values)
    ours = VideoViT(
        arch=dict(embed_dims=DIMS, depth=DEPTH, num_heads=HEADS),
        out_type='avg' if use_mean_pooling else 'featmap',
        fused_attn=fused_attn,
        **sizes).eval()
    theirs = VisionTransformer(
        embed_dims=DIMS, depth=DEPTH, num_heads=HEADS,
        return_feat_map=not use_mean_pooling, **sizes).eval()
    x = torch.randn(2, 3, FRAMES, IMG, IMG)

    perturb(ours, 1)
    theirs.load_state_dict(ours.state_dict(), strict=True)
    with torch.no_grad():
        assert_close(ours(x), theirs(x), atol=1e-5, rtol=0)

    perturb(theirs, 2)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    with torch.no_grad():
        assert_close(ours(x), theirs(x), atol=1e-5, rtol=0)


def hf_pretraining_model() -> VideoMAEForPreTraining:
    """Tiny ``VideoMAEForPreTraining`` with mmvmae's LayerNorm epsilon."""
    config = VideoMAEConfig(
        image_size=IMG, patch_size=PATCH, num_channels=3, num_frames=FRAMES,
        tubelet_size=TUBELET, hidden_size=DIMS, num_hidden_layers=DEPTH,
        num_attention_heads=HEADS, intermediate_size=4 * DIMS,
        decoder_hidden_size=DECODER_DIMS,
        decoder_num_hidden_layers=DECODER_DEPTH,
        decoder_num_attention_heads=DECODER_HEADS,
        decoder_intermediate_size=4 * DECODER_DIMS, use_mean_pooling=False,
        norm_pix_loss=True, layer_norm_eps=EPS,
        attn_implementation='eager')
    model = VideoMAEForPreTraining(config).eval()
    assert model.config._attn_implementation == 'eager'
    # transformers builds the decoder's final norm with torch's default eps.
    assert model.decoder.norm.eps == 1e-5
    model.decoder.norm.eps = EPS
    return model


def mmvmae_pretraining_model(fused_attn: bool) -> nn.Module:
    """The mmvmae ``VideoMAE`` of the same sizes (eps 1e-6 everywhere)."""
    init_default_scope('mmvmae')
    return MODELS.build(dict(
        type='VideoMAE',
        backbone=dict(
            type='VideoViT',
            arch=dict(embed_dims=DIMS, depth=DEPTH, num_heads=HEADS),
            img_size=IMG, patch_size=PATCH, num_frames=FRAMES,
            tubelet_size=TUBELET, norm_eps=EPS, use_mean_pooling=False,
            fused_attn=fused_attn),
        neck=dict(
            type='MAEDecoder', in_dims=DIMS, embed_dims=DECODER_DIMS,
            depth=DECODER_DEPTH, num_heads=DECODER_HEADS,
            out_dims=TUBELET * PATCH**2 * 3, norm_eps=EPS,
            fused_attn=fused_attn),
        head=dict(
            type='PixelReconstructionHead', patch_size=PATCH,
            tubelet_size=TUBELET, target='videomae', eps=EPS))).eval()


def random_masks(batch: int, seed: int) -> tuple:
    """Boolean masks (B, N) with ``NUM_MASKED`` tokens each, and the data
    samples holding the same masks as sorted index arrays."""
    gen = torch.Generator().manual_seed(seed)
    masks, samples = [], []
    for _ in range(batch):
        order = torch.randperm(NUM_TOKENS, generator=gen)
        mask = torch.zeros(NUM_TOKENS, dtype=torch.bool)
        mask[order[:NUM_MASKED]] = True
        sample = ActionDataSample()
        sample.set_field(torch.nonzero(~mask).flatten(), 'visible_ids')
        sample.set_field(torch.nonzero(mask).flatten(), 'masked_ids')
        masks.append(mask)
        samples.append(sample)
    return torch.stack(masks), samples


@pytest.mark.parametrize('fused_attn', [True, False])
def test_videomae_matches_transformers(fused_attn: bool) -> None:
    """Weights converted from ``VideoMAEForPreTraining`` give the same
    encoder output, predictions and loss on the same clip and mask.

    LayerNorm epsilons accounted for: transformers' ``layer_norm_eps``
    (default 1e-12), used by every block's ``layernorm_before``/``after``
    and by the encoder's final ``videomae.layernorm``, is set to 1e-6; the
    decoder's final ``decoder.norm``, built with torch's default eps 1e-5
    regardless of the config, is patched to 1e-6. mmvmae uses 1e-6 for all
    of them (blocks, ``backbone.norm``, ``neck.norm``), as the official
    VideoMAE does. The pixel target adds 1e-6 to the unbiased std in both
    (mmvmae's head ``eps``). transformers' attention is eager; mmvmae is
    run with SDPA and with its explicit path. Both models compute the
    sinusoid tables in float64 and round them to float32.
    """
    torch.manual_seed(0)
    hf = hf_pretraining_model()
    perturb(hf, 3)
    ours = mmvmae_pretraining_model(fused_attn)
    ours.load_state_dict(hf_to_mmvmae(hf.state_dict()).state_dict,
                         strict=True)
    assert torch.equal(hf.position_embeddings,
                       sinusoid_table(NUM_TOKENS, DECODER_DIMS))

    pixels = torch.randn(2, FRAMES, 3, IMG, IMG)  # transformers: B T C H W
    clip = pixels.permute(0, 2, 1, 3, 4)  # mmvmae: B C T H W
    mask, samples = random_masks(2, seed=4)
    visible = torch.stack([s.visible_ids for s in samples])
    masked = torch.stack([s.masked_ids for s in samples])
    with torch.no_grad():
        hf_latent = hf.videomae(
            pixels, bool_masked_pos=mask).last_hidden_state
        hf_out = hf(pixels, bool_masked_pos=mask)
        latent = ours.backbone(clip, visible)
        pred = ours.neck(latent, visible, masked,
                         ours.backbone.patch_embed.token_grid(clip.shape))
        loss = ours(clip, samples, mode='loss')['loss_pix']

    assert latent.shape == (2, NUM_TOKENS - NUM_MASKED, DIMS)
    assert_close(latent, hf_latent, atol=1e-5, rtol=0)
    assert_close(pred, hf_out.logits, atol=1e-5, rtol=0)
    assert_close(loss, hf_out.loss, atol=1e-5, rtol=1e-6)
