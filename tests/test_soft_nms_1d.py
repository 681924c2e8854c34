"""batched_soft_nms_1d against a slow plain-Python reference."""
import math

import pytest
import torch

from mmvmae.models.detectors import batched_soft_nms_1d


def reference_iou(a, b):
    inter = max(0., min(a[1], b[1]) - max(a[0], b[0]))
    union = (a[1] - a[0]) + (b[1] - b[0]) - inter
    return inter / union if union > 0 else 0.


def reference_soft_nms(segments, scores, labels, iou_threshold=0.1,
                       sigma=0.5, min_score=0.001, max_num=200,
                       method='gaussian', multiclass=True,
                       voting_threshold=None):
    """Soft-NMS written with lists and loops, one segment at a time."""
    n = len(scores)
    groups = {}
    for i in range(n):
        groups.setdefault(labels[i] if multiclass else 0, []).append(i)
    kept = []  # (score, keep counter, input index)
    for key in sorted(groups):
        current = {i: scores[i] for i in groups[key]
                   if scores[i] >= min_score}
        num_kept = 0
        while current and (max_num is None or num_kept < max_num):
            best = min(current, key=lambda i: (-current[i], i))
            kept.append((current.pop(best), len(kept), best))
            num_kept += 1
            for i in list(current):
                iou = reference_iou(segments[best], segments[i])
                if method == 'gaussian':
                    current[i] *= math.exp(-iou * iou / sigma)
                elif iou >= iou_threshold:
                    current[i] *= (1 - iou) if method == 'linear' else 0.
                if current[i] < min_score:
                    del current[i]
    kept.sort(key=lambda item: (-item[0], item[1]))
    kept = kept[:max_num]
    out_segments = []
    for _, _, i in kept:
        segment = list(segments[i])
        if voting_threshold is not None:
            weights = [scores[j] if reference_iou(segments[i], segments[j])
                       >= voting_threshold else 0. for j in range(n)]
            total = sum(weights)
            if total > 0:
                segment = [sum(w * s[k] for w, s in zip(weights, segments)) /
                           total for k in range(2)]
        out_segments.append(segment)
    return (out_segments, [item[0] for item in kept],
            [labels[i] for _, _, i in kept])


def random_inputs(seed, num, num_classes=3, duration=30.):
    g = torch.Generator().manual_seed(seed)
    starts = torch.rand(num, generator=g, dtype=torch.float64) * duration
    lengths = torch.rand(num, generator=g, dtype=torch.float64) * 8
    segments = torch.stack([starts, starts + lengths], dim=1)
    scores = torch.rand(num, generator=g, dtype=torch.float64)
    labels = torch.randint(0, num_classes, (num, ), generator=g)
    return segments, scores, labels


def assert_same_as_reference(segments, scores, labels, **kwargs):
    got = batched_soft_nms_1d(segments, scores, labels, **kwargs)
    want = reference_soft_nms(segments.tolist(), scores.tolist(),
                              labels.tolist(), **kwargs)
    assert got[2].tolist() == want[2]
    assert got[0].shape == (len(want[1]), 2)
    torch.testing.assert_close(
        got[1], torch.tensor(want[1], dtype=scores.dtype), rtol=0,
        atol=1e-12)
    torch.testing.assert_close(
        got[0], torch.tensor(want[0], dtype=segments.dtype).reshape(-1, 2),
        rtol=0, atol=1e-12)
    return got


@pytest.mark.parametrize('seed', [0, 1, 2, 3])
@pytest.mark.parametrize('options', [
    dict(),
    dict(method='linear', iou_threshold=0.3),
    dict(method='hard', iou_threshold=0.5),
    dict(sigma=0.9, min_score=0.05, max_num=7),
    dict(multiclass=False, voting_threshold=0.7, sigma=0.75, max_num=20),
    dict(method='hard', multiclass=False, voting_threshold=0.5),
    dict(max_num=None, min_score=0.),
])
def test_random_inputs_match_reference(seed, options):
    segments, scores, labels = random_inputs(seed, num=60)
    got = assert_same_as_reference(segments, scores, labels, **options)
    assert len(got[1]) > 0
    assert (got[1][1:] <= got[1][:-1]).all()


def test_hand_computed_gaussian_linear_hard():
    segments = torch.tensor([[0., 4.], [2., 6.], [10., 12.]])
    scores = torch.tensor([0.9, 0.8, 0.5])
    labels = torch.zeros(3, dtype=torch.long)
    iou = 2 / 6
    out = batched_soft_nms_1d(segments, scores, labels, sigma=0.5)
    # [2,6] decays to 0.8 * exp(-iou^2 / sigma) = 0.64, [10,12] does not
    decayed = 0.8 * math.exp(-iou**2 / 0.5)
    torch.testing.assert_close(out[1], torch.tensor([0.9, decayed, 0.5]))
    assert out[0].tolist() == [[0., 4.], [2., 6.], [10., 12.]]
    out = batched_soft_nms_1d(segments, scores, labels, method='linear',
                              iou_threshold=0.3)
    torch.testing.assert_close(out[1], torch.tensor([0.9, 0.8 * (1 - iou),
                                                     0.5]))
    out = batched_soft_nms_1d(segments, scores, labels, method='hard',
                              iou_threshold=0.3)
    assert out[0].tolist() == [[0., 4.], [10., 12.]]
    out = batched_soft_nms_1d(segments, scores, labels, method='hard',
                              iou_threshold=0.4)
    assert out[0].tolist() == [[0., 4.], [2., 6.], [10., 12.]]


def test_voting_averages_overlapping_segments():
    segments = torch.tensor([[0., 10.], [1., 11.], [30., 40.]])
    scores = torch.tensor([0.6, 0.4, 0.3])
    labels = torch.tensor([0, 1, 0])
    out = batched_soft_nms_1d(segments, scores, labels, method='hard',
                              iou_threshold=0.5, multiclass=False,
                              voting_threshold=0.5)
    # [0,10] absorbs [1,11] (IoU 9/11): boundaries 0.6/1.0 and 0.4/1.0
    torch.testing.assert_close(out[0], torch.tensor([[0.4, 10.4],
                                                     [30., 40.]]))
    torch.testing.assert_close(out[1], torch.tensor([0.6, 0.3]))
    assert out[2].tolist() == [0, 0]


def test_empty_input():
    for multiclass in (True, False):
        segments, scores, labels = batched_soft_nms_1d(
            torch.zeros(0, 2), torch.zeros(0),
            torch.zeros(0, dtype=torch.long), multiclass=multiclass,
            voting_threshold=None if multiclass else 0.5)
        assert segments.shape == (0, 2) and scores.shape == (0, )
        assert labels.shape == (0, ) and labels.dtype == torch.long


def test_everything_below_min_score_is_dropped():
    segments, scores, labels = random_inputs(5, num=10)
    out = batched_soft_nms_1d(segments, scores * 1e-4, labels,
                              min_score=1e-3)
    assert len(out[1]) == 0


def test_single_segment_kept_as_is():
    out = batched_soft_nms_1d(torch.tensor([[1., 3.]]), torch.tensor([0.2]),
                              torch.tensor([4]), multiclass=False,
                              voting_threshold=0.7)
    assert out[0].tolist() == [[1., 3.]]
    assert out[1].tolist() == [pytest.approx(0.2)]
    assert out[2].tolist() == [4]


def test_ties_go_to_the_lower_index():
    segments = torch.tensor([[0., 2.], [0., 2.], [5., 6.], [5., 6.]],
                            dtype=torch.float64)
    scores = torch.tensor([0.5, 0.5, 0.7, 0.7], dtype=torch.float64)
    labels = torch.tensor([0, 0, 1, 1])
    for method in ('gaussian', 'linear', 'hard'):
        got = assert_same_as_reference(segments, scores, labels,
                                       method=method)
        torch.testing.assert_close(got[1][:2], scores[[2, 0]])
    # identical segments: the second is fully suppressed by hard NMS
    out = batched_soft_nms_1d(segments, scores, labels, method='hard')
    assert out[2].tolist() == [1, 0]


def test_zero_length_segments():
    segments = torch.tensor([[1., 1.], [1., 1.], [0., 3.], [2., 2.]],
                            dtype=torch.float64)
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6], dtype=torch.float64)
    labels = torch.zeros(4, dtype=torch.long)
    for options in (dict(method='hard'), dict(),
                    dict(multiclass=False, voting_threshold=0.5)):
        got = assert_same_as_reference(segments, scores, labels, **options)
        # zero-length segments overlap nothing (IoU 0): all are kept as is
        torch.testing.assert_close(got[1], scores)
        torch.testing.assert_close(got[0], segments)


def test_float32_and_max_num_cap():
    segments, scores, labels = random_inputs(7, num=50)
    out = batched_soft_nms_1d(segments.float(), scores.float(), labels,
                              max_num=5)
    assert out[0].dtype == torch.float32 and out[1].dtype == torch.float32
    assert len(out[1]) == 5
    full = batched_soft_nms_1d(segments, scores, labels, max_num=None)
    torch.testing.assert_close(out[1], full[1][:5].float())


@pytest.mark.parametrize('kwargs, match', [
    (dict(method='box'), 'method'),
    (dict(sigma=0.), 'sigma'),
    (dict(iou_threshold=1.5), 'iou_threshold'),
    (dict(max_num=0), 'max_num'),
    (dict(voting_threshold=0.7), 'class-agnostic'),
    (dict(multiclass=False, voting_threshold=0.), 'voting_threshold'),
])
def test_bad_arguments_raise(kwargs, match):
    segments, scores, labels = random_inputs(0, num=4)
    with pytest.raises(ValueError, match=match):
        batched_soft_nms_1d(segments, scores, labels, **kwargs)


def test_bad_inputs_raise():
    segments, scores, labels = random_inputs(0, num=4)
    with pytest.raises(ValueError, match='ends before it starts'):
        batched_soft_nms_1d(segments.flip(1), scores, labels)
    with pytest.raises(ValueError, match='must have shape'):
        batched_soft_nms_1d(segments, scores[:3], labels)
    with pytest.raises(ValueError, match='NaN'):
        batched_soft_nms_1d(segments, scores * float('nan'), labels)
