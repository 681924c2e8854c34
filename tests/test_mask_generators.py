"""Mask generators: exact counts, layouts, determinism and clear errors."""
import numpy as np
import pytest

from mmvmae.datasets.transforms import (RandomMaskGenerator,
                                        RunningCellDecoderMask,
                                        TubeMaskGenerator)


def clip(frames=16, size=224):
    return dict(imgs=np.zeros((1, 3, frames, size, size), np.uint8))


def test_tube_mask_counts_and_tiling(seeded):
    out = TubeMaskGenerator(0.9)(clip())
    assert out['token_grid'] == (8, 14, 14)
    assert len(out['visible_ids']) == 160  # 20 per slice x 8
    assert len(out['masked_ids']) == 1408
    visible = out['visible_ids'].reshape(8, 20) % 196
    assert (visible == visible[0]).all()  # same positions in every slice
    assert np.array_equal(
        np.sort(np.concatenate([out['visible_ids'], out['masked_ids']])),
        np.arange(1568))
    assert out['visible_ids'].dtype == np.int64


def test_random_mask_counts(seeded):
    out = RandomMaskGenerator(0.9)(clip())
    assert len(out['masked_ids']) == int(0.9 * 1568) == 1411
    assert len(out['visible_ids']) == 157
    per_slice = np.bincount(out['visible_ids'] // 196, minlength=8)
    assert per_slice.sum() == 157 and per_slice.std() > 0


@pytest.mark.parametrize('generator', [TubeMaskGenerator, RandomMaskGenerator])
def test_deterministic_under_seed(generator):
    np.random.seed(3)
    first = generator(0.75)(clip())['visible_ids']
    np.random.seed(3)
    assert np.array_equal(first, generator(0.75)(clip())['visible_ids'])
    assert not np.array_equal(first, generator(0.75)(clip())['visible_ids'])


def test_grid_from_unformatted_frames(seeded):
    results = dict(imgs=[np.zeros((64, 64, 3))] * 8, clip_len=8,
                   img_shape=(64, 64))
    out = TubeMaskGenerator(0.75, patch_size=8)(results)
    assert out['token_grid'] == (4, 8, 8)
    assert len(out['visible_ids']) == 4 * 16


def test_running_cell_decoder_mask(seeded):
    out = RunningCellDecoderMask(0.5)(TubeMaskGenerator(0.9)(clip()))
    kept = np.zeros(1568, bool)
    kept[out['decoder_ids']] = True
    kept = kept.reshape(8, 14, 14)
    assert len(out['decoder_ids']) == 784
    assert (kept.sum(axis=(1, 2)) == 98).all()  # half of every slice
    # every location is decoded in 2 of every 4 consecutive slices
    assert (kept[:4].sum(0) == 2).all() and (kept[4:].sum(0) == 2).all()
    # the 2x2 cell pattern runs: slice t+1 is slice t shifted by one slot
    cells = kept[:, :2, :2].reshape(8, 4)
    assert all(np.array_equal(np.roll(cells[t], -1), cells[t + 1])
               for t in range(7))


def test_running_cell_ratio_zero_is_videomae_v1(seeded):
    out = RunningCellDecoderMask(0.)(TubeMaskGenerator(0.9)(clip()))
    assert np.array_equal(out['decoder_ids'], out['masked_ids'])


@pytest.mark.parametrize('make, message', [
    (lambda: TubeMaskGenerator(1.0), r'mask_ratio must be in \(0, 1\)'),
    (lambda: RandomMaskGenerator(0.), r'mask_ratio must be in \(0, 1\)'),
    (lambda: RunningCellDecoderMask(0.1), 'drops 0 of 4'),
])
def test_bad_ratios_fail_at_build(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_ratio_masking_nothing_names_the_grid():
    with pytest.raises(ValueError, match=r'leaves 8 of 8 tokens visible'):
        TubeMaskGenerator(0.1)(clip(4, 32))


@pytest.mark.parametrize('results, message', [
    (clip(15), 'not divisible by tubelet_size=2'),
    (clip(16, 200), 'not divisible by patch_size=16'),
    (dict(imgs=[]), 'after the decode'),
])
def test_clip_shape_errors(results, message):
    with pytest.raises((ValueError, KeyError), match=message):
        TubeMaskGenerator(0.9)(results)


def test_running_cell_needs_encoder_mask():
    with pytest.raises(KeyError, match='must follow'):
        RunningCellDecoderMask(0.5)(clip())
