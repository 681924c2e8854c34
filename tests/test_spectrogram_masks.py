"""Spectrogram mask generators: exact counts, layouts, structure."""
import numpy as np
import pytest
from mmaction.datasets.transforms import PackActionInputs

from mmvmae.datasets.transforms import (SpectrogramRandomMaskGenerator,
                                        SpectrogramStructuredMaskGenerator)
from mmvmae.registry import TRANSFORMS


def fbank(frames: int = 1024, bins: int = 128) -> dict:
    return dict(audios=np.zeros((frames, bins), dtype=np.float32))


def masked_map(results: dict, layout: str) -> np.ndarray:
    """(T', F') boolean map back from the flat ids of ``layout``."""
    rows, cols = results['audio_token_grid']
    flat = np.zeros(rows * cols, dtype=bool)
    flat[results['audio_masked_ids']] = True
    grid = flat.reshape(rows, cols)
    return grid if layout == 'tf' else grid.T


@pytest.mark.parametrize('ratio', [0.5, 0.75, 0.8, 0.9])
@pytest.mark.parametrize('layout', ['tf', 'ft'])
def test_random_exact_counts(seeded, ratio, layout):
    gen = SpectrogramRandomMaskGenerator(ratio, layout=layout)
    for _ in range(3):
        out = gen(fbank())
        visible, masked = out['audio_visible_ids'], out['audio_masked_ids']
        assert len(masked) == int(ratio * 512)
        assert len(visible) == 512 - int(ratio * 512)
        assert visible.dtype == masked.dtype == np.int64
        assert np.all(np.diff(visible) > 0) and np.all(np.diff(masked) > 0)
        assert sorted(np.concatenate([visible, masked])) == list(range(512))
        assert out['audio_token_grid'] == ((64, 8) if layout == 'tf' else
                                           (8, 64))


def test_layouts_number_the_same_patches(seeded):
    np.random.seed(3)
    tf = SpectrogramRandomMaskGenerator(0.75, layout='tf')(fbank(64, 32))
    np.random.seed(3)
    ft = SpectrogramRandomMaskGenerator(0.75, layout='ft')(fbank(64, 32))
    np.testing.assert_array_equal(masked_map(tf, 'tf'), masked_map(ft, 'ft'))
    # patch (t=2, f=1) is token 2*2+1 time-major and 1*4+2 freq-major
    t_major = masked_map(tf, 'tf')
    assert (5 in tf['audio_masked_ids']) == t_major[2, 1]
    assert (6 in ft['audio_masked_ids']) == t_major[2, 1]


def test_random_is_deterministic_under_seed():
    gen = SpectrogramRandomMaskGenerator(0.8)
    np.random.seed(0)
    first = gen(fbank())['audio_masked_ids']
    np.random.seed(0)
    np.testing.assert_array_equal(first, gen(fbank())['audio_masked_ids'])
    assert not np.array_equal(first, gen(fbank())['audio_masked_ids'])


@pytest.mark.parametrize('layout', ['tf', 'ft'])
def test_time_mode_masks_whole_columns(seeded, layout):
    gen = SpectrogramStructuredMaskGenerator(0.75, mode='time', layout=layout)
    grid = masked_map(gen(fbank()), layout)  # (64 time, 8 freq)
    per_column = grid.sum(1)
    assert grid.sum() == 384 and len(gen(fbank())['audio_visible_ids']) == 128
    assert set(per_column.tolist()) == {0, 8}
    assert (per_column == 8).sum() == 48


def test_freq_mode_masks_whole_rows(seeded):
    gen = SpectrogramStructuredMaskGenerator(0.75, mode='freq', layout='ft')
    grid = masked_map(gen(fbank()), 'ft')
    per_row = grid.sum(0)
    assert grid.sum() == 384
    assert set(per_row.tolist()) == {0, 64} and (per_row == 64).sum() == 6


@pytest.mark.parametrize('ratio,grid,union_first', [
    (0.75, (64, 8), True),  # 33 cols + 4 rows = 388 patches > 384
    (0.5, (8, 4), False),  # 2 cols + 1 row = 14 patches < 16
])
def test_tf_mode_structure_then_count(ratio, grid, union_first):
    gen = SpectrogramStructuredMaskGenerator(ratio, mode='tf')
    for seed in range(5):
        np.random.seed(seed)
        chosen = gen.structure(grid)
        np.random.seed(seed)
        masked = gen.masked_patches(grid)
        assert masked.sum() == int(ratio * grid[0] * grid[1])
        if union_first:
            assert chosen.sum() == 388 and not (masked & ~chosen).any()
        else:
            assert chosen.sum() == 14 and not (chosen & ~masked).any()
        assert (chosen.all(1).sum() == int(grid[0] * ratio * 0.7)
                and chosen.all(0).sum() == int(grid[1] * ratio * 0.7))


def test_structured_mode_with_fewer_columns_fills_up(seeded):
    # 2 time patches x 8 freq, ratio 0.4: int(2 * .4) = 0 columns, 6 random
    gen = SpectrogramStructuredMaskGenerator(0.4, mode='time')
    assert len(gen(fbank(32, 128))['audio_masked_ids']) == 6


@pytest.mark.parametrize('results,error,match', [
    (dict(imgs=np.zeros(3)), KeyError, 'AudioFbank'),
    (dict(audios=np.zeros((2, 64, 32))), ValueError, 'shape'),
    (dict(audios=np.zeros(64)), ValueError, 'shape'),
    (dict(audios=np.zeros((60, 32))), ValueError, 'divisible'),
    (dict(audios=np.zeros((16, 16))), ValueError, 'leaves 1 of 1'),
])
def test_bad_input_is_named(results, error, match):
    with pytest.raises(error, match=match):
        SpectrogramRandomMaskGenerator(0.75)(results)


def test_bad_arguments():
    with pytest.raises(ValueError, match='mask_ratio'):
        SpectrogramRandomMaskGenerator(1.)
    with pytest.raises(ValueError, match='layout'):
        SpectrogramRandomMaskGenerator(0.5, layout='hw')
    with pytest.raises(ValueError, match='mode'):
        SpectrogramStructuredMaskGenerator(0.5, mode='both')
    with pytest.raises(ValueError, match='tf_fraction'):
        SpectrogramStructuredMaskGenerator(0.5, mode='tf', tf_fraction=0)


def test_built_from_config_and_packed(seeded):
    gen = TRANSFORMS.build(dict(type='SpectrogramStructuredMaskGenerator',
                                mask_ratio=0.75, mode='tf', layout='ft'))
    assert 'mode=' in repr(gen) and "layout='ft'" in repr(gen)
    results = gen(dict(audios=np.zeros((1, 64, 32), dtype=np.float32)))
    packed = PackActionInputs(
        collect_keys=('audios', ),
        algorithm_keys=('audio_visible_ids', 'audio_masked_ids'))(results)
    sample = packed['data_samples']
    assert packed['inputs']['audios'].shape == (1, 64, 32)
    assert len(sample.audio_visible_ids) == 2
    assert len(sample.audio_masked_ids) == 6
