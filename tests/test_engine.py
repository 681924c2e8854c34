"""Finite-loss optimizer wrappers and the layer-decay constructor."""
import pytest
import torch
from mmengine.logging import MessageHub
from torch import nn

from mmvmae.engine.optim_wrappers import vit_layer_id
from mmvmae.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS


def wrapper(**kwargs):
    model = nn.Linear(2, 1)
    optim = OPTIM_WRAPPERS.build(
        dict(type='FiniteLossOptimWrapper',
             optimizer=torch.optim.SGD(model.parameters(), lr=1.),
             **kwargs))
    return model, optim


def test_nonfinite_loss_raises_naming_the_iteration():
    MessageHub.get_current_instance().update_info('iter', 41)
    model, optim = wrapper()
    before = model.weight.detach().clone()
    with pytest.raises(FloatingPointError, match='iteration 42'):
        optim.update_params(model(torch.ones(1, 2)).sum() * float('nan'))
    assert torch.equal(model.weight, before)


def test_skip_policy_counts_and_leaves_weights_then_gives_up():
    model, optim = wrapper(nonfinite='skip', max_skips=1)
    before = model.weight.detach().clone()
    optim.update_params(model(torch.ones(1, 2)).sum() * float('inf'))
    assert optim.skipped_steps == 1
    assert torch.equal(model.weight, before)
    optim.update_params(model(torch.ones(1, 2)).sum())  # finite: a step
    assert not torch.equal(model.weight, before)
    with pytest.raises(FloatingPointError, match='max_skips=1'):
        optim.update_params(model(torch.ones(1, 2)).sum() * float('nan'))


def test_unknown_policy_is_rejected():
    with pytest.raises(ValueError, match='nonfinite'):
        wrapper(nonfinite='ignore')


def test_layer_ids():
    assert vit_layer_id('backbone.patch_embed.projection.weight', 12) == 0
    assert vit_layer_id('backbone.pos_embed.pos_embed_spatial', 12) == 0
    assert vit_layer_id('backbone.blocks.3.attn.qkv.weight', 12) == 4
    assert vit_layer_id('backbone.fc_norm.weight', 12) == 13
    assert vit_layer_id('cls_head.fc_cls.weight', 12) == 13


def test_layer_decay_groups_scale_lr_and_skip_decay(seeded):
    from mmvmae.registry import MODELS
    model = MODELS.build(
        dict(type='Recognizer3D',
             backbone=dict(type='VideoViT',
                           arch=dict(embed_dims=16, depth=2, num_heads=2),
                           img_size=32, num_frames=4),
             cls_head=dict(type='TimeSformerHead', num_classes=3,
                           in_channels=16)))
    optim = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(type='LayerDecayOptimWrapperConstructor',
             optim_wrapper_cfg=dict(
                 type='OptimWrapper',
                 optimizer=dict(type='AdamW', lr=1., weight_decay=0.05)),
             paramwise_cfg=dict(decay_rate=0.5)))(model)
    groups = {id(p): g for g in optim.optimizer.param_groups
              for p in g['params']}
    params = dict(model.named_parameters())
    assert groups[id(params['backbone.patch_embed.projection.weight'])][
        'lr'] == 0.5**3
    assert groups[id(params['backbone.blocks.1.attn.qkv.weight'])][
        'lr'] == 0.5
    head = groups[id(params['cls_head.fc_cls.weight'])]
    assert head['lr'] == 1. and head['weight_decay'] == 0.05
    assert groups[id(params['backbone.blocks.0.norm1.weight'])][
        'weight_decay'] == 0.
    assert sum(len(g['params']) for g in optim.optimizer.param_groups) == len(
        params)
