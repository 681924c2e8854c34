"""Frame-level mAP and accuracy of per-frame multi-label action scores."""
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from mmvmae.registry import METRICS


def average_precision(scores: np.ndarray, targets: np.ndarray) -> float:
    """Non-interpolated average precision of one class (scikit-learn's
    ``average_precision_score``): the sum over score thresholds of the
    recall gained times the precision there; tied scores form one
    threshold. NaN without positives."""
    targets = np.asarray(targets, bool)
    positives = targets.sum()
    if positives == 0:
        return float('nan')
    order = np.argsort(-np.asarray(scores, np.float64), kind='stable')
    scores, targets = np.asarray(scores)[order], targets[order]
    # The last position of every run of equal scores closes a threshold.
    closes = np.r_[scores[1:] != scores[:-1], True]
    hits = np.cumsum(targets)[closes]
    ranks = np.flatnonzero(closes) + 1
    recall_gain = np.diff(np.r_[0, hits]) / positives
    return float(np.sum(recall_gain * hits / ranks))


@METRICS.register_module()
class FrameSegmentationMetric(BaseMetric):
    """Evaluate per-frame action scores of (overlapping) video windows.

    Each data sample carries ``pred_frame_scores`` (T, K) (from
    ``TemporalSegmenter.predict``), ``frame_labels`` (T, K) and the
    ``video_id`` / ``frame_inds`` of its window in its metainfo (pack them
    with ``PackActionInputs(meta_keys=('video_id', 'frame_inds', ...))``).
    Scores of a video frame sampled by several windows are averaged, so
    every sampled frame counts once. Then:

    - ``mAP``: the mean over classes with at least one positive frame of
      the frame-level average precision (:func:`average_precision`);
    - ``frame_acc``: the fraction of frames whose predicted set of classes
      (probability >= ``threshold``) equals the true set, background (no
      class) included;
    - ``num_frames``: frames evaluated.

    Args:
        threshold (float): Probability from which a class is predicted
            for ``frame_acc``. Defaults to 0.5.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to
            ``'cpu'``.
        prefix (str, optional): Metric name prefix. Defaults to ``'seg'``.
    """
    default_prefix = 'seg'

    def __init__(self,
                 threshold: float = 0.5,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.threshold = threshold

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep the scores, labels and frame indices of each window."""
        for sample in data_samples:
            missing = [key for key in ('pred_frame_scores', 'frame_labels',
                                       'video_id', 'frame_inds')
                       if sample.get(key) is None]
            if missing:
                raise KeyError(f'{type(self).__name__} needs {missing} in '
                               'each data sample')
            self.results.append(
                dict(video_id=sample['video_id'],
                     frame_inds=_numpy(sample['frame_inds']).reshape(-1),
                     scores=_numpy(sample['pred_frame_scores']),
                     labels=_numpy(sample['frame_labels'])))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """mAP, frame accuracy and frame count over all sampled frames."""
        scores, labels = merge_windows(results)
        aps = [
            average_precision(scores[:, k], labels[:, k])
            for k in range(labels.shape[1]) if labels[:, k].any()
        ]
        predicted = scores >= self.threshold
        exact = (predicted == labels.astype(bool)).all(1)
        return {
            'mAP': float(np.mean(aps)) if aps else float('nan'),
            'frame_acc': float(exact.mean()),
            'num_frames': int(len(labels)),
        }


def merge_windows(results: List[dict]) -> tuple:
    """Scores averaged per (video, frame) and their labels, both (F, K)."""
    by_video = defaultdict(list)
    for result in results:
        by_video[result['video_id']].append(result)
    scores, labels = [], []
    for windows in by_video.values():
        frames = np.concatenate([w['frame_inds'] for w in windows])
        unique, inverse = np.unique(frames, return_inverse=True)
        window_scores = np.concatenate([w['scores'] for w in windows])
        sums = np.zeros((len(unique), window_scores.shape[1]))
        np.add.at(sums, inverse, window_scores)
        scores.append(sums / np.bincount(inverse)[:, None])
        first = np.unique(inverse, return_index=True)[1]
        labels.append(np.concatenate([w['labels'] for w in windows])[first])
    return np.concatenate(scores), np.concatenate(labels)


def _numpy(value) -> np.ndarray:
    """A tensor or array as a CPU numpy array."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        return (value.float() if value.is_floating_point() else
                value).numpy()
    return np.asarray(value)
