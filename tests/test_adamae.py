"""AdaMAE: learned token sampler, its loss, the algorithm and the demo."""
import glob
import math
import os.path as osp

import pytest
import torch
from conftest import demo_config, tiny_videomae
from mmengine.runner import Runner

from mmvmae.models import AdaptiveTokenSampler
from mmvmae.registry import MODELS


def tiny_adamae(mask_ratio=0.5, **sampler):
    """Tiny AdaMAE: 4 frames x 32^2, patch 16, 8 tokens."""
    cfg = tiny_videomae()
    cfg.update(
        type='AdaMAE',
        sampler=dict(type='AdaptiveTokenSampler', mask_ratio=mask_ratio,
                     num_heads=2, **sampler))
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def sampler_on(grid, mask_ratio, dims=16):
    sampler = AdaptiveTokenSampler(dims, grid, mask_ratio, num_heads=2)
    sampler.init_weights()
    return sampler


def test_losses_reach_every_parameter_sampler_included(seeded):
    model = tiny_adamae()
    losses = model(torch.randn(2, 3, 4, 32, 32), mode='loss')
    assert set(losses) == {'loss_pix', 'loss_sampling'}
    assert all(torch.isfinite(loss) for loss in losses.values())
    sum(losses.values()).backward()
    missing = [
        name for name, p in model.named_parameters()
        if p.requires_grad and (p.grad is None or not p.grad.abs().sum())
    ]
    assert not missing, f'no gradient: {missing}'


def test_sampling_loss_alone_trains_sampler_and_patch_embed(seeded):
    """The draw is not differentiable: the reconstruction loss leaves the
    sampler without gradient; the sampling loss reaches it and the shared
    patch embedding (as in AdaMAE), but not the encoder blocks or decoder.
    """
    model = tiny_adamae()
    x = torch.randn(2, 3, 4, 32, 32)
    model(x, mode='loss')['loss_pix'].backward()
    assert all(p.grad is None for p in model.sampler.parameters())
    model.zero_grad(set_to_none=True)
    model(x, mode='loss')['loss_sampling'].backward()
    with_grad = {
        name.split('.')[0] + '.' + name.split('.')[1]
        for name, p in model.named_parameters() if p.grad is not None
    }
    assert with_grad == {'sampler.pos_embed', 'sampler.block',
                         'sampler.logit', 'backbone.patch_embed'}


def test_visible_count_is_fixed_unique_and_sorted(seeded):
    sampler = sampler_on((2, 4, 4), 0.75)
    expected = int(32 * (1 - 0.75))
    for batch in (1, 3, 16):
        for _ in range(20):
            log_probs = sampler(torch.randn(batch, 32, 16), (2, 4, 4))
            masks = sampler.sample(log_probs)
            assert masks.visible_ids.shape == (batch, expected)
            assert masks.masked_ids.shape == (batch, 32 - expected)
            assert torch.equal(masks.query_ids, masks.masked_ids)
            both = torch.cat([masks.visible_ids, masks.masked_ids], 1)
            assert torch.equal(both.sort(1).values,
                               torch.arange(32).expand(batch, -1))
            for ids in (masks.visible_ids, masks.masked_ids):
                assert bool((ids.diff(dim=1) > 0).all())  # sorted, unique


def test_paper_count_on_vit_b_grid():
    sampler = AdaptiveTokenSampler(8, (8, 14, 14), 0.95, num_heads=2)
    assert sampler.num_visible == int(1568 * 0.05) == 78
    masks = sampler.sample(torch.zeros(2, 1568).log_softmax(-1))
    assert masks.visible_ids.shape == (2, 78)


def test_draw_picks_the_tokens_a_peaked_distribution_favours(seeded):
    sampler = sampler_on((1, 4, 4), 0.75)  # 4 of 16 visible
    favoured = torch.tensor([[1, 6, 11, 12], [0, 2, 3, 15]])
    logits = torch.zeros(2, 16).scatter(1, favoured, 30.)
    masks = sampler.sample(logits.log_softmax(-1))
    assert torch.equal(masks.visible_ids, favoured)


def test_sampler_forced_through_its_network_picks_favoured_tokens(seeded):
    """A sampler whose logit reads one channel of its input picks the
    tokens where that channel is large."""
    sampler = sampler_on((1, 2, 4), 0.5).eval()  # 4 of 8 visible
    with torch.no_grad():
        for p in sampler.block.parameters():
            p.zero_()  # the residual block passes its input through
        sampler.logit.weight.zero_()
        sampler.logit.bias.zero_()
        sampler.logit.weight[0, 0] = 50.
    patches = torch.zeros(1, 8, 16)
    patches[0, [0, 3, 5, 6], 0] = 1.
    masks = sampler.sample(sampler(patches, (1, 2, 4)))
    assert masks.visible_ids.tolist() == [[0, 3, 5, 6]]


def test_draw_frequencies_follow_the_probabilities():
    sampler = sampler_on((1, 2, 2), 0.75)  # 1 of 4 visible
    probs = torch.tensor([0.1, 0.2, 0.3, 0.4])
    torch.manual_seed(0)
    masks = sampler.sample(probs.log().expand(4000, -1))
    freq = torch.bincount(masks.visible_ids[:, 0], minlength=4) / 4000
    torch.testing.assert_close(freq, probs, atol=0.03, rtol=0)


def test_sampling_loss_matches_hand_computation():
    sampler = sampler_on((1, 2, 2), 0.5)  # weight 1e-4
    probs = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]])
    log_probs = probs.log().requires_grad_()
    masked = torch.tensor([[0, 3], [1, 2]])
    errors = torch.tensor([[2., 1.], [4., 0.5]], requires_grad=True)
    loss = sampler.loss(log_probs, masked, errors)
    sample_0 = -(math.log(0.1) * 2. + math.log(0.4) * 1.) / 2
    sample_1 = -(math.log(0.25) * 4. + math.log(0.25) * 0.5) / 2
    assert loss.item() == pytest.approx(1e-4 * (sample_0 + sample_1) / 2)
    # Reference formulation: Categorical(probs).log_prob per sample.
    reference = []
    for p, ids, err in zip(probs, masked, errors.detach()):
        lp = torch.distributions.Categorical(probs=p).log_prob(ids)
        reference.append(-(lp * err).mean())
    assert loss.item() == pytest.approx(1e-4 * torch.stack(reference).mean())
    loss.backward()
    assert errors.grad is None  # the reward is a constant
    assert log_probs.grad[0, 1] == 0 and log_probs.grad[0, 0] < 0


def test_training_on_the_sampling_loss_favours_hard_tokens(seeded):
    """Tokens with large reconstruction errors become likely visible."""
    sampler = sampler_on((1, 4, 4), 0.75).eval()  # 4 of 16 visible
    hard = torch.tensor([2, 7, 9])
    error_table = torch.full((16,), 0.1).index_fill(0, hard, 1.)
    optimizer = torch.optim.Adam(sampler.parameters(), lr=1e-2)
    patches = torch.zeros(8, 16, 16)  # tokens differ by position only
    for _ in range(100):
        log_probs = sampler(patches, (1, 4, 4))
        masks = sampler.sample(log_probs)
        errors = error_table[masks.masked_ids]
        optimizer.zero_grad()
        sampler.loss(log_probs, masks.masked_ids, errors).backward()
        optimizer.step()
    probs = sampler(patches[:1], (1, 4, 4)).exp()[0]
    assert set(probs.topk(3).indices.tolist()) == set(hard.tolist())


def test_equal_errors_pull_the_distribution_towards_uniform():
    """No baseline: with the same error everywhere, the expected gradient
    lowers the logits of tokens above 1/N and raises those below."""
    sampler = sampler_on((1, 4, 4), 0.75)
    torch.manual_seed(0)
    logits = (torch.randn(1, 16) * 1.5).expand(20000, -1).requires_grad_()
    log_probs = logits.log_softmax(-1)
    masks = sampler.sample(log_probs)
    sampler.loss(log_probs, masks.masked_ids, torch.ones(20000, 12)).backward()
    probs = log_probs[0].exp().detach()
    far = (probs * 16 - 1).abs() > 0.2  # clear of the crossover
    assert torch.equal((logits.grad.sum(0) > 0)[far], (probs > 1 / 16)[far])


def test_loss_weight_is_configurable():
    sampler = AdaptiveTokenSampler(16, (1, 2, 2), 0.5, num_heads=2,
                                   loss_weight=2.)
    loss = sampler.loss(torch.full((1, 4), math.log(0.25)),
                        torch.tensor([[0, 1]]), torch.ones(1, 2))
    assert loss.item() == pytest.approx(2. * -math.log(0.25))


def test_reconstruction_loss_equals_the_heads_loss_on_the_drawn_masks():
    model = tiny_adamae().eval()
    x = torch.randn(2, 3, 4, 32, 32)
    torch.manual_seed(1)
    loss_pix = model(x, mode='loss')['loss_pix']
    torch.manual_seed(1)
    masks = model.token_masks(x, (2, 2, 2), None)
    latent = model.backbone(x, masks.visible_ids)
    pred = model.neck(latent, masks.visible_ids, masks.masked_ids, (2, 2, 2))
    expected = model.head.loss(pred, x, masks.masked_ids)
    torch.testing.assert_close(loss_pix, expected)


def test_deterministic_under_a_seed():
    def run():
        torch.manual_seed(0)
        model = tiny_adamae()
        x = torch.randn(2, 3, 4, 32, 32)
        losses = model(x, mode='loss')
        return [loss.item() for loss in losses.values()], model.token_masks(
            x, (2, 2, 2), None).visible_ids

    (losses_a, ids_a), (losses_b, ids_b) = run(), run()
    assert losses_a == losses_b
    assert torch.equal(ids_a, ids_b)


def test_other_grid_resamples_the_table_and_recounts(seeded):
    model = tiny_adamae()  # built for 2 x 2 x 2, sees 2 x 4 x 4
    x = torch.randn(2, 3, 4, 64, 64)
    masks = model.token_masks(x, (2, 4, 4), None)
    assert masks.visible_ids.shape == (2, 16)
    assert torch.isfinite(sum(model(x, mode='loss').values()))


def test_reconstruct_shows_the_samplers_visible_tokens(seeded):
    model = tiny_adamae().eval()
    out = model(torch.zeros(2, 3, 4, 32, 32), mode='predict')
    # Zero inputs are the ImageNet mean: every pixel of the clip is > 0.
    shown = (out['masked'] > 0).flatten(1).float().mean(1)
    torch.testing.assert_close(shown, torch.full((2,), 4 / 8))


@pytest.mark.parametrize('ratio, message', [
    (0.95, r'mask_ratio=0.95 leaves 0 of 8 tokens visible'),
    (0., r'mask_ratio must be in \(0, 1\), got 0.0'),
    (1., r'mask_ratio must be in \(0, 1\), got 1.0'),
    (1e-17, r'mask_ratio=1e-17 leaves 8 of 8 tokens visible'),  # 1 - r == 1
])
def test_bad_ratio_fails_at_build_time(ratio, message):
    with pytest.raises(ValueError, match=message):
        tiny_adamae(mask_ratio=ratio)


def test_ratio_that_fails_on_another_grid_fails_at_the_call():
    sampler = sampler_on((4, 4, 4), 0.9)  # 6 of 64 visible
    with pytest.raises(ValueError, match='leaves 0 of 8 tokens'):
        sampler.sample(torch.zeros(1, 8).log_softmax(-1))


def test_demo_config_trains_two_iterations(toy_data, tmp_path):
    cfg = demo_config(
        'adamae_vit-tiny-p8_1xb8-toy_pretrain', toy_data, str(tmp_path), **{
            'train_cfg.max_epochs': 1, 'train_dataloader.batch_size': 4,
            'custom_hooks': [dict(type='ReconstructionVisualizationHook')]})
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2  # 8 toy videos, 4 per batch
    for key in ('train/loss_pix', 'train/loss_sampling'):
        loss = runner.message_hub.get_scalar(key).current()
        assert math.isfinite(loss)
    state = torch.load(osp.join(str(tmp_path), 'epoch_1.pth'),
                       weights_only=True)['state_dict']
    assert state['sampler.pos_embed'].shape == (1, 4 * 8 * 8, 96)
    assert glob.glob(osp.join(str(tmp_path), '*', 'vis_data', 'vis_image',
                              'reconstruction_*.png'))
