"""ViC-MAE: NTXentLoss against SimCLR's definition and across two ranks
(gloo), the two-view sampler and per-view pipeline, the ViCMAE losses
against a direct per-view computation, gradients, and the toy demo."""
import os.path as osp

import numpy as np
import pytest
import torch
from conftest import (DEMO, check_two_ranks_equal_one_process, demo_config,
                      feature_pairs, mask_samples, random_masks,
                      tiny_videomae)
from mmengine.config import Config
from mmengine.runner import Runner
from torch import nn

from mmvmae.datasets.transforms import PerViewTransforms, SampleViewPair
from mmvmae.models.losses import InfoNCELoss, NTXentLoss
from mmvmae.registry import MODELS

PRETRAIN = 'vicmae_vit-tiny-p8_1xb8-toy_pretrain'
FINETUNE = 'vicmae_vit-tiny-p8_1xb8-toy_finetune'


def direct_nt_xent(a, b, temperature):
    """SimCLR's loss written out: for each of the 2N views i with positive
    p(i), -log(exp(s_ip) / sum_{k != i} exp(s_ik)), averaged."""
    z = torch.cat([a, b]).double()
    z = z / z.norm(dim=1, keepdim=True)
    count, half = z.shape[0], z.shape[0] // 2
    terms = []
    for i in range(count):
        positive = (i + half) % count
        sims = [(z[i] @ z[k]) / temperature for k in range(count) if k != i]
        numerator = (z[i] @ z[positive]) / temperature
        terms.append(-numerator + torch.logsumexp(torch.stack(sims), 0))
    return torch.stack(terms).mean()


@pytest.mark.parametrize('temperature', [0.05, 0.1, 0.5])
def test_nt_xent_equals_simclr_definition(temperature):
    a, b = feature_pairs()
    loss = NTXentLoss(temperature=temperature, loss_weight=0.03)
    torch.testing.assert_close(
        loss(a, b).double(), 0.03 * direct_nt_xent(a, b, temperature),
        rtol=1e-5, atol=1e-7)


def test_nt_xent_is_not_the_two_way_info_nce():
    """Negatives from both views (2N - 2), not from the other view only."""
    a, b = feature_pairs()
    nt_xent = NTXentLoss(temperature=0.1)(a, b)
    info_nce = InfoNCELoss(temperature=0.1, symmetric=True)(a, b)
    assert not torch.isclose(nt_xent, info_nce)


def test_nt_xent_prefers_matching_views():
    a, _ = feature_pairs(batch=8, dims=16)
    loss = NTXentLoss()
    assert loss(a, a + 0.01 * torch.randn_like(a)) < loss(a, a.flip(0))


def test_nt_xent_stays_float32_and_finite_under_autocast():
    a, _ = feature_pairs(batch=64, dims=16)
    a = a.bfloat16()  # identical views: large, equal similarities
    loss = NTXentLoss(temperature=0.1)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        value = loss(a, a)
    assert value.dtype == torch.float32 and torch.isfinite(value)
    torch.testing.assert_close(value, loss(a.float(), a.float()))


def test_nt_xent_bad_input_is_named():
    a, b = feature_pairs()
    with pytest.raises(ValueError, match=r'\(6, 5\).*\(5, 5\)'):
        NTXentLoss()(a, b[:5])
    with pytest.raises(ValueError, match='temperature'):
        NTXentLoss(temperature=0.)


class ProjectedViews(nn.Module):
    """A shared linear projection of both views and the NT-Xent loss."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.proj = nn.Linear(5, 4)
        self.loss = NTXentLoss(temperature=0.1)

    def forward(self, x_a, x_b):
        return self.loss(self.proj(x_a), self.proj(x_b))


def global_views():
    return feature_pairs(batch=8, dims=5, seed=3)


def test_two_ranks_gathered_loss_equals_single_process(tmp_path):
    check_two_ranks_equal_one_process(tmp_path, ProjectedViews, global_views)


def sampled(sampler, total_frames=40, seed=0):
    np.random.seed(seed)
    return sampler(dict(total_frames=total_frames, start_index=0))


def test_view_pair_frames_stay_in_video_within_max_gap():
    sampler = SampleViewPair(clip_len=4, frame_interval=2, max_gap=5)
    gaps = set()
    for seed in range(50):
        results = sampled(sampler, seed=seed)
        inds = results['frame_inds']
        assert len(inds) == 8 and results['num_clips'] == 2
        first, second = inds[:4], inds[4:]
        np.testing.assert_array_equal(np.diff(first), [2, 2, 2])
        np.testing.assert_array_equal(np.diff(second), [2, 2, 2])
        assert inds.min() >= 0 and inds.max() < 40
        assert second[0] - first[0] == results['view_gap']
        gaps.add(results['view_gap'])
    assert max(abs(g) for g in gaps) <= 5 and len(gaps) > 5


def test_view_pair_special_cases():
    same = sampled(SampleViewPair(clip_len=3, max_gap=0))['frame_inds']
    np.testing.assert_array_equal(same[:3], same[3:])
    short = sampled(SampleViewPair(clip_len=4, frame_interval=2),
                    total_frames=3)['frame_inds']
    np.testing.assert_array_equal(short, [0, 2, 1, 0] * 2)  # looped
    with pytest.raises(ValueError, match='max_gap'):
        SampleViewPair(max_gap=-1)


def two_view_results(clip_len=4, size=32, same_frames=False):
    """Decoded frames of a SampleViewPair sample, views sharing objects
    where they share frame indices (as VideoClipDataset decodes)."""
    rng = np.random.default_rng(0)
    frames = [
        rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        for _ in range(clip_len if same_frames else 2 * clip_len)
    ]
    imgs = frames * 2 if same_frames else frames
    return dict(imgs=imgs, clip_len=clip_len, num_clips=2,
                frame_inds=np.arange(2 * clip_len), img_shape=(size, size),
                original_shape=(size, size), modality='RGB')


MASK = dict(type='TubeMaskGenerator', mask_ratio=0.75, patch_size=8,
            tubelet_size=2)
VIEW = [
    dict(type='RandomResizedCrop', area_range=(0.2, 0.5)),
    dict(type='Resize', scale=(32, 32), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'), MASK
]


def test_views_get_their_own_augmentation_and_exact_masks(seeded):
    results = PerViewTransforms(transforms=VIEW)(
        two_view_results(same_frames=True))
    clip = results['imgs']
    assert clip.shape == (2, 3, 4, 32, 32) and results['num_clips'] == 2
    assert not np.array_equal(clip[0], clip[1])  # same frames, own crops
    visible, masked = results['visible_ids'], results['masked_ids']
    assert visible.shape == (2, 8) and masked.shape == (2, 24)  # 2x4x4
    for v in range(2):
        assert sorted([*visible[v], *masked[v]]) == list(range(32))
    assert not np.array_equal(visible[0], visible[1])  # own masks


def test_in_place_transform_of_one_view_leaves_the_other(seeded):
    results = two_view_results(same_frames=True)
    original = np.stack(results['imgs'][:4]).copy()
    fmt = dict(type='FormatShape', input_format='NCTHW')
    out = PerViewTransforms(
        view_transforms=[[dict(type='Flip', flip_ratio=1.), fmt], [fmt]],
        stack_keys=())(results)
    unflipped = original.transpose(3, 0, 1, 2)  # (C, T, H, W)
    np.testing.assert_array_equal(out['imgs'][1], unflipped)
    np.testing.assert_array_equal(out['imgs'][0], unflipped[..., ::-1])


@pytest.mark.parametrize('kwargs, results, match', [
    (dict(transforms=VIEW, view_transforms=[VIEW, VIEW]), None, 'exactly'),
    (dict(view_transforms=[VIEW]), None, '1 pipelines'),
    (dict(transforms=VIEW[:2]), two_view_results(), 'FormatShape'),
    (dict(transforms=VIEW[:3]), two_view_results(), 'mask generator'),
    (dict(transforms=VIEW), dict(two_view_results(), num_clips=1),
     'num_clips=1'),
])
def test_bad_per_view_setups_are_named(kwargs, results, match):
    with pytest.raises((ValueError, KeyError), match=match):
        PerViewTransforms(**kwargs)(results)


def tiny_vicmae():
    """4 frames x 32x32, patch 16, tubelet 2: 8 tokens per view."""
    cfg = tiny_videomae(head=dict(loss=dict(type='PixelReconstructionLoss',
                                            loss_weight=0.97)))
    return MODELS.build(
        dict(cfg, type='ViCMAE',
             projector=dict(type='Projector', in_dims=32, out_dims=8,
                            hidden_dims=(16, 16), norm='bn')))


def two_view_batch(batch=3, seed=0):
    torch.manual_seed(seed)
    inputs = torch.randn(batch, 2, 3, 4, 32, 32)
    visible, masked = random_masks(2 * batch, 8, 2, seed=seed)
    samples = mask_samples(
        [np.stack(visible[2 * i:2 * i + 2]) for i in range(batch)],
        [np.stack(masked[2 * i:2 * i + 2]) for i in range(batch)])
    return inputs, samples, torch.as_tensor(np.stack(visible)), \
        torch.as_tensor(np.stack(masked))


def test_losses_equal_weighted_direct_computation():
    model = tiny_vicmae()
    inputs, samples, visible, masked = two_view_batch()
    losses = model(inputs, samples, mode='loss')
    recon, embeds = [], []
    for v in range(2):  # each view on its own, as ViC-MAE's two passes
        clip, vis, mask = inputs[:, v], visible[v::2], masked[v::2]
        latent = model.backbone(clip, vis)
        pred = model.neck(latent, vis, mask, (2, 2, 2))
        target = torch.gather(
            model.head.construct_target(clip), 1,
            mask[..., None].expand(-1, -1, pred.shape[-1]))
        recon.append(((pred - target)**2).mean())
        embeds.append(model.projector(latent.mean(1)))
    expected_rec = 0.97 * (recon[0] + recon[1]) / 2
    expected_nce = 0.03 * direct_nt_xent(*embeds, 0.1)
    torch.testing.assert_close(losses['loss_pix'], expected_rec)
    torch.testing.assert_close(losses['loss_contrast'].double(),
                               expected_nce, rtol=1e-5, atol=1e-7)


def test_gradients_reach_every_trainable_parameter():
    model = tiny_vicmae()
    inputs, samples, _, _ = two_view_batch()
    sum(model(inputs, samples, mode='loss').values()).backward()
    missing = [
        name for name, p in model.named_parameters()
        if p.requires_grad and (p.grad is None or p.grad.abs().sum() == 0)
    ]
    assert not missing


def test_tensor_and_predict_modes_cover_every_view():
    model = tiny_vicmae().eval()
    inputs, samples, _, _ = two_view_batch(batch=2)
    assert model(inputs, mode='tensor').shape[0] == 4
    outputs = model(inputs, samples, mode='predict')
    assert outputs['recon'].shape == (4, 3, 4, 32, 32)


def test_bad_inputs_are_named():
    model = tiny_vicmae()
    inputs, samples, visible, masked = two_view_batch()
    with pytest.raises(ValueError, match=r'2 views per sample'):
        model(inputs[:, 0], samples, mode='loss')
    flat = mask_samples(visible[:3].numpy(), masked[:3].numpy())
    with pytest.raises(ValueError, match='its own mask'):
        model(inputs, flat, mode='loss')


def test_demo_pretrains_and_its_encoder_loads_for_fine_tuning(
        toy_data, tmp_path):
    cfg = demo_config(PRETRAIN, toy_data, str(tmp_path),
                      **{'train_cfg.max_epochs': 1,
                         'train_dataloader.batch_size': 4})
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    for key in ('loss_pix', 'loss_contrast'):
        assert np.isfinite(hub.get_scalar(f'train/{key}').current())
    checkpoint = str(tmp_path / 'epoch_1.pth')
    state = torch.load(checkpoint, weights_only=True)['state_dict']
    assert 'projector.layers.0.weight' in state
    finetune = Config.fromfile(osp.join(DEMO, FINETUNE + '.py'))
    finetune.model.backbone.init_cfg.checkpoint = checkpoint
    model = MODELS.build(finetune.model)
    model.init_weights()
    torch.testing.assert_close(model.backbone.blocks[0].attn.qkv.weight,
                               state['backbone.blocks.0.attn.qkv.weight'])
