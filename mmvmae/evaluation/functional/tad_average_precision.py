"""ActivityNet-style detection AP of temporal segments, without pandas.

The algorithm of the official evaluator (activitynet/ActivityNet
``Evaluation/eval_detection.py``: ``compute_average_precision_detection``
and ``interpolated_prec_rec``), which mmaction2's ``ActivityNetLocalization``
and ActionFormer's ``ANETdetection`` port:

- per class, predictions of all videos are ranked by decreasing score
  (equal scores keep their input order, as in mmaction2; the official
  evaluator's order of equal scores depends on numpy's sort);
- at each tIoU threshold a prediction is a true positive if some ground
  truth of its video and class with IoU >= threshold is still unmatched:
  it takes the unmatched one of highest IoU (equal IoUs: the later one, as
  the official ``argsort()[::-1]``), and each ground truth is matched at
  most once per threshold; every other prediction is a false positive;
- AP is the interpolated area under the precision-recall curve
  (:func:`interpolated_average_precision`); recall is over all ground
  truth of the class.

mAP at a threshold is the mean AP over the classes with ground truth.
"""
from typing import Dict, Mapping, Optional, Sequence

import numpy as np

from mmvmae.structures.segment_ops import (check_segments,
                                           segment_iou_one_to_many)
from .interpolated_ap import interpolated_average_precision
from .tad_instances import flatten_instances

UNKNOWN_VIDEO_POLICIES = ('error', 'false_positive')


def tad_average_precision(gt_video_ids: Sequence[str],
                          gt_segments,
                          pred_video_ids: Sequence[str],
                          pred_segments,
                          pred_scores,
                          tiou_thresholds: Sequence[float]) -> np.ndarray:
    """AP of one class at each tIoU threshold -> (T,) float64.

    Args:
        gt_video_ids: (G,) video of each ground-truth segment (G >= 1).
        gt_segments: (G, 2) ground-truth segments.
        pred_video_ids: (P,) video of each prediction; a video without
            ground truth makes a false positive.
        pred_segments: (P, 2) predicted segments.
        pred_scores: (P,) prediction scores.
        tiou_thresholds: T thresholds.
    """
    thresholds = np.asarray(tiou_thresholds, np.float64).reshape(-1)
    gt_segments = check_segments(
        np.asarray(gt_segments, np.float64).reshape(-1, 2), 'gt_segments')
    pred_segments = check_segments(
        np.asarray(pred_segments, np.float64).reshape(-1, 2),
        'pred_segments')
    pred_scores = np.asarray(pred_scores, np.float64).reshape(-1)
    if len(gt_segments) == 0:
        raise ValueError('AP is undefined for a class without ground truth')
    if len(gt_video_ids) != len(gt_segments) or not (
            len(pred_video_ids) == len(pred_segments) == len(pred_scores)):
        raise ValueError('video ids, segments and scores differ in length')
    gt_by_video: Dict[str, list] = {}
    for index, video_id in enumerate(gt_video_ids):
        gt_by_video.setdefault(video_id, []).append(index)
    gt_by_video = {
        video_id: (np.array(indices), gt_segments[indices])
        for video_id, indices in gt_by_video.items()
    }
    order = np.argsort(-pred_scores, kind='stable')
    matched = np.zeros((len(thresholds), len(gt_segments)), bool)
    true_pos = np.zeros((len(thresholds), len(order)), bool)
    for rank, pred in enumerate(order):
        video_gt = gt_by_video.get(pred_video_ids[pred])
        if video_gt is None:
            continue
        indices, segments = video_gt
        iou = segment_iou_one_to_many(pred_segments[pred], segments)
        by_iou = np.argsort(iou, kind='stable')[::-1]
        free = (iou[by_iou][None, :] >= thresholds[:, None]) & \
            ~matched[:, indices[by_iou]]
        found = free.any(axis=1)
        true_pos[found, rank] = True
        matched[found, indices[by_iou[free.argmax(axis=1)[found]]]] = True
    tp = np.cumsum(true_pos, axis=1, dtype=np.float64)
    fp = np.cumsum(~true_pos, axis=1, dtype=np.float64)
    recall = tp / len(gt_segments)
    precision = tp / (tp + fp)
    return np.array([
        interpolated_average_precision(precision[t], recall[t])
        for t in range(len(thresholds))
    ])


def tad_mean_average_precision(
        ground_truth: Mapping[str, Mapping],
        predictions: Mapping[str, Mapping],
        tiou_thresholds: Sequence[float],
        unknown_videos: str = 'error',
        num_classes: Optional[int] = None) -> dict:
    """Per-class AP and mAP of temporal detections.

    Args:
        ground_truth: ``video_id -> {'segments', 'labels'}``; a video with
            no segments is allowed (its predictions are false positives).
        predictions: ``video_id -> {'segments', 'scores', 'labels'}``.
        tiou_thresholds: T thresholds.
        unknown_videos: What to do with predictions for a video missing
            from ``ground_truth``: ``'error'`` raises ``ValueError``;
            ``'false_positive'`` counts them as false positives (the
            official evaluator's behaviour).
        num_classes: If given, every label must be in ``[0, num_classes)``.

    Returns:
        dict: ``classes`` (C,) the labels with ground truth, which are the
        classes evaluated; ``ap`` (T, C); ``mAP`` (T,) the mean over
        classes; ``average_mAP`` the mean over thresholds;
        ``num_ignored_predictions`` predictions whose label has no ground
        truth (not counted anywhere, as in the official evaluator);
        ``num_unknown_video_predictions`` predictions for videos missing
        from ``ground_truth``.
    """
    if unknown_videos not in UNKNOWN_VIDEO_POLICIES:
        raise ValueError(f'unknown_videos must be one of '
                         f'{UNKNOWN_VIDEO_POLICIES}, got {unknown_videos!r}')
    thresholds = check_tiou_thresholds(tiou_thresholds)
    gt = flatten_instances(ground_truth, False, 'ground truth', num_classes)
    pred = flatten_instances(predictions, True, 'predictions', num_classes)
    unknown = [video for video in predictions if video not in ground_truth]
    unknown_set = set(unknown)
    num_unknown = sum(video in unknown_set for video in pred.video_ids)
    if num_unknown and unknown_videos == 'error':
        raise ValueError(
            f'{num_unknown} predictions for {len(unknown)} videos without '
            f'ground truth, e.g. {unknown[:5]}; pass '
            "unknown_videos='false_positive' to count them as false "
            'positives')
    classes = np.unique(gt.labels)
    if len(classes) == 0:
        raise ValueError('the ground truth has no segments: mAP is '
                         'undefined')
    ap = np.zeros((len(thresholds), len(classes)))
    for column, label in enumerate(classes):
        gt_rows = gt.labels == label
        pred_rows = pred.labels == label
        ap[:, column] = tad_average_precision(
            gt.video_ids[gt_rows], gt.segments[gt_rows],
            pred.video_ids[pred_rows], pred.segments[pred_rows],
            pred.scores[pred_rows], thresholds)
    mean_ap = ap.mean(axis=1)
    return dict(
        classes=classes,
        ap=ap,
        mAP=mean_ap,
        average_mAP=float(mean_ap.mean()),
        num_ignored_predictions=int((~np.isin(pred.labels, classes)).sum()),
        num_unknown_video_predictions=num_unknown)


def check_tiou_thresholds(tiou_thresholds: Sequence[float]) -> np.ndarray:
    """(T,) float64 thresholds; ``ValueError`` unless 1-D, non-empty and
    in (0, 1]."""
    thresholds = np.asarray(tiou_thresholds, np.float64)
    if thresholds.ndim != 1 or len(thresholds) == 0 or not (
            (thresholds > 0) & (thresholds <= 1)).all():
        raise ValueError('tiou_thresholds must be a non-empty sequence of '
                         f'values in (0, 1], got {tiou_thresholds!r}')
    return thresholds
