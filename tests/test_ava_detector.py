"""Spatio-temporal action detection (AVA) without mmdet / mmcv ops:
RoIAlign pooling, IoU assignment, the multi-label loss, gradients, the
mmaction2 AVA fixtures through AVADataset, predictions scored by
mmaction2's AVAMetric, every AVA config pipeline and the toy demo."""
import copy
import csv
import json
import os
import os.path as osp
import pickle
import types
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import (DEMO, FIXTURES, REPO_ROOT, demo_config,
                      load_toy_generator)
from mmaction.evaluation.functional import ava_eval, ava_utils
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner
from mmengine.structures import InstanceData

from mmvmae.models.detectors import (MaxIoUBoxAssigner, PositiveRoISampler,
                                     RoIFeatureExtractor3D)
from mmvmae.models.heads import MultiLabelActionHead
from mmvmae.registry import DATASETS, METRICS, MODELS

AVA_FIXTURE = osp.join(FIXTURES, 'ava_dataset')
EVAL_FIXTURE = osp.join(FIXTURES, 'eval_detection')
# Known answer of the eval_detection fixture (official AVA evaluator and
# mmaction2 agree; reference notes downstream section 6.2).
EVAL_FIXTURE_MAP = 0.09385521885521886
needs_fixtures = pytest.mark.skipif(
    not osp.isdir(FIXTURES), reason='../shared fixtures absent')
MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]
DEMO_CONFIG = 'ava_vit-tiny-p8_1xb8-toy_finetune'
AVA_CONFIGS = sorted((Path(REPO_ROOT) / 'configs' / 'ava').glob('*.py'))


def tiny_detector(num_classes: int = 5, **head) -> dict:
    """A 2-block ViT (32 wide, patch 8, 4 frames) detector config."""
    return dict(
        type='SpatioTemporalDetector',
        backbone=dict(
            type='VideoViT',
            arch=dict(embed_dims=32, depth=2, num_heads=2),
            img_size=32,
            patch_size=8,
            num_frames=4,
            use_mean_pooling=False,
            out_type='featmap'),
        roi_head=dict(
            type='ActionRoIHead',
            bbox_roi_extractor=dict(
                type='RoIFeatureExtractor3D', output_size=4,
                featmap_stride=8),
            bbox_head=dict(
                type='MultiLabelActionHead',
                in_channels=32,
                num_classes=num_classes,
                topk=(1, 2),
                **head)),
        data_preprocessor=dict(
            type='DetectionDataPreprocessor',
            mean=MEAN,
            std=STD,
            pad_size_divisor=8))


def build_detector(**kwargs):
    model = MODELS.build(tiny_detector(**kwargs))
    model.init_weights()
    return model


def sgd(model) -> OptimWrapper:
    return OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))


def box_sample(gt_boxes, gt_labels, proposals=None, shape=(32, 40)):
    """An ActionDataSample with boxes as PackActionInputs packs them."""
    sample = ActionDataSample()
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor(gt_boxes, dtype=torch.float32),
        labels=torch.tensor(gt_labels, dtype=torch.float32))
    if proposals is not None:
        sample.proposals = InstanceData(
            bboxes=torch.tensor(proposals, dtype=torch.float32))
    sample.set_metainfo(dict(img_shape=shape, video_id='v', timestamp=902))
    return sample


def write_frames(root: str, video_ids, indices, size=(24, 32)) -> None:
    """Random JPEG frames ``<root>/<video>/img_%05d.jpg``."""
    rng = np.random.default_rng(0)
    for video in video_ids:
        os.makedirs(osp.join(root, video), exist_ok=True)
        for index in indices:
            frame = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
            cv2.imwrite(osp.join(root, video, f'img_{index:05}.jpg'), frame)


class SerialPool:
    """Stands in for ``multiprocessing.Pool(32)`` in mmaction2's
    ``ava_eval`` (32 processes per evaluation, never closed)."""

    def __init__(self, processes=None):
        self.processes = processes

    def map(self, func, items):
        return [func(item) for item in items]


@pytest.fixture
def serial_ava_eval(monkeypatch, tmp_path):
    """ava_eval without its process pool; AVAMetric's temporary CSV (it
    writes it in the working directory) in ``tmp_path``."""
    monkeypatch.setattr(ava_utils, 'multiprocessing',
                        types.SimpleNamespace(Pool=SerialPool))
    monkeypatch.chdir(tmp_path)


# --------------------------------------------------------------- RoIAlign
def block_means(fmap, x0, y0, x1, y1, size):
    """Mean of each of size x size equal blocks of fmap[..., y0:y1, x0:x1]."""
    region = fmap[..., y0:y1, x0:x1]
    region = region.unflatten(-2, (size, -1)).unflatten(-1, (size, -1))
    return region.mean((-3, -1))


def test_roi_align_equals_block_means_of_the_box():
    # Boxes on whole cells whose sides are multiples of the output size:
    # aligned RoIAlign samples the cell centres, i.e. the block means.
    feats = torch.arange(2 * 3 * 4 * 6 * 8, dtype=torch.float32)
    feats = feats.reshape(2, 3, 4, 6, 8).sin()  # (B, C, T, H, W)
    stride = 4
    rois = torch.tensor([[1, 8., 8., 24., 24.],  # cells x 2..6, y 2..6
                         [0, 0., 0., 32., 8.]])  # cells x 0..8, y 0..2
    cells = [(1, 2, 2, 6, 6), (0, 0, 0, 8, 2)]
    per_slice = RoIFeatureExtractor3D(
        output_size=2, featmap_stride=stride, temporal_pool=None)
    out = per_slice(feats, rois)
    assert out.shape == (2, 3, 4, 2, 2)
    for row, (b, x0, y0, x1, y1) in enumerate(cells):
        torch.testing.assert_close(
            out[row], block_means(feats[b], x0, y0, x1, y1, 2))
    for pool, reduce in (('avg', lambda x: x.mean(2)),
                         ('max', lambda x: x.amax(2))):
        pooled = RoIFeatureExtractor3D(
            output_size=2, featmap_stride=stride, temporal_pool=pool)
        out = pooled(feats, rois)
        assert out.shape == (2, 3, 1, 2, 2)
        for row, (b, x0, y0, x1, y1) in enumerate(cells):
            torch.testing.assert_close(
                out[row, :, 0],
                block_means(reduce(feats)[b], x0, y0, x1, y1, 2))


def test_roi_extractor_rejects_bad_input():
    with pytest.raises(ValueError, match='temporal_pool'):
        RoIFeatureExtractor3D(temporal_pool='sum')
    with pytest.raises(ValueError, match='rois'):
        RoIFeatureExtractor3D()(torch.zeros(1, 2, 1, 4, 4), torch.zeros(1, 4))


# ------------------------------------------------------ assigner, sampler
GT = torch.tensor([[0., 0., 10., 10.], [20., 20., 30., 30.]])
GT_LABELS = torch.tensor([[0., 1., 0., 0.], [0., 0., 1., 1.]])


def test_assigner_on_hand_made_boxes():
    boxes = torch.tensor([[0., 0., 10., 9.5],  # IoU 0.95 with gt 0
                          [0., 0., 10., 8.],  # IoU 0.8 with gt 0
                          [20., 20., 30., 30.],  # IoU 1 with gt 1
                          [50., 50., 60., 60.]])  # no overlap
    result = MaxIoUBoxAssigner(0.9, 0.9, min_pos_iou=0.9).assign(
        boxes, GT, GT_LABELS)
    assert result.gt_inds.tolist() == [1, 0, 2, 0]
    torch.testing.assert_close(result.max_ious,
                               torch.tensor([.95, .8, 1., 0.]))
    none = torch.zeros(4)
    assert torch.equal(result.labels,
                       torch.stack([GT_LABELS[0], none, GT_LABELS[1], none]))
    # Step 4: gt 0's best box (IoU 0.8) still matches with min_pos_iou 0.5;
    # IoU 0 lies outside the negative range (0.1, 0.5): ignored.
    result = MaxIoUBoxAssigner(0.9, (0.1, 0.5), min_pos_iou=0.5).assign(
        boxes[[1, 3]], GT, GT_LABELS)
    assert result.gt_inds.tolist() == [1, -1]
    # Without gts every box is negative.
    result = MaxIoUBoxAssigner(0.9, 0.9).assign(boxes, GT[:0], GT_LABELS[:0])
    assert result.gt_inds.tolist() == [0] * 4
    assert result.labels.shape == (4, 4)


def test_assigner_low_quality_ties_and_order():
    box = torch.tensor([[0., 0., 10., 10.], [0., 0., 10., 10.]])
    halves = torch.tensor([[0., 0., 10., 5.], [0., 5., 10., 10.]])
    # Both halves have IoU 0.5 with both (identical) boxes: each gt takes
    # every tied box, the later gt wins.
    result = MaxIoUBoxAssigner(0.9, 0.3, min_pos_iou=0.4).assign(
        box, halves, GT_LABELS)
    assert result.gt_inds.tolist() == [2, 2]
    result = MaxIoUBoxAssigner(
        0.9, 0.3, min_pos_iou=0.4, gt_max_assign_all=False).assign(
            box, halves, GT_LABELS)
    # The first tied box only; the other (IoU 0.5, not below 0.3) ignored.
    assert result.gt_inds.tolist() == [2, -1]
    result = MaxIoUBoxAssigner(
        0.9, 0.3, min_pos_iou=0.6).assign(box, halves, GT_LABELS)
    assert result.gt_inds.tolist() == [-1, -1]
    with pytest.raises(ValueError, match='neg_iou_thr'):
        MaxIoUBoxAssigner(0.9, (0.1, 0.2, 0.3))
    with pytest.raises(ValueError, match='multi-hot'):
        MaxIoUBoxAssigner(0.9, 0.9).assign(box, halves, torch.ones(2))


def test_sampler_keeps_ground_truth_and_positives():
    boxes = torch.tensor([[0., 0., 10., 9.5], [0., 0., 10., 8.],
                          [20., 20., 30., 30.], [50., 50., 60., 60.]])
    assignment = MaxIoUBoxAssigner(0.9, 0.9, 0.9).assign(boxes, GT,
                                                         GT_LABELS)
    picked, labels = PositiveRoISampler(num=10).sample(
        assignment, boxes, GT, GT_LABELS)
    assert torch.equal(picked, torch.cat([GT, boxes[[0, 2]]]))
    assert torch.equal(labels, GT_LABELS[[0, 1, 0, 1]])
    picked, labels = PositiveRoISampler(
        num=10, add_gt_as_proposals=False).sample(assignment, boxes, GT,
                                                  GT_LABELS)
    assert torch.equal(picked, boxes[[0, 2]])
    torch.manual_seed(0)
    picked, labels = PositiveRoISampler(num=3).sample(
        assignment, boxes, GT, GT_LABELS)
    candidates = torch.cat([GT, boxes[[0, 2]]])
    assert len(picked) == 3
    for box, label in zip(picked, labels):
        row = (candidates == box).all(1).nonzero()[0, 0]
        assert torch.equal(label, GT_LABELS[[0, 1, 0, 1]][row])
    with pytest.raises(ValueError, match='num'):
        PositiveRoISampler(num=0)


# -------------------------------------------------------------- the head
def test_head_pools_then_classifies():
    head = MultiLabelActionHead(in_channels=6, num_classes=5, topk=())
    head.init_weights()
    feats = torch.randn(
        3, 6, 2, 4, 4, generator=torch.Generator().manual_seed(0))
    expected = head.fc_cls(feats.mean(2).amax((2, 3)))
    torch.testing.assert_close(head(feats), expected)


def test_loss_equals_direct_bce():
    logits = torch.randn(4, 5, generator=torch.Generator().manual_seed(1))
    labels = torch.tensor([[1., 1., 0., 0., 0.], [0., 0., 1., 1., 0.],
                           [1., 0., 0., 0., 0.], [0., 0., 0., 0., 1.]])
    labelled = [0, 1, 3]  # row 2 has only column 0: no action
    head = MultiLabelActionHead(in_channels=2, num_classes=5, topk=(1, 2))
    expected = F.binary_cross_entropy_with_logits(logits[labelled, 1:],
                                                  labels[labelled, 1:])
    torch.testing.assert_close(
        head.loss(logits, labels)['loss_action_cls'], expected)
    # Focal factor alpha (1 - p_t)^gamma on every term.
    focal = MultiLabelActionHead(
        in_channels=2, num_classes=5, topk=(1, ), focal_alpha=0.25,
        focal_gamma=2.)
    p = logits[labelled, 1:].sigmoid()
    y = labels[labelled, 1:]
    p_t = torch.where(y > 0, p, 1 - p)
    expected = (-0.25 * (1 - p_t)**2 * p_t.log()).mean()
    torch.testing.assert_close(
        focal.loss(logits, labels)['loss_action_cls'], expected)
    # Without a background column every labelled row and column counts.
    plain = MultiLabelActionHead(
        in_channels=2, num_classes=5, topk=(1, ), background_class=False)
    torch.testing.assert_close(
        plain.loss(logits, labels)['loss_action_cls'],
        F.binary_cross_entropy_with_logits(logits, labels))
    # No labelled box: a zero loss that still backpropagates.
    empty = logits.clone().requires_grad_()
    loss = head.loss(empty, labels[[2]].expand(4, -1))['loss_action_cls']
    loss.backward()
    assert loss.item() == 0 and torch.equal(empty.grad, torch.zeros(4, 5))


def test_logged_recall_and_precision():
    head = MultiLabelActionHead(in_channels=2, num_classes=5, topk=(1, 3))
    # Classes 1..4 after dropping column 0: probabilities ~[1, 0, .95, 0].
    logits = torch.tensor([[0., 9., -9., 3., -9.]])
    labels = torch.tensor([[0., 1., 0., 1., 0.]])
    logs = head.loss(logits, labels)
    assert logs['recall@thr=0.5'] == 1 and logs['prec@thr=0.5'] > 0.999
    assert logs['recall@top1'] == 0.5 and logs['prec@top1'] > 0.999
    assert logs['recall@top3'] == 1
    assert logs['prec@top3'] == pytest.approx(2 / 3, abs=1e-5)
    with pytest.raises(ValueError, match='topk'):
        MultiLabelActionHead(in_channels=2, num_classes=5, topk=(5, ))
    with pytest.raises(ValueError, match='pools'):
        MultiLabelActionHead(in_channels=2, spatial_pool='sum')


# ------------------------------------------------------------ the model
def batch_of_two():
    labels = [[0, 1, 0, 0, 0], [0, 0, 1, 0, 1]]
    samples = [
        box_sample([[2., 3., 20., 30.], [10., 5., 30., 25.]], labels,
                   [[2., 3., 20., 30.5], [0., 0., 8., 8.]]),
        box_sample([[0., 0., 40., 32.]], labels[:1], None),
    ]
    inputs = [
        torch.randint(0, 256, (3, 4, 30, 37), dtype=torch.uint8,
                      generator=torch.Generator().manual_seed(i))
        for i in range(2)
    ]
    return dict(inputs=inputs, data_samples=samples)


def test_preprocessor_pads_to_the_patch_size():
    model = build_detector()
    data = model.data_preprocessor(batch_of_two(), True)
    inputs = data['inputs']
    assert inputs.shape == (2, 3, 4, 32, 40)
    assert not inputs[..., 30:, :].any() and not inputs[..., 37:].any()
    mean = torch.tensor(MEAN).view(3, 1, 1, 1)
    std = torch.tensor(STD).view(3, 1, 1, 1)
    raw = batch_of_two()['inputs'][0].float()
    torch.testing.assert_close(inputs[0, ..., :30, :37], (raw - mean) / std)
    assert data['data_samples'][0].batch_input_shape == (32, 40)
    with pytest.raises(ValueError, match='blending'):
        MODELS.build(dict(type='DetectionDataPreprocessor',
                          blending=dict(type='MixupBlending',
                                        num_classes=5)))


def test_gradients_reach_every_parameter(seeded):
    model = build_detector(dropout_ratio=0.5)
    model.train()
    losses = model(**model.data_preprocessor(batch_of_two(), True),
                   mode='loss')
    loss = losses['loss_action_cls']
    assert torch.isfinite(loss)
    loss.backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_predict_scores_every_proposal(seeded):
    model = build_detector().eval()
    batch = batch_of_two()
    batch['data_samples'][1].proposals = InstanceData(
        bboxes=torch.tensor([[4., 8., 20., 16.]]))
    with torch.no_grad():
        out = model(**model.data_preprocessor(batch, False), mode='predict')
    first, second = (s.pred_instances for s in out)
    assert first.scores.shape == (2, 5) and second.scores.shape == (1, 5)
    assert ((first.scores > 0) & (first.scores < 1)).all()
    # Boxes back in [0, 1] of the (32 x 40) frame.
    torch.testing.assert_close(second.bboxes,
                               torch.tensor([[.1, .25, .5, .5]]))
    feats = model(model.data_preprocessor(batch, False)['inputs'])
    assert feats.shape == (2, 32, 2, 4, 5)


def test_mmaction2_detector_weights_load_and_agree():
    # mmaction2's FastRCNN names: backbone.* (VisionTransformer with
    # return_feat_map) and roi_head.bbox_head.fc_cls.*; same feature map,
    # also on a non-square frame.
    from mmaction.models.backbones.vit_mae import VisionTransformer
    torch.manual_seed(0)
    reference = VisionTransformer(
        img_size=32, patch_size=8, embed_dims=32, depth=2, num_heads=2,
        num_frames=4, use_mean_pooling=False, return_feat_map=True).eval()
    state = {f'backbone.{k}': v for k, v in reference.state_dict().items()}
    state['roi_head.bbox_head.fc_cls.weight'] = torch.randn(5, 32)
    state['roi_head.bbox_head.fc_cls.bias'] = torch.randn(5)
    model = MODELS.build(tiny_detector()).eval()
    model.load_state_dict(state, strict=True)
    clip = torch.randn(2, 3, 4, 32, 48)
    with torch.no_grad():
        torch.testing.assert_close(model(clip), reference(clip),
                                   atol=1e-5, rtol=1e-5)


def test_box_transforms_are_undone():
    head = MODELS.build(tiny_detector()['roi_head'])
    boxes = torch.tensor([[4., 8., 20., 16.]])
    meta = dict(img_shape=(32, 40), flip=True,
                crop_quadruple=np.array([.5, .25, .5, .5]))
    # Unflip (x -> 40 - x), normalize, then place inside the crop.
    expected = torch.tensor([[.5 + .5 * 20 / 40, .25 + .5 * 8 / 32,
                              .5 + .5 * 36 / 40, .25 + .5 * 16 / 32]])
    torch.testing.assert_close(head.frame_boxes(boxes, meta, 0), expected)
    with pytest.raises(KeyError, match='img_shape'):
        head.frame_boxes(boxes, {}, 3)


def test_bad_models_and_samples_fail_clearly():
    cfg = tiny_detector()
    cfg['roi_head']['bbox_roi_extractor']['featmap_stride'] = 16
    with pytest.raises(ValueError, match='featmap_stride'):
        MODELS.build(cfg)
    cfg = tiny_detector()
    cfg['backbone']['use_mean_pooling'] = True
    with pytest.raises(ValueError, match='use_mean_pooling'):
        MODELS.build(cfg)
    cfg = tiny_detector()
    cfg['backbone']['out_type'] = 'avg'
    with pytest.raises(ValueError, match='featmap'):
        MODELS.build(cfg)
    model = build_detector()
    batch = model.data_preprocessor(batch_of_two(), False)
    with pytest.raises(KeyError, match='data sample 1 has no proposals'):
        model(**batch, mode='predict')
    del batch['data_samples'][0].gt_instances
    with pytest.raises(KeyError, match='data sample 0 has no gt_instances'):
        model(**batch, mode='loss')
    with pytest.raises(ValueError, match='one clip per keyframe'):
        model(torch.zeros(2, 3, 3, 4, 32, 32))
    with pytest.raises(ValueError, match='mode'):
        model(torch.zeros(1, 3, 4, 32, 32), mode='features')


# ------------------------------------------- mmaction2 fixtures, AVAMetric
def read_predictions(path: str) -> list:
    """pred.csv rows grouped into one data sample per keyframe, as the
    detector outputs them (num_classes = 4: column 0 + 3 actions)."""
    rows = defaultdict(lambda: defaultdict(lambda: np.zeros(4, np.float32)))
    with open(path) as f:
        for video, ts, x1, y1, x2, y2, action, score in csv.reader(f):
            box = tuple(float(v) for v in (x1, y1, x2, y2))
            rows[(video, int(ts))][box][int(action)] = float(score)
    samples = []
    for (video, ts), boxes in rows.items():
        sample = ActionDataSample()
        sample.set_metainfo(dict(video_id=video, timestamp=ts))
        sample.pred_instances = InstanceData(
            bboxes=torch.tensor(list(boxes)),
            scores=torch.tensor(np.stack(list(boxes.values()))))
        samples.append(sample.to_dict())
    return samples


def eval_fixture_metric():
    return METRICS.build(
        dict(type='AVAMetric', ann_file=osp.join(EVAL_FIXTURE, 'gt.csv'),
             exclude_file=None,
             label_file=osp.join(EVAL_FIXTURE, 'action_list.txt'),
             num_classes=4))


@needs_fixtures
@pytest.mark.filterwarnings('ignore:Mean of empty slice')
def test_ava_metric_known_answer(serial_ava_eval):
    result = ava_eval(
        osp.join(EVAL_FIXTURE, 'pred.csv'), 'mAP',
        osp.join(EVAL_FIXTURE, 'action_list.txt'),
        osp.join(EVAL_FIXTURE, 'gt.csv'), None, verbose=False)
    assert result['overall'] == pytest.approx(EVAL_FIXTURE_MAP, abs=1e-12)
    # The same predictions in the detector's output format.
    metric = eval_fixture_metric()
    metric.process(None, read_predictions(osp.join(EVAL_FIXTURE,
                                                   'pred.csv')))
    assert metric.evaluate(len(metric.results))['mAP/overall'] == (
        pytest.approx(EVAL_FIXTURE_MAP, abs=1e-12))


@needs_fixtures
@pytest.mark.filterwarnings('ignore:Mean of empty slice')
def test_ava_metric_class_without_ground_truth(tmp_path, serial_ava_eval):
    # A fourth class in the label map, scored on every box but absent from
    # the ground truth: its AP is NaN (np.NAN, restored for NumPy 2 by
    # mmvmae.compat.numpy_nan_alias) and left out of the mean.
    label_file = tmp_path / 'actions.pbtxt'
    label_file.write_text(
        open(osp.join(EVAL_FIXTURE, 'action_list.txt')).read() +
        'item {\n  name: "action4"\n  id: 4\n}\n')
    samples = read_predictions(osp.join(EVAL_FIXTURE, 'pred.csv'))
    for sample in samples:
        scores = sample['pred_instances']['scores']
        sample['pred_instances']['scores'] = torch.cat(
            [scores, torch.full((len(scores), 1), 0.5)], 1)
    metric = METRICS.build(
        dict(type='AVAMetric', ann_file=osp.join(EVAL_FIXTURE, 'gt.csv'),
             exclude_file=None, label_file=str(label_file), num_classes=5))
    metric.process(None, samples)
    assert metric.evaluate(len(samples))['mAP/overall'] == pytest.approx(
        EVAL_FIXTURE_MAP, abs=1e-12)


def fixture_pipeline(test_mode: bool) -> list:
    sampler = dict(type='SampleAVAFrames', clip_len=4, frame_interval=2,
                   test_mode=test_mode)
    if test_mode:
        middle = [dict(type='Resize', scale=(-1, 32))]
    else:
        middle = [dict(type='RandomRescale', scale_range=(32, 40)),
                  dict(type='RandomCrop', size=32),
                  dict(type='Flip', flip_ratio=0.5)]
    return [sampler, dict(type='RawFrameDecode'), *middle,
            dict(type='FormatShape', input_format='NCTHW', collapse=True),
            dict(type='PackActionInputs')]


@needs_fixtures
def test_ava_dataset_fixture_through_pipeline_and_model(tmp_path, seeded):
    # fps 4: keyframe 902 is frame 4 * (902 - 900) + 1 = 9.
    write_frames(str(tmp_path), ('0f39OWEqJ24', '_-Z6wFjXtGQ'), range(1, 24))
    common = dict(
        type='AVADataset',
        ann_file=osp.join(AVA_FIXTURE, 'ava_sample.csv'),
        label_file=osp.join(AVA_FIXTURE, 'action_list.txt'),
        proposal_file=osp.join(AVA_FIXTURE, 'ava_proposals_sample.pkl'),
        data_prefix=dict(img=str(tmp_path)),
        fps=4)
    excluded = DATASETS.build(dict(
        common, exclude_file=osp.join(
            AVA_FIXTURE, 'ava_excluded_timestamps_sample.csv'),
        pipeline=fixture_pipeline(False)))
    assert len(excluded) == 1  # two of the three keyframes are excluded
    dataset = DATASETS.build(dict(common, pipeline=fixture_pipeline(False)))
    samples = [dataset[i] for i in range(len(dataset))]
    assert [s['data_samples'].img_key for s in samples] == [
        '0f39OWEqJ24,0902', '0f39OWEqJ24,0903', '_-Z6wFjXtGQ,0902']
    first = samples[0]['data_samples']
    assert samples[0]['inputs'].shape == (3, 4, 32, 32)
    assert first.gt_instances.labels.shape == (1, 81)
    assert first.gt_instances.labels[0].nonzero().flatten().tolist() == [
        12, 17, 79]
    assert (first.gt_instances.bboxes >= 0).all()
    assert (first.gt_instances.bboxes <= 32).all()
    model = build_detector(num_classes=81, dropout_ratio=0.5)
    losses = model.train_step(pseudo_collate(samples),
                              optim_wrapper=sgd(model))
    assert torch.isfinite(losses['loss'])

    # Test mode: the predictions are the proposals, back in [0, 1].
    dataset = DATASETS.build(dict(common, pipeline=fixture_pipeline(True),
                                  test_mode=True))
    model.eval()
    outputs = model.test_step(pseudo_collate([dataset[i] for i in
                                              range(len(dataset))]))
    proposals = pickle.load(open(common['proposal_file'], 'rb'))
    for output in outputs:
        expected = proposals[output.img_key]
        expected = expected[expected[:, 4] >= min(0.9, expected[:, 4].max())]
        torch.testing.assert_close(
            output.pred_instances.bboxes,
            torch.tensor(expected[:, :4], dtype=torch.float32))
        assert output.pred_instances.scores.shape == (len(expected), 81)


@needs_fixtures
@pytest.mark.filterwarnings('ignore:Mean of empty slice')
def test_predictions_scored_by_ava_metric(tmp_path, serial_ava_eval, seeded):
    # The eval_detection keyframes through AVADataset and the detector: the
    # predicted boxes are the proposals; with pred.csv's scores on them,
    # AVAMetric gives the fixture's known answer.
    frames = str(tmp_path / 'frames')
    keyframes = {'3reY9zJKhqN': 1774, 'HmR8SmNIoxu': 1384,
                 '5HNXoce1raG': 1097}
    for video, ts in keyframes.items():  # fps 1: keyframe at ts - 900 + 1
        write_frames(frames, [video], range(ts - 903, ts - 895))
    dataset = DATASETS.build(dict(
        type='AVADataset',
        ann_file=osp.join(EVAL_FIXTURE, 'gt.csv'),
        label_file=osp.join(EVAL_FIXTURE, 'action_list.txt'),
        proposal_file=osp.join(EVAL_FIXTURE, 'proposal.pkl'),
        data_prefix=dict(img=frames),
        fps=1,
        num_classes=4,
        pipeline=fixture_pipeline(True),
        test_mode=True))
    model = build_detector(num_classes=4).eval()
    outputs = model.test_step(pseudo_collate([dataset[i] for i in
                                              range(len(dataset))]))
    metric = eval_fixture_metric()
    metric.process(None, [o.to_dict() for o in outputs])
    own = metric.evaluate(len(outputs))['mAP/overall']
    assert 0 <= own <= 1
    reference = {(s['video_id'], tuple(np.round(b.tolist(), 3))): score
                 for s in read_predictions(osp.join(EVAL_FIXTURE,
                                                    'pred.csv'))
                 for b, score in zip(s['pred_instances']['bboxes'],
                                     s['pred_instances']['scores'])}
    for output in outputs:
        pred = output.pred_instances
        pred.scores = torch.stack([
            reference[(output.video_id, tuple(np.round(b.tolist(), 3)))]
            for b in pred.bboxes
        ])
    metric.process(None, [o.to_dict() for o in outputs])
    assert metric.evaluate(len(outputs))['mAP/overall'] == pytest.approx(
        EVAL_FIXTURE_MAP, abs=1e-12)


# ------------------------------------------------------- config pipelines
@needs_fixtures
@pytest.mark.parametrize(
    'path', [*AVA_CONFIGS, Path(DEMO) / f'{DEMO_CONFIG}.py'],
    ids=lambda p: p.name)
def test_config_pipelines_on_the_ava_fixture(path, tmp_path, seeded):
    # The configs' own train / test pipelines on the fixture's keyframes
    # (30 fps from frame 1: keyframe 902 is frame 61).
    cfg = Config.fromfile(str(path))
    write_frames(str(tmp_path), ('0f39OWEqJ24', '_-Z6wFjXtGQ'),
                 range(1, 110))
    backbone = cfg.model.backbone
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        pipeline = copy.deepcopy(cfg[name].dataset.pipeline)
        dataset = DATASETS.build(dict(
            type='AVADataset',
            ann_file=osp.join(AVA_FIXTURE, 'ava_sample.csv'),
            label_file=osp.join(AVA_FIXTURE, 'action_list.txt'),
            proposal_file=osp.join(AVA_FIXTURE, 'ava_proposals_sample.pkl'),
            data_prefix=dict(img=str(tmp_path)),
            pipeline=pipeline,
            test_mode=name != 'train_dataloader'))
        packed = dataset[2]  # '_-Z6wFjXtGQ,0902'
        clip = packed['inputs']
        assert clip.shape[:2] == (3, backbone.num_frames), name
        sizes = {t['type']: t for t in pipeline}
        if 'RandomCrop' in sizes:
            crop = sizes['RandomCrop']['size']
            assert clip.shape[2:] == (crop, crop), name
        else:  # frames 24 x 32: the height is the short side
            assert clip.shape[2] == sizes['Resize']['scale'][1], name
        sample = packed['data_samples']
        assert len(sample.proposals.bboxes) == 2  # the two scored >= 0.9
        assert sample.gt_instances.labels.shape == (1, 81)


# ---------------------------------------------------------------- the demo
def toy_ava_config(toy_det_data, work_dir, **options):
    """The demo config on the toy_det_data fixture, from scratch."""
    kwargs_of = load_toy_generator('generate_toy_detection').ava_dataset_kwargs
    with open(toy_det_data['meta']) as f:
        meta = json.load(f)
    cfg = demo_config(DEMO_CONFIG, toy_det_data['root'], work_dir, **options)
    cfg.model.backbone.init_cfg = None
    for loader, split in (('train_dataloader', 'train'),
                          ('val_dataloader', 'val'),
                          ('test_dataloader', 'val')):
        cfg[loader].dataset.update(kwargs_of(toy_det_data, split, meta))
    cfg.val_evaluator.update(
        ann_file=toy_det_data['ava_val_csv'],
        exclude_file=toy_det_data['ava_val_excluded'],
        label_file=toy_det_data['ava_action_list'])
    cfg.test_evaluator = cfg.val_evaluator
    return cfg


@pytest.mark.filterwarnings('ignore:Mean of empty slice')
def test_toy_demo_trains_and_evaluates(toy_det_data, tmp_path,
                                       serial_ava_eval):
    cfg = toy_ava_config(
        toy_det_data, str(tmp_path / 'work'), **{
            'train_cfg.max_epochs': 1,
            'train_dataloader.dataset.indices': 16,
            'val_dataloader.dataset.indices': 8,
            'default_hooks.checkpoint': dict(
                interval=-1, save_last=False, save_best=None),
        })
    runner = Runner.from_cfg(cfg)
    runner.train()
    loss = runner.message_hub.get_scalar('train/loss_action_cls').current()
    assert np.isfinite(loss)
    # The last epoch ends with a validation: AVAMetric on 8 keyframes.
    assert 0 <= runner.message_hub.get_scalar(
        'val/mAP/overall').current() <= 1
    batch = next(iter(runner.val_dataloader))
    assert batch['inputs'][0].shape == (3, 8, 64, 64)
