"""ActionFormer pieces on tiny tensors: shapes, masking, label assignment,
losses against direct formulas, gradients, padding invariance, predict."""
import math

import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from mmvmae.models.layers.local_masked_attention import local_attention
from mmvmae.models.layers.masked_conv1d import MaskedConv1d
from mmvmae.models.layers.temporal_transformer_block import masked_max_pool
from mmvmae.models.losses.diou_loss_1d import diou_loss_1d
from mmvmae.models.losses.ema_loss_normalizer import EMALossNormalizer
from mmvmae.models.losses.sigmoid_focal_loss import sigmoid_focal_loss
from mmvmae.models.task_modules import (CenterSamplingAssigner,
                                        PointGenerator1d)
from mmvmae.registry import MODELS

IN_CHANNELS, NUM_CLASSES, MAX_LEN = 6, 3, 32


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('mmvmae')
    torch.manual_seed(0)


def tiny_config(**options) -> dict:
    """A 3-level ActionFormer (strides 1, 2, 4) 16 channels wide."""
    cfg = dict(
        type='ActionFormer',
        backbone=dict(
            type='TemporalConvTransformer', in_channels=IN_CHANNELS,
            embed_dims=16, num_heads=2, arch=(1, 1, 2), window_size=5,
            drop_path_rate=0., max_seq_len=MAX_LEN),
        neck=dict(type='IdentityFPN', in_channels=16, num_levels=3),
        cls_head=dict(type='TemporalClsHead', in_channels=16,
                      feat_channels=16, num_classes=NUM_CLASSES),
        reg_head=dict(type='TemporalRegHead', in_channels=16,
                      feat_channels=16, num_levels=3),
        regression_ranges=[(0, 4), (4, 8), (8, 10000)],
        data_preprocessor=dict(type='TemporalFeaturePreprocessor',
                               max_seq_len=MAX_LEN, size_divisor=4))
    cfg.update(options)
    return cfg


def sample(length: int, segments=((1., 3.), (5., 9.)), labels=(0, 2),
           fps=4., window=4., stride=2., duration=10.):
    """A data sample as PackTemporalInputs makes it."""
    data_sample = ActionDataSample()
    data_sample.gt_instances = InstanceData(
        segments=torch.tensor(segments).reshape(-1, 2),
        labels=torch.tensor(labels, dtype=torch.long))
    data_sample.set_metainfo(dict(
        video_id=f'video{length}', fps=fps, duration=duration,
        feature_window=window, feature_stride=stride, feature_start=0,
        num_features=length))
    return data_sample


def batch(model, lengths, training=True):
    data = dict(inputs=[torch.randn(IN_CHANNELS, n) for n in lengths],
                data_samples=[sample(n) for n in lengths])
    return model.data_preprocessor(data, training)


def test_pyramid_shapes_and_masks():
    model = MODELS.build(tiny_config())
    data = batch(model, [20, 13])
    assert data['inputs'].shape == (2, IN_CHANNELS, MAX_LEN)
    logits, offsets, masks = model.extract(**data)
    assert [x.shape for x in logits] == [(2, 32, 3), (2, 16, 3), (2, 8, 3)]
    assert [x.shape for x in offsets] == [(2, 32, 2), (2, 16, 2), (2, 8, 2)]
    assert [m.sum(1).tolist() for m in masks] == [[20, 13], [10, 7], [5, 4]]
    assert all((x >= 0).all() for x in offsets)
    # padded steps are zero, valid ones start at the prior probability
    assert (logits[0][1, 13:] == 0).all()
    prior = torch.sigmoid(logits[0][0, :20])
    assert prior.mean().item() == pytest.approx(0.01, abs=0.005)


def test_arch_and_window_checks():
    with pytest.raises(ValueError, match='2 window sizes for 3 levels'):
        MODELS.build(tiny_config()['backbone'] | dict(window_size=[5, 5]))
    with pytest.raises(ValueError, match='window_size must be odd'):
        MODELS.build(tiny_config()['backbone'] | dict(window_size=4))
    with pytest.raises(ValueError, match='2 regression ranges for 3'):
        MODELS.build(tiny_config(regression_ranges=[(0, 4), (4, 100)]))
    with pytest.raises(ValueError, match='multiple of the largest pyramid'):
        MODELS.build(tiny_config(data_preprocessor=dict(
            type='TemporalFeaturePreprocessor', max_seq_len=30,
            size_divisor=2)))


def brute_force_attention(q, k, v, key_mask, window):
    """Loops over queries: softmax over valid keys within window // 2."""
    out = torch.zeros_like(q)
    steps = q.shape[2]
    for b in range(q.shape[0]):
        for t in range(steps):
            keys = [j for j in range(steps) if key_mask[b, j] and (
                window is None or abs(j - t) <= window // 2)]
            if not keys:
                continue
            scores = torch.einsum('hd,hnd->hn', q[b, :, t], k[b, :, keys])
            out[b, :, t] = torch.einsum('hn,hnd->hd', scores.softmax(-1),
                                        v[b, :, keys])
    return out


@pytest.mark.parametrize('window', [3, 7, None])
def test_local_attention_matches_brute_force(window):
    q, k, v = (torch.randn(2, 2, 11, 4) for _ in range(3))
    key_mask = torch.arange(11)[None] < torch.tensor([[11], [6]])
    out = local_attention(q, k, v, key_mask, window, torch.nn.Identity())
    expected = brute_force_attention(q, k, v, key_mask, window)
    valid = key_mask[:, None, :, None].expand_as(out)
    torch.testing.assert_close(out[valid], expected[valid])


def test_masked_ops_ignore_padding_content():
    conv = MaskedConv1d(3, 5, 3, stride=2)
    x = torch.randn(1, 3, 9)
    mask = torch.arange(9)[None] < 7
    garbage = x.clone()
    garbage[..., 7:] = 100.
    out, out_mask = conv(x, mask)
    out_garbage, _ = conv(garbage, mask)
    assert out_mask.sum().item() == 4  # ceil(7 / 2)
    torch.testing.assert_close(out, out_garbage)
    short, _ = conv(x[..., :7], mask[:, :7])
    torch.testing.assert_close(out[..., :4], short)
    negative = -torch.rand(1, 2, 8) - 1
    pooled = masked_max_pool(negative, torch.arange(8)[None] < 5, 2)
    expected = torch.stack([negative[..., :2].amax(-1),
                            negative[..., 1:4].amax(-1),
                            negative[..., 3:5].amax(-1)], -1)
    torch.testing.assert_close(pooled[..., :3], expected)
    assert (pooled[..., 3:] == 0).all()


def test_point_generator():
    points = PointGenerator1d([1, 2], [(0, 2), (2, 100)])([3, 2])
    expected = torch.tensor([[0, 0, 2, 1], [1, 0, 2, 1], [2, 0, 2, 1],
                             [0, 2, 100, 2], [2, 2, 100, 2]]).float()
    torch.testing.assert_close(points, expected)


def test_center_sampling_assignment_by_hand():
    """Levels: stride 1 (8 points, range [0, 2]) and 2 (4 points, [2, 100]).

    A = [1, 4] (class 0): level 0 points 2, 3 (extent 2) and level 1 point
    2 (extent 2). C = [2.5, 3.5] (class 2) also covers point 3 of level 0
    and, shorter, takes it. B = [4.5, 7.5] (class 1): the centre region is
    the segment; only point 6 of level 0 has an extent (1.5) in range.
    """
    points = PointGenerator1d([1, 2], [(0, 2), (2, 100)])([8, 4])
    segments = torch.tensor([[1., 4.], [4.5, 7.5], [2.5, 3.5]])
    cls, reg = CenterSamplingAssigner(radius=1.5).assign(
        points, segments, torch.tensor([0, 1, 2]), 3)
    expected_cls = torch.zeros(12, 3)
    expected_cls[2, 0] = expected_cls[3, 2] = expected_cls[6, 1] = 1
    expected_cls[9, 0] = 1
    torch.testing.assert_close(cls, expected_cls)
    positive = [2, 3, 6, 9]
    torch.testing.assert_close(
        reg[positive],
        torch.tensor([[1., 2.], [.5, .5], [1.5, 1.5], [.5, 1.]]))


def test_assignment_ties_radius_and_empty():
    points = PointGenerator1d([1], [(0, 100)])([8])
    # two segments of equal length, classes 0 and 1: multi-hot target
    cls, reg = CenterSamplingAssigner().assign(
        points, torch.tensor([[2.5, 3.5], [2.5, 3.5]]),
        torch.tensor([0, 1]), 2)
    assert cls[3].tolist() == [1., 1.] and cls.sum().item() == 2
    torch.testing.assert_close(reg[3], torch.tensor([.5, .5]))
    # a long segment: centre sampling keeps points within 1.5 strides of
    # its centre, no radius keeps every point strictly inside
    long = torch.tensor([[0., 7.]])
    centre, _ = CenterSamplingAssigner(radius=1.5).assign(
        points, long, torch.tensor([0]), 1)
    inside, _ = CenterSamplingAssigner(radius=None).assign(
        points, long, torch.tensor([0]), 1)
    assert centre[:, 0].nonzero()[:, 0].tolist() == [3, 4]
    assert inside[:, 0].nonzero()[:, 0].tolist() == [1, 2, 3, 4, 5, 6]
    cls, reg = CenterSamplingAssigner().assign(
        points, torch.zeros(0, 2), torch.zeros(0, dtype=torch.long), 4)
    assert cls.shape == (8, 4) and not cls.any() and reg.shape == (8, 2)


def test_focal_loss_matches_formula():
    logits = torch.randn(5, 3) * 3
    targets = (torch.rand(5, 3) > 0.5).float()
    prob = torch.sigmoid(logits)
    expected = torch.where(
        targets == 1, -0.25 * (1 - prob)**2 * torch.log(prob),
        -0.75 * prob**2 * torch.log(1 - prob))
    torch.testing.assert_close(sigmoid_focal_loss(logits, targets), expected)
    loss = MODELS.build(dict(type='SigmoidFocalLoss'))
    weight = torch.tensor([1., 0., 1., 1., 0.])[:, None]
    torch.testing.assert_close(loss(logits, targets, weight),
                               (expected * weight).sum())


def test_diou_loss_matches_segments():
    # around point 0: pred [-1, 1] vs target [-1, 3]: IoU 2/4, centres 0
    # and 1 in an enclosing length of 4; pred [-2, 0] vs [0, 2]: IoU 0,
    # centres -1 and 1, enclosing 4
    pred = torch.tensor([[1., 1.], [2., 0.], [1., 2.]])
    target = torch.tensor([[1., 3.], [0., 2.], [1., 2.]])
    torch.testing.assert_close(diou_loss_1d(pred, target),
                               torch.tensor([0.5625, 1.25, 0.]))
    loss = MODELS.build(dict(type='DIoULoss1d', loss_weight=2.))
    torch.testing.assert_close(
        loss(pred, target, torch.tensor([1., 0., 1.])),
        torch.tensor(2 * 0.5625))


def test_ema_normalizer():
    normalizer = EMALossNormalizer(init_value=100, momentum=0.9)
    assert normalizer.update(torch.tensor(10)).item() == pytest.approx(91)
    # a batch without positives counts as one
    assert normalizer.update(torch.tensor(0)).item() == pytest.approx(
        0.9 * 91 + 0.1)
    assert 'value' in normalizer.state_dict()


def test_loss_matches_direct_computation_and_reaches_every_parameter():
    model = MODELS.build(tiny_config())
    data = batch(model, [20, 13])
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_cls', 'loss_reg'}
    sum(losses.values()).backward()
    missing = [name for name, p in model.named_parameters()
               if p.requires_grad and (p.grad is None
                                       or not torch.isfinite(p.grad).all())]
    assert not missing
    assert model.loss_normalizer.value.item() != 100
    # the same numbers from the pieces, positives selected by indexing
    with torch.no_grad():
        model.loss_normalizer.value.fill_(100)
        logits, offsets, masks = model.extract(**data)
        points = model.point_generator([x.shape[1] for x in logits])
        cls_loss = reg_loss = 0
        num_pos = 0
        valid = torch.cat(masks, 1)
        for i, data_sample in enumerate(data['data_samples']):
            cls_t, reg_t = model.assigner.assign(
                points, model.grid_segments(data_sample),
                data_sample.gt_instances.labels, NUM_CLASSES)
            pos = (cls_t.sum(-1) > 0) & valid[i]
            num_pos += pos.sum().item()
            cls_loss += sigmoid_focal_loss(
                torch.cat(logits, 1)[i][valid[i]], cls_t[valid[i]]).sum()
            reg_loss += diou_loss_1d(torch.cat(offsets, 1)[i][pos],
                                     reg_t[pos]).sum()
        again = model.loss(data['inputs'], data['data_samples'])
    normalizer = 0.9 * 100 + 0.1 * num_pos
    assert num_pos > 0
    torch.testing.assert_close(again['loss_cls'], cls_loss / normalizer)
    torch.testing.assert_close(again['loss_reg'], reg_loss / normalizer)


def test_loss_without_segments_is_finite():
    model = MODELS.build(tiny_config(label_smoothing=0.1))
    data = dict(inputs=[torch.randn(IN_CHANNELS, 16)],
                data_samples=[sample(16, segments=(), labels=())])
    losses = model(**model.data_preprocessor(data, True), mode='loss')
    assert losses['loss_reg'].item() == 0
    assert torch.isfinite(losses['loss_cls'])


def test_training_batch_longer_than_max_seq_len_is_an_error():
    model = MODELS.build(tiny_config())
    with pytest.raises(ValueError, match=r'video40.*RandomFeatureTruncation'):
        batch(model, [40])
    data = batch(model, [40], training=False)
    assert data['inputs'].shape[-1] == 40  # next multiple of 4


def predictions(model, inputs, data_samples):
    out = model(inputs, data_samples, mode='predict')
    return [s.pred_instances for s in out]


def test_padding_does_not_change_predictions():
    model = MODELS.build(tiny_config(test_cfg=dict(
        pre_nms_thresh=0.005, nms=dict(sigma=0.5, max_num=50))))
    model.eval()
    features = torch.randn(1, IN_CHANNELS, 21)
    base = torch.zeros(1, IN_CHANNELS, 24)
    base[..., :21] = features
    long = torch.full((1, IN_CHANNELS, 64), 7.)  # padding holds garbage
    long[..., :21] = features
    logits_a, offsets_a, _ = model.extract(base, [sample(21)])
    logits_b, offsets_b, _ = model.extract(long, [sample(21)])
    for a, b, steps in zip(logits_a + offsets_a, logits_b + offsets_b,
                           [21, 11, 6] * 2):
        torch.testing.assert_close(a[:, :steps], b[:, :steps], atol=1e-5,
                                   rtol=1e-5)
    pred_a = predictions(model, base, [sample(21)])[0]
    pred_b = predictions(model, long, [sample(21)])[0]
    assert len(pred_a.scores) > 0
    torch.testing.assert_close(pred_a.scores, pred_b.scores, atol=1e-5,
                               rtol=1e-5)
    torch.testing.assert_close(pred_a.segments, pred_b.segments, atol=1e-4,
                               rtol=1e-5)
    assert pred_a.labels.tolist() == pred_b.labels.tolist()


def test_predict_outputs_seconds_in_the_video():
    model = MODELS.build(tiny_config())
    model.eval()
    data = batch(model, [20, 13], training=False)
    out = model(**data, mode='predict')
    for data_sample in out:
        pred = data_sample.pred_instances
        assert pred.labels.dtype == torch.int64
        assert pred.segments.shape == (len(pred.scores), 2)
        assert (pred.segments >= 0).all() and (pred.segments <= 10).all()
        assert (pred.scores[:-1] >= pred.scores[1:]).all()
        assert not pred.scores.requires_grad
        assert data_sample.video_id in ('video20', 'video13')


def test_grid_conversion_of_targets_and_predictions():
    # feature i centred at frame 2i + 2 at 4 fps: t seconds -> 2t - 1
    model = MODELS.build(tiny_config())
    one = dict(segments=((1.5, 3.), ), labels=(0, ))
    grid = model.grid_segments(sample(20, **one))
    torch.testing.assert_close(grid, torch.tensor([[2., 5.]]))
    shifted = sample(20, **one)
    shifted.set_metainfo(dict(feature_start=2))
    torch.testing.assert_close(model.grid_segments(shifted),
                               torch.tensor([[0., 3.]]))
    assert math.isclose(model.test_cfg['duration_thresh'], 0.05)
