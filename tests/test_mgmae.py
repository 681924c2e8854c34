"""MGMAE's flow-guided masker: propagation on exact flow, counts, RAFT,
errors, training with VideoMAE, the demo config and the overhead tool."""
import json

import numpy as np
import pytest
import torch
from conftest import demo_config, load_script, tiny_videomae
from mmengine.runner import Runner

from mmvmae.datasets.transforms import TubeMaskGenerator
from mmvmae.models.maskers import FlowGuidedMasker
from mmvmae.models.maskers.flow_guided_masker import gaussian_map
from mmvmae.registry import MODELS

MEAN = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1, 1)
RANDOM_RAFT = dict(allow_random_flow=True, num_flow_updates=2)
# Random RAFT weights are the point of these tests; pytest.warns still
# checks the warning where it matters.
pytestmark = pytest.mark.filterwarnings(
    'ignore:FlowGuidedMasker uses a randomly initialized RAFT')

# The moving square: 8 frames of 64x64, a 4x4 white square on black whose
# top-left corner is (START + STEP * t) on both axes at frame t. With patch
# 8 and tubelet 2, frames 2j and 2j + 1 hold it inside token (1 + j, 1 + j)
# of slice j.
FRAMES, SIZE, PATCH, SIDE, START, STEP = 8, 64, 8, 4, 8, 4
GRID = (FRAMES // 2, SIZE // PATCH, SIZE // PATCH)


def square_clip(batch: int = 2) -> torch.Tensor:
    """The moving square, normalized as the data preprocessor does."""
    clip = torch.zeros(batch, 3, FRAMES, SIZE, SIZE)
    for t in range(FRAMES):
        top = START + STEP * t
        clip[:, :, t, top:top + SIDE, top:top + SIDE] = 255
    return (clip - MEAN) / STD


def square_centre(frame: int) -> float:
    """Pixel coordinate (both axes) of the square's centre at ``frame``."""
    return START + STEP * frame + (SIDE - 1) / 2


def bright_centroid(frames: torch.Tensor) -> torch.Tensor:
    """(N, 2) centroid (x, y) of the pixels brighter than mid-grey."""
    weight = (frames.mean(1) > 0).float()  # (N, H, W), frames in [-1, 1]
    ys = torch.arange(frames.shape[-2], dtype=torch.float32)
    xs = torch.arange(frames.shape[-1], dtype=torch.float32)
    total = weight.sum((1, 2))
    x = (weight * xs).sum((1, 2)) / total
    y = (weight * ys[:, None]).sum((1, 2)) / total
    return torch.stack((x, y), dim=1)


class ExactFlowMasker(FlowGuidedMasker):
    """Ground-truth flow of one bright object on black, and the initial
    Gaussian on the object at a fixed base frame.

    On a black background every flow that moves the object correctly is
    exact; this one moves the whole frame with the object, so the map is
    carried along without disocclusions. The flow is measured from the
    frames it is given, so frames passed in the wrong order give the wrong
    direction: the reference's bug before the base frame.
    """

    def __init__(self, base: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.base = base
        self.calls = []

    def base_index(self, num_frames: int) -> int:
        return self.base

    def estimate_flow(self, targets, sources):
        self.calls.append(targets.shape[0])
        shift = bright_centroid(sources) - bright_centroid(targets)
        return shift[:, :, None, None].expand(-1, -1, *targets.shape[-2:])

    def initial_map(self, batch, height, width, device):
        centre = torch.full((batch, 1, 2), square_centre(self.base))
        return gaussian_map(centre, height, width, self.sigma)


def exact_flow_masker(base: int, **kwargs) -> ExactFlowMasker:
    # One visible token per slice (64 - int(63 / 64 * 64) = 1); sigma 3 px
    # keeps each frame's Gaussian inside the square's token.
    cfg = dict(mask_ratio=63 / 64, input_size=SIZE, patch_size=PATCH,
               flow_size=128, sigma=3., **RANDOM_RAFT)
    cfg.update(kwargs)
    with pytest.warns(UserWarning, match='randomly initialized RAFT'):
        return ExactFlowMasker(base, **cfg)


@pytest.mark.parametrize('base', [0, 3, 4, 7])
def test_visible_tokens_follow_the_square_on_both_sides_of_the_base(base):
    masker = exact_flow_masker(base)
    masks = masker(square_clip(), GRID)
    per_slice = GRID[1] * GRID[2]
    expected = [j * per_slice + (1 + j) * GRID[2] + (1 + j)
                for j in range(GRID[0])]
    assert masks.visible_ids.tolist() == [expected, expected]
    # One RAFT batch: every frame but the base one, for both clips.
    assert masker.calls == [2 * (FRAMES - 1)]


def test_propagated_maps_peak_on_the_square_in_every_frame():
    masker = exact_flow_masker(4)
    clip = square_clip(1)
    volume = masker.propagate(
        masker.to_flow_frames(clip),
        masker.initial_map(1, SIZE, SIZE, clip.device), base=4)
    for t in range(FRAMES):
        peak = divmod(int(volume[0, t].argmax()), SIZE)
        # The centre lies between pixels: the peak is one of the 4 nearest.
        assert all(abs(p - square_centre(t)) < 1 for p in peak), (t, peak)


def test_flow_pairs_point_towards_the_base_frame():
    pairs = FlowGuidedMasker.flow_pairs(5, base=2)
    assert pairs == [(0, 1), (1, 2), (3, 2), (4, 3)]
    assert FlowGuidedMasker.flow_pairs(3, base=0) == [(1, 0), (2, 1)]


def test_holes_take_the_initial_map():
    """A frame that moves right by 8 px samples 8 columns from outside."""

    class ShiftFlow(ExactFlowMasker):

        def estimate_flow(self, targets, sources):
            flow = torch.zeros(targets.shape[0], 2, *targets.shape[-2:])
            flow[:, 0] = -8.
            return flow

    with pytest.warns(UserWarning):
        masker = ShiftFlow(0, mask_ratio=63 / 64, input_size=SIZE,
                           patch_size=PATCH, flow_size=128, **RANDOM_RAFT)
    initial = torch.rand(1, SIZE, SIZE)
    frames = torch.zeros(1, 3, 2, SIZE, SIZE)
    volume = masker.propagate(frames, initial, base=0)
    torch.testing.assert_close(volume[0, 1, :, 8:], initial[0, :, :-8])
    torch.testing.assert_close(volume[0, 1, :, :8], initial[0, :, :8])


class ConstantFlowNet(torch.nn.Module):
    """Stands in for RAFT: flow (4, 2) px at the resolution it is given."""

    def __init__(self):
        super().__init__()
        self.anchor = torch.nn.Parameter(torch.zeros(1))
        self.batches = []

    def forward(self, image1, image2, num_flow_updates):
        self.batches.append(image1.shape)
        flow = torch.zeros(image1.shape[0], 2, *image1.shape[-2:])
        flow[:, 0], flow[:, 1] = 4., 2.
        return [flow]


def test_flow_at_flow_size_is_resized_rescaled_and_chunked():
    masker = MODELS.build(
        dict(type='FlowGuidedMasker', input_size=32, patch_size=8,
             mask_ratio=0.75, flow_size=128, flow_batch_size=2,
             **RANDOM_RAFT))
    net = ConstantFlowNet()
    object.__setattr__(masker, 'flow_net', net)
    frames = torch.zeros(5, 3, 32, 32)
    flow = masker.estimate_flow(frames, frames)
    # 128 px -> 32 px: a 4 x 2 px flow is 1 x 0.5 px on the clip.
    assert flow.shape == (5, 2, 32, 32)
    assert torch.allclose(flow[:, 0], torch.ones(1))
    assert torch.allclose(flow[:, 1], torch.full((1, ), 0.5))
    assert [shape[0] for shape in net.batches] == [2, 2, 1]
    assert {tuple(shape[-2:]) for shape in net.batches} == {(128, 128)}


def test_initial_map_is_max_of_gaussians_on_patch_centres(seeded):
    masker = exact_flow_masker(0, sigma=None)
    assert masker.sigma == pytest.approx(PATCH / 2**0.5)
    maps = FlowGuidedMasker.initial_map(masker, 3, SIZE, SIZE, 'cpu')
    assert maps.shape == (3, SIZE, SIZE)
    assert torch.allclose(maps.amax((1, 2)), torch.ones(3))
    # One centre (one visible token per slice): the peak is the 2x2 middle
    # of one patch.
    for peak in maps.flatten(1).argmax(1).tolist():
        y, x = divmod(peak, SIZE)
        assert y % PATCH in (3, 4) and x % PATCH in (3, 4)


@pytest.mark.parametrize('topk_on_all', [False, True])
def test_random_raft_gives_tube_counts(seeded, topk_on_all):
    masker = MODELS.build(
        dict(type='FlowGuidedMasker', mask_ratio=0.75, input_size=32,
             patch_size=8, flow_size=128, topk_on_all=topk_on_all,
             **RANDOM_RAFT))
    grid = (2, 4, 4)
    masks = masker(torch.randn(3, 3, 4, 32, 32), grid)
    tube = TubeMaskGenerator(0.75, patch_size=8, tubelet_size=2)
    results = tube(dict(imgs=np.zeros((1, 3, 4, 32, 32), np.uint8)))
    assert masks.visible_ids.shape == (3, len(results['visible_ids']))
    assert masks.masked_ids.shape == (3, len(results['masked_ids']))
    assert torch.equal(masks.query_ids, masks.masked_ids)
    for visible, masked in zip(masks.visible_ids, masks.masked_ids):
        assert torch.equal(visible, visible.sort().values)
        ids = torch.cat([visible, masked]).sort().values
        assert torch.equal(ids, torch.arange(32))
        if not topk_on_all:  # 16 - int(0.75 * 16) = 4 in each slice
            assert torch.bincount(visible // 16).tolist() == [4, 4]


def test_raft_is_frozen_and_outside_the_module_tree():
    masker = MODELS.build(
        dict(type='FlowGuidedMasker', input_size=32, patch_size=8,
             mask_ratio=0.75, flow_size=128, **RANDOM_RAFT))
    assert not masker.flow_net.training
    assert not any(p.requires_grad for p in masker.flow_net.parameters())
    assert list(masker.parameters()) == []
    assert masker.state_dict() == {}
    masker.train()
    assert not masker.flow_net.training


def test_loads_local_raft_weights(tmp_path):
    from torchvision.models.optical_flow import raft_small
    torch.manual_seed(1)
    reference = raft_small(weights=None)
    path = tmp_path / 'raft_small.pth'
    torch.save(reference.state_dict(), path)
    masker = FlowGuidedMasker(input_size=128, patch_size=16,
                              flow_checkpoint=str(path))
    for key, value in reference.state_dict().items():
        torch.testing.assert_close(masker.flow_net.state_dict()[key], value)


def test_build_errors_name_the_bad_value(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing/raft.pth'):
        FlowGuidedMasker(flow_checkpoint='missing/raft.pth')
    with pytest.raises(ValueError, match='allow_random_flow'):
        FlowGuidedMasker()
    wrong = tmp_path / 'wrong.pth'
    torch.save({'weight': torch.zeros(2)}, wrong)
    with pytest.raises(ValueError, match='wrong.pth is not a torchvision'):
        FlowGuidedMasker(flow_checkpoint=str(wrong))
    for ratio in (0, 1, 1.5):
        with pytest.raises(ValueError, match=f'mask_ratio must be in .*'
                           f'got {ratio}'):
            FlowGuidedMasker(mask_ratio=ratio, **RANDOM_RAFT)
    # 4 tokens per slice: int(0.2 * 4) = 0 masked.
    with pytest.raises(ValueError, match='mask_ratio=0.2 leaves 4 of 4'):
        FlowGuidedMasker(mask_ratio=0.2, input_size=32, flow_size=128,
                         **RANDOM_RAFT)
    with pytest.raises(ValueError, match='got 32x32: set flow_size'):
        FlowGuidedMasker(mask_ratio=0.5, input_size=32, **RANDOM_RAFT)
    with pytest.raises(ValueError, match="base_frame .* 'last'"):
        FlowGuidedMasker(base_frame='last', **RANDOM_RAFT)


def test_forward_rejects_a_grid_of_another_patch_size():
    masker = MODELS.build(
        dict(type='FlowGuidedMasker', input_size=32, patch_size=8,
             mask_ratio=0.75, flow_size=128, **RANDOM_RAFT))
    with pytest.raises(ValueError, match=r'token grid \(2, 2, 2\)'):
        masker(torch.randn(1, 3, 4, 32, 32), (2, 2, 2))


def test_videomae_with_flow_masker_trains(seeded):
    cfg = tiny_videomae()
    cfg['masker'] = dict(type='FlowGuidedMasker', mask_ratio=0.5,
                         input_size=32, flow_size=128, **RANDOM_RAFT)
    model = MODELS.build(cfg)
    raft = model.masker.flow_net
    losses = model(torch.randn(2, 3, 4, 32, 32), None, mode='loss')
    loss = losses['loss_pix']
    assert torch.isfinite(loss)
    loss.backward()
    missing = [name for name, p in model.named_parameters()
               if p.requires_grad and (p.grad is None
                                       or not p.grad.abs().sum() > 0)]
    assert not missing
    assert all(p.grad is None for p in raft.parameters())
    assert not any(key.startswith('masker') for key in model.state_dict())
    raft_ids = {id(p) for p in raft.parameters()}
    assert not raft_ids & {id(p) for p in model.parameters()}


def test_demo_config_trains(toy_data, tmp_path):
    cfg = demo_config(
        'mgmae_vit-tiny-p8_1xb8-toy_pretrain', toy_data, str(tmp_path), **{
            'train_cfg.max_epochs': 1,
            'train_dataloader.batch_size': 4,
            'model.masker.num_flow_updates': 2
        })
    with pytest.warns(UserWarning, match='randomly initialized RAFT'):
        runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2  # 8 toy videos, 4 per batch
    loss = runner.message_hub.get_scalar('train/loss_pix').current()
    assert np.isfinite(loss)


def test_benchmark_masking_smoke(tmp_path):
    """The overhead tool runs and writes its ratios (no timing asserted)."""
    tool = load_script('tools/analysis/benchmark_masking.py')
    out = tmp_path / 'masking.json'
    report = tool.main([
        '--device', 'cpu', '--depth', '1', '--decoder-depth', '1',
        '--frames', '4', '--img-size', '128', '--iters', '1', '--warmup',
        '0', '--rounds', '1', '--num-flow-updates', '1', '--out', str(out)
    ])
    assert json.loads(out.read_text()) == json.loads(json.dumps(report))
    assert set(report['models']) == {'tube', 'mgmae', 'mgmae_masker_alone'}
    assert report['settings']['raft_pairs_per_step'] == 3
    assert report['ratios']['step_time_mgmae_over_tube'] > 0
    for name in ('tube', 'mgmae'):
        assert np.isfinite(report['models'][name]['last_loss'])
