"""Temporal detection mAP: known answers, mmaction2 cross-check, edge cases."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from conftest import FIXTURES
from mmaction.evaluation.functional.eval_detection import \
    ActivityNetLocalization
from mmaction.structures import ActionDataSample
from mmengine.evaluator import Evaluator
from mmengine.structures import InstanceData

from mmvmae.evaluation.functional import (interpolated_average_precision,
                                          load_tad_annotations,
                                          tad_average_precision,
                                          tad_mean_average_precision,
                                          tad_topkx_recall)
from mmvmae.registry import METRICS

LOCALIZATION = osp.join(FIXTURES, 'eval_localization')
needs_fixture = pytest.mark.skipif(
    not osp.isdir(LOCALIZATION), reason='../shared fixtures absent')
# Averages of the official ActivityNet evaluator, mmaction2's
# ActivityNetLocalization and ActionFormer's ANETdetection on the fixture
KNOWN = [
    (np.linspace(0.5, 0.95, 10), 0.61775794),
    (np.linspace(0.3, 0.7, 5), 0.7625),
    (np.linspace(0.1, 0.5, 5), 0.86547619),
]
KNOWN_PER_TIOU = [0.714286, 0.714286, 0.714286, 0.6875, 0.6875, 0.597222,
                  0.520833, 0.520833, 0.520833, 0.5]


def fixture_as_dicts():
    """The mmaction2 fixture as ``video_id -> arrays`` (GT ids lose their
    ``v_`` prefix and class names become indices in order of first
    appearance, as ActivityNetLocalization does)."""
    with open(osp.join(LOCALIZATION, 'gt.json')) as f:
        gt_json = json.load(f)
    with open(osp.join(LOCALIZATION, 'result.json')) as f:
        results = json.load(f)['results']
    names = {}
    ground_truth = {}
    for video_id, video in gt_json.items():
        annotations = video['annotations']
        ground_truth[video_id[2:]] = dict(
            segments=[a['segment'] for a in annotations],
            labels=np.array([names.setdefault(a['label'], len(names))
                             for a in annotations]),
            duration=video['duration'])
    predictions = {
        video_id: dict(
            segments=[p['segment'] for p in preds],
            scores=[p['score'] for p in preds],
            labels=np.array([names[p['label']] for p in preds]))
        for video_id, preds in results.items()
    }
    return ground_truth, predictions, list(names)


def write_database(path, ground_truth, names, subset='validation',
                   extra=None):
    """An ActivityNet/ActionFormer JSON of ``ground_truth``."""
    database = {
        video_id: dict(
            subset=subset, duration=gt.get('duration', 100.),
            annotations=[
                dict(segment=list(map(float, segment)),
                     label=names[label], label_id=int(label))
                for segment, label in zip(gt['segments'], gt['labels'])
            ])
        for video_id, gt in ground_truth.items()
    }
    database.update(extra or {})
    with open(path, 'w') as f:
        json.dump(dict(version='test', database=database), f)
    return str(path)


def data_samples(predictions, ground_truth=None):
    samples = []
    for video_id, pred in predictions.items():
        sample = ActionDataSample(metainfo=dict(video_id=video_id))
        sample.pred_instances = InstanceData(
            segments=torch.tensor(pred['segments'], dtype=torch.float64),
            scores=torch.tensor(pred['scores'], dtype=torch.float64),
            labels=torch.as_tensor(pred['labels']))
        if ground_truth is not None:
            sample.gt_instances = InstanceData(
                segments=torch.tensor(ground_truth[video_id]['segments'],
                                      dtype=torch.float64).reshape(-1, 2),
                labels=torch.as_tensor(ground_truth[video_id]['labels']))
        samples.append(sample)
    return samples


def evaluate(metric_cfg, samples):
    """Run a metric through mmengine's Evaluator (dict data samples)."""
    evaluator = Evaluator(dict(type='mmvmae.TADmAPMetric', **metric_cfg))
    evaluator.process(samples)
    return evaluator.evaluate(len(samples))


@needs_fixture
@pytest.mark.parametrize('thresholds, average', KNOWN)
def test_known_answers_functional(thresholds, average):
    ground_truth, predictions, _ = fixture_as_dicts()
    result = tad_mean_average_precision(ground_truth, predictions,
                                        thresholds)
    assert result['average_mAP'] == pytest.approx(average, abs=1e-8)
    assert result['ap'].shape == (len(thresholds), 2)
    if len(thresholds) == 10:
        np.testing.assert_allclose(result['mAP'], KNOWN_PER_TIOU, atol=1e-6)


@needs_fixture
def test_known_answer_through_metric_and_ann_file(tmp_path):
    ground_truth, predictions, names = fixture_as_dicts()
    ann_file = write_database(
        tmp_path / 'gt.json', ground_truth, names,
        extra=dict(train_video=dict(subset='training', annotations=[
            dict(segment=[0., 5.], label=names[0], label_id=0)])))
    samples = data_samples(predictions)
    metrics = evaluate(dict(ann_file=ann_file, subset='validation'),
                       samples)
    assert metrics['tad/mAP'] == pytest.approx(0.61775794, abs=1e-8)
    assert list(metrics)[:2] == ['tad/mAP@0.50', 'tad/mAP@0.55']
    assert len(metrics) == 11
    for key, value in zip(list(metrics)[:10], KNOWN_PER_TIOU):
        assert metrics[key] == pytest.approx(value, abs=1e-5)
    # label ids instead of names
    metrics = evaluate(
        dict(ann_file=ann_file, subset='validation', label_key='label_id',
             tiou_thresholds=np.linspace(0.1, 0.5, 5).tolist()),
        samples)
    assert metrics['tad/mAP'] == pytest.approx(0.86547619, abs=1e-8)
    # ground truth from the data samples gives the same numbers
    metrics_gt = evaluate(dict(tiou_thresholds=[0.1, 0.2, 0.3, 0.4, 0.5]),
                          data_samples(predictions, ground_truth))
    assert metrics_gt == pytest.approx(metrics, abs=1e-12)


def random_detection_set(seed, num_videos=6, num_classes=3):
    rng = np.random.default_rng(seed)
    ground_truth, predictions = {}, {}
    for v in range(num_videos):
        num_gt = rng.integers(1, 5)
        starts = rng.uniform(0, 80, num_gt)
        ground_truth[f'vid{v}'] = dict(
            segments=np.stack([starts, starts + rng.uniform(2, 20, num_gt)],
                              1),
            labels=rng.integers(0, num_classes, num_gt))
        if v == num_videos - 1:
            continue  # a video without predictions: its GT is missed
        num_pred = rng.integers(3, 15)
        # jittered copies of the ground truth plus random segments
        source = ground_truth[f'vid{v}']
        pick = rng.integers(0, num_gt, num_pred)
        starts = source['segments'][pick, 0] + rng.normal(0, 3, num_pred)
        ends = source['segments'][pick, 1] + rng.normal(0, 3, num_pred)
        ends = np.maximum(ends, starts + 0.5)
        labels = np.where(rng.random(num_pred) < 0.8, source['labels'][pick],
                          rng.integers(0, num_classes, num_pred))
        predictions[f'vid{v}'] = dict(segments=np.stack([starts, ends], 1),
                                      scores=rng.random(num_pred),
                                      labels=labels)
    return ground_truth, predictions


@pytest.mark.parametrize('seed', range(5))
def test_matches_mmaction2_activitynet_localization(tmp_path, seed):
    ground_truth, predictions = random_detection_set(seed)
    thresholds = np.linspace(0.3, 0.9, 7)
    gt_json, first_seen = {}, []
    for video_id, gt in ground_truth.items():
        gt_json['v_' + video_id] = dict(annotations=[
            dict(segment=segment.tolist(), label=f'c{label}')
            for segment, label in zip(gt['segments'], gt['labels'])
        ])
        for label in gt['labels'].tolist():
            if label not in first_seen:
                first_seen.append(label)
    # mmaction2 needs every predicted label among the GT labels
    predictions = {
        video_id: {key: value[np.isin(pred['labels'], first_seen)]
                   for key, value in pred.items()}
        for video_id, pred in predictions.items()
    }
    result_json = dict(results={
        video_id: [
            dict(segment=segment.tolist(), label=f'c{label}',
                 score=float(score))
            for segment, label, score in zip(
                pred['segments'], pred['labels'], pred['scores'])
        ]
        for video_id, pred in predictions.items()
    })
    (tmp_path / 'gt.json').write_text(json.dumps(gt_json))
    (tmp_path / 'result.json').write_text(json.dumps(result_json))
    oracle = ActivityNetLocalization(
        str(tmp_path / 'gt.json'), str(tmp_path / 'result.json'),
        tiou_thresholds=thresholds)
    want_map, want_average = oracle.evaluate()
    got = tad_mean_average_precision(ground_truth, predictions, thresholds)
    np.testing.assert_allclose(got['mAP'], want_map, rtol=0, atol=1e-12)
    assert got['average_mAP'] == pytest.approx(want_average, abs=1e-12)
    columns = [int(np.flatnonzero(got['classes'] == label)[0])
               for label in first_seen]
    np.testing.assert_allclose(got['ap'][:, columns], oracle.ap, atol=1e-12)
    assert 0 < got['average_mAP'] < 1


def test_interpolated_average_precision_by_hand():
    # TP, FP, TP of 2 GT: precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1;
    # interpolated: 1 up to recall 1/2, then 2/3 -> 1/2 + 1/3
    assert interpolated_average_precision(
        [1, 0.5, 2 / 3], [0.5, 0.5, 1.]) == pytest.approx(0.5 + 1 / 3)
    assert interpolated_average_precision([], []) == 0.


def test_greedy_matching_each_gt_once():
    gt_ids, gt_segments = ['a', 'a'], [[0., 10.], [20., 30.]]
    # two detections of the first GT (the second is a duplicate, FP at
    # every threshold), one of the second at IoU 0.5, one in another video
    pred_ids = ['a', 'a', 'a', 'b']
    pred_segments = [[0., 10.], [1., 10.], [25., 30.], [0., 10.]]
    scores = [0.9, 0.8, 0.7, 0.95]
    ap = tad_average_precision(gt_ids, gt_segments, pred_ids, pred_segments,
                               scores, [0.5, 0.6])
    # ranks: b (FP), a0 (TP), a1 (FP), a2 (TP at 0.5 only)
    # @0.5: precision 0, 1/2, 1/3, 1/2 at recall 0, 1/2, 1/2, 1
    #       -> 1/2 * 1/2 + 1/2 * 1/2
    # @0.6: only a0 -> 1/2 * 1/2
    np.testing.assert_allclose(ap, [0.5, 0.25])
    with pytest.raises(ValueError, match='without ground truth'):
        tad_average_precision([], np.zeros((0, 2)), pred_ids, pred_segments,
                              scores, [0.5])


def test_each_prediction_takes_the_best_free_gt():
    # the first prediction overlaps both GTs and takes the better one, so
    # the second prediction still finds the other GT
    # (taking the first GT above the threshold would leave the second
    # prediction without a match)
    gt = {'v': dict(segments=[[4., 14.], [0., 10.]], labels=[0, 0])}
    pred = {'v': dict(segments=[[1., 11.], [5., 14.]], scores=[0.9, 0.8],
                      labels=[0, 0])}
    result = tad_mean_average_precision(gt, pred, [0.5])
    assert result['average_mAP'] == pytest.approx(1.)


def test_topkx_recall_by_hand():
    gt = {'a': dict(segments=[[0., 10.], [20., 30.]], labels=[0, 0]),
          'b': dict(segments=[[0., 10.]], labels=[1])}
    pred = {'a': dict(segments=[[0., 10.], [0., 9.], [21., 30.], [50, 60]],
                      scores=[0.9, 0.8, 0.3, 0.95], labels=[0, 0, 0, 0]),
            'b': dict(segments=[[5., 10.]], scores=[0.5], labels=[1])}
    recall = tad_topkx_recall(gt, pred, [0.5, 0.95], top_k=(1, 2))
    # class 0, k=1: top 2 of 'a' = [50,60], [0,10] -> 1 of 2 GT
    #          k=2: top 4 -> both (IoU 0.9 of [21,30] fails 0.95)
    # class 1: [5,10] has IoU 0.5 with [0,10]
    np.testing.assert_allclose(recall, [[(0.5 + 1) / 2, (1 + 1) / 2],
                                        [(0.5 + 0) / 2, (0.5 + 0) / 2]])
    with pytest.raises(ValueError, match='top_k'):
        tad_topkx_recall(gt, pred, [0.5], top_k=(0, ))


def test_metric_recall_and_top_k_and_missing_video(tmp_path):
    ground_truth, predictions = random_detection_set(0)
    names = ['x', 'y', 'z']
    ann_file = write_database(tmp_path / 'gt.json', ground_truth, names)
    cfg = dict(ann_file=ann_file, tiou_thresholds=[0.5, 0.7],
               recall_top_kx=(1, 5), classes=names)
    metrics = evaluate(cfg, data_samples(predictions))
    assert set(metrics) == {
        'tad/mAP@0.50', 'tad/mAP@0.70', 'tad/mAP', 'tad/Recall@1x@0.50',
        'tad/Recall@5x@0.50', 'tad/Recall@1x@0.70', 'tad/Recall@5x@0.70'
    }
    want = tad_topkx_recall(ground_truth, predictions, [0.5, 0.7], (1, 5))
    assert metrics['tad/Recall@5x@0.70'] == pytest.approx(want[1, 1])
    # top_k=1 keeps one prediction per video: never better
    top1 = evaluate(dict(cfg, top_k=1), data_samples(predictions))
    assert top1['tad/mAP'] <= metrics['tad/mAP']
    kept = {video_id: {key: value[[int(np.argmax(pred['scores']))]]
                       for key, value in pred.items()}
            for video_id, pred in predictions.items()}
    assert top1['tad/mAP'] == pytest.approx(tad_mean_average_precision(
        ground_truth, kept, [0.5, 0.7])['average_mAP'])
    # the video without predictions (vid5) still counts its GT as missed
    assert 'vid5' not in predictions
    without = {k: v for k, v in ground_truth.items() if k != 'vid5'}
    assert metrics['tad/mAP'] < tad_mean_average_precision(
        without, predictions, [0.5, 0.7])['average_mAP']


def test_bad_predictions_raise_or_are_counted():
    gt = {'a': dict(segments=[[0., 10.]], labels=[0])}
    good = dict(segments=[[0., 10.]], scores=[0.9], labels=[0])
    with pytest.raises(ValueError, match=r"videos without ground truth.*'b'"):
        tad_mean_average_precision(gt, {'a': good, 'b': good}, [0.5])
    counted = tad_mean_average_precision(
        gt, {'a': good, 'b': dict(good, scores=[0.95])}, [0.5],
        unknown_videos='false_positive')
    assert counted['num_unknown_video_predictions'] == 1
    assert counted['average_mAP'] == pytest.approx(0.5)  # FP ranked first
    with pytest.raises(ValueError, match=r"video 'a'.*ends before"):
        tad_mean_average_precision(
            gt, {'a': dict(good, segments=[[10., 0.]])}, [0.5])
    with pytest.raises(ValueError, match=r'in \[0, 2\)'):
        tad_mean_average_precision(gt, {'a': dict(good, labels=[2])}, [0.5],
                                   num_classes=2)
    with pytest.raises(ValueError, match='integers'):
        tad_mean_average_precision(gt, {'a': dict(good, labels=[0.5])},
                                   [0.5])
    with pytest.raises(ValueError, match='non-finite'):
        tad_mean_average_precision(
            gt, {'a': dict(good, scores=[float('nan')])}, [0.5])
    with pytest.raises(ValueError, match='tiou_thresholds'):
        tad_mean_average_precision(gt, {'a': good}, [0.])
    # a class predicted but absent from the GT is not evaluated, only
    # counted; a GT class never predicted has AP 0
    gt2 = {'a': dict(segments=[[0., 10.], [20., 30.]], labels=[0, 1])}
    result = tad_mean_average_precision(
        gt2, {'a': dict(segments=[[0., 10.], [0., 10.]], scores=[0.9, 0.8],
                        labels=[0, 3])}, [0.5])
    assert result['classes'].tolist() == [0, 1]
    assert result['num_ignored_predictions'] == 1
    np.testing.assert_allclose(result['ap'], [[1., 0.]])
    with pytest.raises(ValueError, match='no segments'):
        tad_mean_average_precision(
            {'a': dict(segments=np.zeros((0, 2)), labels=[])},
            {'a': good}, [0.5])


def test_annotation_loading(tmp_path):
    ground_truth = {'a': dict(segments=[[1., 2.]], labels=[1]),
                    'b': dict(segments=np.zeros((0, 2)), labels=[])}
    names = ['walk', 'run']
    ann_file = write_database(tmp_path / 'db.json', ground_truth, names)
    loaded, classes = load_tad_annotations(ann_file, 'Validation')
    assert classes is None and list(loaded) == ['a', 'b']
    assert loaded['a']['labels'].tolist() == [1]  # via label_id
    assert loaded['b']['segments'].shape == (0, 2)
    classes_file = tmp_path / 'classes.txt'
    classes_file.write_text('run\nwalk\n')
    loaded, classes = load_tad_annotations(ann_file, classes=str(
        classes_file))
    assert classes == ['run', 'walk'] and loaded['a']['labels'][0] == 0
    with pytest.raises(ValueError, match="no video in subset 'testing'"):
        load_tad_annotations(ann_file, 'testing')
    with pytest.raises(ValueError, match="'run' is not among"):
        load_tad_annotations(ann_file, classes=['jump'])
    with pytest.raises(FileNotFoundError, match='missing.json'):
        load_tad_annotations(str(tmp_path / 'missing.json'))
    (tmp_path / 'flat.json').write_text(json.dumps({'a': {}}))
    with pytest.raises(ValueError, match='no "database"'):
        load_tad_annotations(str(tmp_path / 'flat.json'))
    bad = write_database(tmp_path / 'bad.json', dict(
        a=dict(segments=[[3., 2.]], labels=[0])), names)
    with pytest.raises(ValueError, match="'a'.*ends before it starts"):
        load_tad_annotations(bad)


def test_metric_input_errors(tmp_path):
    ground_truth, predictions = random_detection_set(1)
    ann_file = write_database(tmp_path / 'gt.json', ground_truth,
                              ['x', 'y', 'z'])
    samples = data_samples(predictions)
    with pytest.raises(ValueError, match='several data samples'):
        evaluate(dict(ann_file=ann_file), samples + samples[:1])
    extra = data_samples({'unknown': predictions['vid0']})
    with pytest.raises(ValueError, match='videos without ground truth'):
        evaluate(dict(ann_file=ann_file), samples + extra)
    metric = METRICS.build(dict(type='TADmAPMetric'))
    with pytest.raises(KeyError, match='gt_instances'):
        metric.process(None, samples[:1])
    for cfg, match in [(dict(tiou_thresholds=[0.5, 0.5]), 'repeat'),
                       (dict(top_k=0), 'top_k'),
                       (dict(recall_top_kx=(0, )), 'recall_top_kx'),
                       (dict(unknown_videos='skip'), 'unknown_videos'),
                       (dict(subset='validation'), 'subset needs ann_file')]:
        with pytest.raises(ValueError, match=match):
            METRICS.build(dict(type='TADmAPMetric', **cfg))
    with pytest.raises(FileNotFoundError):
        METRICS.build(dict(type='TADmAPMetric', ann_file='nowhere.json'))


def test_toy_detection_annotations(toy_det_data):
    """The toy set's JSON and classes.txt: its own ground truth as
    predictions scores 1, shifted copies score less."""
    ground_truth, classes = load_tad_annotations(
        toy_det_data['tad_json'], 'validation', classes=toy_det_data[
            'classes'])
    assert len(ground_truth) == 4 and len(classes) == 4
    predictions = {
        video_id: dict(gt, scores=np.linspace(1, 0.5, len(gt['labels'])))
        for video_id, gt in ground_truth.items()
    }
    cfg = dict(ann_file=toy_det_data['tad_json'], subset='validation',
               classes=toy_det_data['classes'], recall_top_kx=(1, ))
    metrics = evaluate(cfg, data_samples(predictions))
    assert metrics['tad/mAP'] == 1.0 and metrics['tad/Recall@1x@0.95'] == 1.
    shifted = {
        video_id: dict(pred, segments=pred['segments'] + 1.)
        for video_id, pred in predictions.items()
    }
    assert evaluate(cfg, data_samples(shifted))['tad/mAP'] < 1.
