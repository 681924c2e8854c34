"""Top-k-times recall of temporal detections (ActionFormer's Recall@kx)."""
from typing import Mapping, Sequence

import numpy as np

from mmvmae.structures.segment_ops import segment_iou
from .tad_average_precision import check_tiou_thresholds
from .tad_instances import flatten_instances


def tad_topkx_recall(ground_truth: Mapping[str, Mapping],
                     predictions: Mapping[str, Mapping],
                     tiou_thresholds: Sequence[float],
                     top_k: Sequence[int] = (1, 5)) -> np.ndarray:
    """Recall@kx per threshold and k, averaged over classes -> (T, K).

    For a class and a video with ``n`` ground-truth segments of that class,
    the ``k * n`` highest-scoring predictions of that class in that video
    are kept; a ground-truth segment is recalled at a threshold if one of
    them overlaps it with IoU >= threshold (no one-to-one matching). Recall
    of a class is over all its ground truth; the result is the mean over
    the classes with ground truth (the ``compute_topkx_recall_detection``
    of ActionFormer's ``libs/utils/metrics.py``, equal scores kept in input
    order). Inputs are those of
    :func:`~.tad_average_precision.tad_mean_average_precision`;
    predictions for videos or labels without ground truth never count.
    """
    thresholds = check_tiou_thresholds(tiou_thresholds)
    top_k = [int(k) for k in top_k]
    if not top_k or min(top_k) < 1:
        raise ValueError(f'top_k must be positive ints, got {top_k}')
    gt = flatten_instances(ground_truth, False, 'ground truth')
    pred = flatten_instances(predictions, True, 'predictions')
    classes = np.unique(gt.labels)
    if len(classes) == 0:
        raise ValueError('the ground truth has no segments: recall is '
                         'undefined')
    recall = np.zeros((len(thresholds), len(top_k), len(classes)))
    for column, label in enumerate(classes):
        hits = np.zeros((len(thresholds), len(top_k)))
        gt_rows = np.flatnonzero(gt.labels == label)
        pred_rows = np.flatnonzero(pred.labels == label)
        for video_id in dict.fromkeys(gt.video_ids[gt_rows]):
            video_gt = gt.segments[gt_rows[gt.video_ids[gt_rows] == video_id]]
            rows = pred_rows[pred.video_ids[pred_rows] == video_id]
            rows = rows[np.argsort(-pred.scores[rows], kind='stable')]
            iou = segment_iou(pred.segments[rows], video_gt)  # (P, n)
            for i, k in enumerate(top_k):
                best = iou[:k * len(video_gt)].max(axis=0, initial=0.)
                hits[:, i] += (best[None, :] >= thresholds[:, None]).sum(1)
        recall[..., column] = hits / len(gt_rows)
    return recall.mean(axis=2)
