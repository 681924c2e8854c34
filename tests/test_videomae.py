"""VideoMAE algorithm: losses, gradients, dual masking, targets."""
import numpy as np
import pytest
import torch
from conftest import mask_samples, random_masks, tiny_videomae

from mmvmae.datasets.transforms import (RunningCellDecoderMask,
                                        TubeMaskGenerator)
from mmvmae.registry import MODELS


def build(**overrides):
    model = MODELS.build(tiny_videomae(**overrides))
    model.init_weights()
    return model


def assert_every_param_gets_grad(model, loss):
    loss.backward()
    missing = [
        name for name, p in model.named_parameters()
        if p.requires_grad and (p.grad is None or not p.grad.abs().sum())
    ]
    assert not missing, f'no gradient: {missing}'


@pytest.mark.parametrize('overrides', [
    {},
    dict(head=dict(target='mae_st')),
    dict(head=dict(target='pixel'), neck=dict(out_dims=16 * 16 * 3),
         backbone=dict(pos_embed_type='learned_separable')),
])
def test_loss_is_finite_and_reaches_every_parameter(seeded, overrides):
    if overrides.get('neck'):  # MAE-ST: predict 2 of 4 frames
        overrides['head']['target_frames'] = 2
    model = build(**overrides)
    visible, masked = random_masks(2, 8, 2)
    losses = model(torch.randn(2, 3, 4, 32, 32),
                   mask_samples(visible, masked), mode='loss')
    assert set(losses) == {'loss_pix'}
    assert torch.isfinite(losses['loss_pix'])
    assert_every_param_gets_grad(model, losses['loss_pix'])


def test_dual_masking_reaches_every_parameter(seeded):
    model = build()
    visible, masked = random_masks(2, 8, 2)
    decoder = [np.sort(np.r_[v[:1], m[:3]]) for v, m in zip(visible, masked)]
    loss = model(torch.randn(2, 3, 4, 32, 32),
                 mask_samples(visible, masked, decoder), mode='loss')
    assert_every_param_gets_grad(model, loss['loss_pix'])


def _pipeline_masks(ratio, batch=2):
    samples_v1, samples_v2 = [], []
    for _ in range(batch):
        results = TubeMaskGenerator(0.75)(
            dict(imgs=np.zeros((1, 3, 4, 64, 64), np.uint8)))
        results = RunningCellDecoderMask(ratio)(results)
        samples_v1.append((results['visible_ids'], results['masked_ids']))
        samples_v2.append(results['decoder_ids'])
    visible, masked = zip(*samples_v1)
    return visible, masked, samples_v2


def test_dual_masking_with_ratio_zero_equals_v1_exactly(seeded):
    model = build(backbone=dict(img_size=64))
    visible, masked, decoder = _pipeline_masks(0.)
    x = torch.randn(2, 3, 4, 64, 64)
    v1 = model(x, mask_samples(visible, masked), mode='loss')['loss_pix']
    v2 = model(x, mask_samples(visible, masked, decoder),
               mode='loss')['loss_pix']
    assert v1.item() == v2.item()


def test_dual_masking_counts_only_encoder_masked_decoder_kept(seeded):
    """The V2 loss equals a direct computation over masked & kept tokens."""
    model = build(backbone=dict(img_size=64)).eval()
    visible, masked, decoder = _pipeline_masks(0.5)
    x = torch.randn(2, 3, 4, 64, 64)
    loss = model(x, mask_samples(visible, masked, decoder),
                 mode='loss')['loss_pix']
    grid = (2, 4, 4)
    vis = torch.as_tensor(np.stack(visible))
    queries = torch.as_tensor(np.stack(decoder))
    latent = model.backbone(x, vis)
    pred = model.neck(latent, vis, queries, grid)
    target = model.head.construct_target(x)
    errors = []
    for b in range(2):
        for q, token in enumerate(queries[b].tolist()):
            if token in set(masked[b].tolist()):
                errors.append(((pred[b, q] - target[b, token])**2).mean())
    assert loss.item() == pytest.approx(torch.stack(errors).mean().item(),
                                        rel=1e-5)


def test_videomae_target_is_per_patch_per_channel(seeded):
    head = MODELS.build(dict(type='PixelReconstructionHead', patch_size=16))
    x = torch.randn(1, 3, 2, 16, 16)
    target = head.construct_target(x)  # one token of 2*16*16*3 values
    pixels = x * head.std + head.mean
    patch = pixels[0].permute(1, 2, 3, 0).reshape(512, 3)  # (t h w), c
    expected = (patch - patch.mean(0)) / (patch.std(0, unbiased=True) + 1e-6)
    torch.testing.assert_close(target[0, 0], expected.flatten())


def test_mae_st_target_normalizes_whole_patch_and_subsamples_time(seeded):
    head = MODELS.build(
        dict(type='PixelReconstructionHead', target='mae_st',
             target_frames=2))
    x = torch.randn(1, 3, 4, 16, 16)
    target = head.construct_target(x)
    assert target.shape == (1, 2, 16 * 16 * 3)  # 1 frame per token
    pixels = (x * head.std + head.mean)[0, :, 0]  # frame 0 of slice 0
    flat = pixels.permute(1, 2, 0).flatten()
    expected = (flat - flat.mean()) / (flat.var(unbiased=True) + 1e-6)**.5
    torch.testing.assert_close(target[0, 0], expected)


@pytest.mark.parametrize('head_cfg', [
    dict(), dict(target='mae_st'), dict(target='pixel'),
    dict(target='mae_st', target_frames=2), dict(patch_size=8)
])
@pytest.mark.parametrize('dtype', [torch.float32, torch.bfloat16])
def test_target_of_some_tokens_equals_the_full_target_gathered(
        head_cfg, dtype):
    """``construct_target(x, ids)`` (gathered first, normalized in place)
    is the full target at ``ids``, and leaves the clip untouched."""
    head = MODELS.build(dict(type='PixelReconstructionHead', **head_cfg))
    x = torch.randn(2, 3, 4, 32, 48,
                    generator=torch.Generator().manual_seed(0)).to(dtype)
    before = x.clone()
    full = head.construct_target(x)
    num_tokens = full.shape[1]
    ids = torch.stack([torch.randperm(num_tokens)[:5] for _ in range(2)])
    some = head.construct_target(x, ids)
    assert some.dtype == torch.float32 and some.shape == (2, 5,
                                                          full.shape[2])
    torch.testing.assert_close(
        some, torch.gather(full, 1, ids[..., None].expand_as(some)))
    assert torch.equal(x, before)


@pytest.mark.parametrize('criterion', ['l2', 'l1'])
@pytest.mark.parametrize('dtype', [torch.float32, torch.bfloat16])
def test_pixel_loss_per_token_in_fp32_under_autocast(criterion, dtype):
    """Per-token errors are the mean (squared / absolute) difference,
    computed in fp32 even for bf16 predictions under autocast, with the
    gradient of the direct formula."""
    loss = MODELS.build(
        dict(type='PixelReconstructionLoss', criterion=criterion))
    gen = torch.Generator().manual_seed(0)
    pred = torch.randn(2, 5, 48, generator=gen).to(dtype).requires_grad_()
    target = torch.randn(2, 5, 48, generator=gen)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        errors = loss.per_token(pred, target)
    errors.sum().backward()
    diff = pred.detach().float() - target
    expected = (diff.abs() if criterion == 'l1' else diff**2).mean(-1)
    grad = (diff.sign() if criterion == 'l1' else 2 * diff) / 48
    assert errors.dtype == torch.float32
    torch.testing.assert_close(errors, expected)
    torch.testing.assert_close(pred.grad.float(), grad.to(dtype).float())


def test_patchify_round_trip():
    head = MODELS.build(dict(type='PixelReconstructionHead', patch_size=8))
    x = torch.randn(2, 3, 4, 16, 24)
    tokens = head.patchify(x, 2).flatten(2)
    torch.testing.assert_close(head.unpatchify(tokens, (2, 2, 3)), x)


def test_reconstruct_keeps_visible_pixels(seeded):
    model = build().eval()
    visible, masked = random_masks(1, 8, 3)
    x = torch.rand(1, 3, 4, 32, 32)
    out = model(x, mask_samples(visible, masked), mode='predict')
    clip = out['clip']
    # token 0 (frames 0-1, top-left patch) is visible or masked:
    patch = (slice(None), slice(None), slice(0, 2), slice(0, 16),
             slice(0, 16))
    if 0 in visible[0]:
        torch.testing.assert_close(out['recon'][patch],
                                   clip[patch].clamp(0, 1))
        torch.testing.assert_close(out['masked'][patch], clip[patch])
    else:
        assert out['masked'][patch].abs().sum() == 0


def test_missing_mask_key_and_unequal_counts_are_clear():
    model = build()
    x = torch.randn(2, 3, 4, 32, 32)
    with pytest.raises(KeyError, match='algorithm_keys'):
        model(x, mask_samples([[0], [1]], [[1], [0]])[:1] + [
            mask_samples([[0]], [[1]])[0].__class__()
        ], mode='loss')
    with pytest.raises(ValueError, match='equal'):
        model(x, mask_samples([[0], [1, 2]], [[1], [0]]), mode='loss')
    with pytest.raises(ValueError, match='one view'):
        model(torch.randn(2, 2, 3, 4, 32, 32), None, mode='loss')


def test_token_errors_average_to_the_unweighted_loss(seeded):
    model = MODELS.build(tiny_videomae())
    inputs = torch.randn(2, 3, 4, 32, 32)
    query = torch.tensor([[0, 3, 5], [1, 2, 7]])
    pred = torch.randn(2, 3, 1536)
    errors = model.head.token_errors(pred, inputs, query)
    assert errors.shape == (2, 3)
    assert torch.allclose(errors.mean(), model.head.loss(pred, inputs, query))


class _FirstTokensMasker(torch.nn.Module):
    """Keeps the first two tokens of every sample visible."""

    def forward(self, inputs, grid, data_samples=None):
        from mmvmae.models.maskers import masks_from_visible
        n = grid[0] * grid[1] * grid[2]
        visible = torch.zeros(inputs.shape[0], n, dtype=torch.bool)
        visible[:, :2] = True
        return masks_from_visible(visible, n)


def test_model_side_masker_replaces_pipeline_masks(seeded):
    model = MODELS.build(tiny_videomae())
    model.masker = _FirstTokensMasker()
    inputs = torch.randn(2, 3, 4, 32, 32)
    masks = model.token_masks(inputs, (2, 2, 2), None)
    assert masks.visible_ids.tolist() == [[0, 1]] * 2
    losses = model(inputs, None, mode='loss')
    assert torch.isfinite(losses['loss_pix'])
