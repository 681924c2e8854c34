"""segment_iou / segment_iou_one_to_many against hand-computed values."""
import numpy as np
import pytest
import torch

from mmvmae.structures import (check_segments, segment_iou,
                               segment_iou_one_to_many)

SEGMENTS = np.array([[0., 2.], [1., 1.], [3., 5.], [0., 4.]])
OTHERS = np.array([[1., 3.], [1., 1.], [4., 5.]])
# intersections / unions worked out by hand
EXPECTED = np.array([
    [1 / 3, 0., 0.],  # [0,2] vs [1,3]: 1 / 3
    [0., 0., 0.],  # zero length: no intersection, 0/0 -> 0
    [0., 0., 1 / 2],  # [3,5] vs [4,5]: 1 / 2
    [2 / 4, 0., 0 / 6],  # [0,4] vs [1,3]: 2 / 4, vs [4,5]: touch only
])


def official_segment_iou(target, candidates):
    """The ActivityNet evaluator's formula (0/0 gives NaN there)."""
    inter = (np.minimum(target[1], candidates[:, 1]) -
             np.maximum(target[0], candidates[:, 0])).clip(0)
    union = (candidates[:, 1] - candidates[:, 0]) + (target[1] -
                                                     target[0]) - inter
    with np.errstate(invalid='ignore', divide='ignore'):
        return inter / union


def test_pairwise_numpy_and_torch():
    iou = segment_iou(SEGMENTS, OTHERS)
    assert isinstance(iou, np.ndarray) and iou.shape == (4, 3)
    np.testing.assert_allclose(iou, EXPECTED, atol=1e-12)
    iou_t = segment_iou(torch.tensor(SEGMENTS), torch.tensor(OTHERS))
    assert isinstance(iou_t, torch.Tensor) and iou_t.dtype == torch.float64
    np.testing.assert_allclose(iou_t.numpy(), EXPECTED, atol=1e-12)
    # float32 tensors stay float32
    assert segment_iou(torch.tensor(SEGMENTS).float(),
                       torch.tensor(OTHERS).float()).dtype == torch.float32


def test_one_to_many_equals_official_formula_and_pairwise_rows():
    rng = np.random.default_rng(0)
    starts = rng.uniform(0, 10, (20, 1))
    segments = np.hstack([starts, starts + rng.uniform(0.1, 5, (20, 1))])
    pairwise = segment_iou(segments, segments)
    for i, segment in enumerate(segments):
        np.testing.assert_allclose(
            segment_iou_one_to_many(segment, segments),
            official_segment_iou(segment, segments), rtol=0, atol=1e-15)
        np.testing.assert_array_equal(
            segment_iou_one_to_many(segment, segments), pairwise[i])
        got = segment_iou_one_to_many(
            torch.tensor(segment), torch.tensor(segments))
        np.testing.assert_allclose(got.numpy(), pairwise[i], atol=1e-15)
    np.testing.assert_allclose(np.diag(pairwise), 1.)
    np.testing.assert_array_equal(pairwise, pairwise.T)


def test_empty_inputs():
    assert segment_iou(np.zeros((0, 2)), OTHERS).shape == (0, 3)
    assert segment_iou(torch.zeros(2, 2), torch.zeros(0, 2)).shape == (2, 0)


@pytest.mark.parametrize('bad, match', [
    (np.array([[2., 1.]]), 'row 0 ends before it starts'),
    (np.array([[0., 1., 2.]]), r'shape \(N, 2\)'),
    (np.array([[0., np.nan]]), 'non-finite'),
])
def test_bad_segments_raise(bad, match):
    with pytest.raises(ValueError, match=match):
        segment_iou(bad, OTHERS)
    with pytest.raises(ValueError, match=match):
        check_segments(torch.tensor(bad), 'segments')
