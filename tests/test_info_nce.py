"""InfoNCELoss against a direct computation, presence weights, the learnable
temperature, the projector, and the two-rank (gloo) gathered loss."""
import math

import pytest
import torch
from conftest import check_two_ranks_equal_one_process, feature_pairs
from torch import nn

from mmvmae.models.losses import InfoNCELoss
from mmvmae.models.necks import Projector


def direct_info_nce(a, b, temperature):
    """(a->b, b->a) cross-entropies of cosine-similarity logits, written out
    as -log(exp(s_ii) / sum_j exp(s_ij))."""
    a = a / a.norm(dim=1, keepdim=True)
    b = b / b.norm(dim=1, keepdim=True)
    sim = a @ b.t() / temperature
    a2b = (-sim.diag() + sim.exp().sum(1).log()).mean()
    b2a = (-sim.diag() + sim.exp().sum(0).log()).mean()
    return a2b, b2a


@pytest.mark.parametrize('temperature', [0.05, 0.07, 0.5])
def test_symmetric_and_one_way_equal_direct_computation(temperature):
    a, b = feature_pairs()
    a2b, b2a = direct_info_nce(a.double(), b.double(), temperature)
    cases = [((a2b + b2a) / 2, True, 'a2b'), (a2b, False, 'a2b'),
             (b2a, False, 'b2a')]
    for expected, symmetric, direction in cases:
        loss = InfoNCELoss(temperature=temperature, symmetric=symmetric,
                           direction=direction, loss_weight=2.)
        torch.testing.assert_close(
            loss(a, b).double(), 2 * expected, rtol=1e-5, atol=1e-6)


def test_paired_features_score_lower_than_shuffled():
    a, _ = feature_pairs(batch=8, dims=16)
    loss = InfoNCELoss()
    assert loss(a, a + 0.01 * torch.randn_like(a)) < loss(a, a.flip(0))


def test_absent_samples_are_neither_anchors_nor_negatives():
    a, b = feature_pairs(batch=6)
    present = torch.tensor([1., 0., 1., 1., 0., 1.])
    keep = present.bool()
    for symmetric in (True, False):
        loss = InfoNCELoss(temperature=0.1, symmetric=symmetric)
        a2b, b2a = direct_info_nce(a[keep].double(), b[keep].double(), 0.1)
        expected = (a2b + b2a) / 2 if symmetric else a2b
        leaf_a = a.clone().requires_grad_()
        value = loss(leaf_a, b, present)
        torch.testing.assert_close(value.double(), expected, rtol=1e-5,
                                   atol=1e-6)
        value.backward()
        assert leaf_a.grad[~keep].abs().max() == 0  # absent rows: no effect
        assert leaf_a.grad[keep].abs().min() > 0


def test_fractional_weights_scale_anchor_terms():
    a, b = feature_pairs(batch=4)
    weight = torch.tensor([2., 1., 1., 0.5])
    a_ = a / a.norm(dim=1, keepdim=True)
    b_ = b / b.norm(dim=1, keepdim=True)
    sim = a_ @ b_.t() / 0.07
    per_anchor = -sim.diag() + sim.exp().sum(1).log()
    expected = (weight * per_anchor).sum() / weight.sum()
    loss = InfoNCELoss(symmetric=False)
    torch.testing.assert_close(loss(a, b, weight), expected)


def test_similarities_stay_float32_under_autocast():
    a, b = feature_pairs(batch=16, dims=64)
    a, b = a.bfloat16(), b.bfloat16()
    loss = InfoNCELoss()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        value = loss(a, b)
    assert value.dtype == torch.float32
    torch.testing.assert_close(value, loss(a.float(), b.float()))


def test_no_present_sample_gives_zero_loss_with_gradient_path():
    a, b = feature_pairs(batch=3)
    leaf = a.clone().requires_grad_()
    value = InfoNCELoss()(leaf, b, torch.zeros(3))
    assert value.item() == 0
    value.backward()
    assert torch.equal(leaf.grad, torch.zeros_like(a))


def test_learnable_temperature_gets_gradient_and_stays_clamped():
    a, b = feature_pairs()
    loss = InfoNCELoss(temperature=0.1, learnable_temperature=True,
                       temperature_range=(0.01, 0.5))
    assert [n for n, _ in loss.named_parameters()] == ['log_temperature']
    loss(a, b).backward()
    assert loss.log_temperature.grad.abs() > 0
    for outside, bound in ((5., 0.5), (1e-4, 0.01)):
        with torch.no_grad():
            loss.log_temperature.fill_(math.log(outside))
        value = loss(a, b)
        a2b, b2a = direct_info_nce(a.double(), b.double(), bound)
        torch.testing.assert_close(value.double(), (a2b + b2a) / 2,
                                   rtol=1e-5, atol=1e-6)
        assert loss.log_temperature.item() == pytest.approx(math.log(bound))
    fixed = InfoNCELoss(temperature=0.1)
    assert list(fixed.parameters()) == []


@pytest.mark.parametrize('kwargs, match', [
    (dict(temperature=0.9), 'temperature_range'),
    (dict(temperature_range=(0.5, 0.1)), 'temperature_range'),
    (dict(symmetric=False, direction='ab'), 'direction'),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        InfoNCELoss(**kwargs)


def test_bad_shapes_are_named():
    a, b = feature_pairs()
    with pytest.raises(ValueError, match=r'\(6, 5\).*\(5, 5\)'):
        InfoNCELoss()(a, b[:5])
    with pytest.raises(ValueError, match=r'weight.*\(6,\)'):
        InfoNCELoss()(a, b, torch.ones(5))


def test_projector_linear_and_bn_mlp():
    linear = Projector(8, 4)
    assert [type(m).__name__ for m in linear.layers] == ['Linear']
    ln = Projector(8, 4, norm='ln')
    assert [type(m).__name__ for m in ln.layers] == ['LayerNorm', 'Linear']
    mlp = Projector(8, 4, hidden_dims=(16, 16), norm='bn')
    assert [type(m).__name__ for m in mlp.layers] == [
        'Linear', 'BatchNorm1d', 'ReLU', 'Linear', 'BatchNorm1d', 'ReLU',
        'Linear'
    ]
    tokens = torch.randn(3, 5, 8)
    assert mlp(tokens).shape == (3, 5, 4)
    mlp(torch.randn(6, 8)).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in mlp.parameters())
    with pytest.raises(ValueError, match='8 input channels'):
        mlp(torch.randn(2, 7))
    with pytest.raises(ValueError, match='norm'):
        Projector(8, 4, norm='gn')


class PairedProjection(nn.Module):
    """Two projectors and an InfoNCE loss with a learnable temperature."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.proj_a = nn.Linear(5, 4)
        self.proj_b = nn.Linear(5, 4)
        self.loss = InfoNCELoss(temperature=0.1, learnable_temperature=True)

    def forward(self, x_a, x_b, weight):
        return self.loss(self.proj_a(x_a), self.proj_b(x_b), weight)


def global_batch():
    x_a, x_b = feature_pairs(batch=8, dims=5, seed=3)
    weight = torch.tensor([1., 0., 0., 1., 1., 1., 2., 1.])
    return x_a, x_b, weight


def test_two_ranks_gathered_loss_equals_single_process(tmp_path):
    check_two_ranks_equal_one_process(tmp_path, PairedProjection,
                                      global_batch)
