"""ActivityNet-style temporal action detection mAP (and Recall@kx)."""
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmengine.structures import BaseDataElement

from mmvmae.evaluation.functional import (check_tiou_thresholds,
                                          load_class_names,
                                          load_tad_annotations,
                                          tad_mean_average_precision,
                                          tad_topkx_recall)
from mmvmae.evaluation.functional.tad_average_precision import \
    UNKNOWN_VIDEO_POLICIES
from mmvmae.registry import METRICS

ACTIVITYNET_TIOUS = tuple(np.linspace(0.5, 0.95, 10).tolist())


@METRICS.register_module()
class TADmAPMetric(BaseMetric):
    """Detection mAP of temporal segments at several tIoU thresholds.

    Each data sample carries ``pred_instances`` with ``segments`` (K, 2)
    (seconds), ``scores`` (K,) and ``labels`` (K,), and ``video_id`` in its
    metainfo. The ground truth is read from ``ann_file`` (an
    ActivityNet/ActionFormer JSON, see
    :func:`~mmvmae.evaluation.functional.load_tad_annotations`), restricted
    to ``subset``, or, without ``ann_file``, taken from each sample's
    ``gt_instances`` (``segments``, ``labels``).

    The computation is the official ActivityNet evaluator's
    (:func:`~mmvmae.evaluation.functional.tad_mean_average_precision`):
    mAP at a threshold averages AP over the classes with ground truth;
    ground truth of videos without predictions counts as missed (logged);
    predictions whose label has no ground truth are ignored (logged).

    Reported keys (under the prefix, ``'tad'`` by default): ``mAP@0.50``
    ... for each threshold, ``mAP`` (their mean) and, with
    ``recall_top_kx``, ``Recall@1x@0.50`` ... .

    Args:
        ann_file (str, optional): Ground-truth JSON. Defaults to None.
        subset (str, optional): Subset of ``ann_file`` evaluated, e.g.
            ``'validation'``. Defaults to None (all videos).
        tiou_thresholds (Sequence[float]): Defaults to 0.5:0.05:0.95
            (ActivityNet); THUMOS14 uses 0.3:0.1:0.7, Ego4D-MQ and
            EPIC-Kitchens 0.1:0.1:0.5.
        label_key (str): Annotation field of the label in ``ann_file``
            (a class name, e.g. ``'label'``, or an index, e.g.
            ``'label_id'``). Defaults to ``'label'``.
        classes (str | Sequence[str], optional): Class names or a file with
            one per line; labels must then be below their number.
        top_k (int, optional): Keep only the ``top_k`` highest-scoring
            predictions of each video. Defaults to None (all).
        recall_top_kx (Sequence[int]): ``k`` of Recall@kx (ActionFormer's
            and Ego4D-MQ's top-k-times-#GT recall). Defaults to () (none).
        unknown_videos (str): Predictions for videos not in the ground
            truth: ``'error'`` (default) or ``'false_positive'``.
    """
    default_prefix = 'tad'

    def __init__(self,
                 ann_file: Optional[str] = None,
                 subset: Optional[str] = None,
                 tiou_thresholds: Sequence[float] = ACTIVITYNET_TIOUS,
                 label_key: str = 'label',
                 classes: Optional[Union[str, Sequence[str]]] = None,
                 top_k: Optional[int] = None,
                 recall_top_kx: Sequence[int] = (),
                 unknown_videos: str = 'error',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.tiou_thresholds = check_tiou_thresholds(tiou_thresholds)
        self.tiou_names = [_threshold_name(t) for t in self.tiou_thresholds]
        if len(set(self.tiou_names)) != len(self.tiou_names):
            raise ValueError(f'tiou_thresholds {tiou_thresholds} repeat')
        if top_k is not None and (not isinstance(top_k, int) or top_k < 1):
            raise ValueError(f'top_k must be a positive int, got {top_k!r}')
        if any(not isinstance(k, int) or k < 1 for k in recall_top_kx):
            raise ValueError('recall_top_kx must be positive ints, got '
                             f'{recall_top_kx!r}')
        if unknown_videos not in UNKNOWN_VIDEO_POLICIES:
            raise ValueError(f'unknown_videos must be one of '
                             f'{UNKNOWN_VIDEO_POLICIES}, got '
                             f'{unknown_videos!r}')
        if ann_file is None and subset is not None:
            raise ValueError('subset needs ann_file')
        self.top_k = top_k
        self.recall_top_kx = tuple(recall_top_kx)
        self.unknown_videos = unknown_videos
        self.ground_truth = None
        self.classes = None
        if ann_file is not None:
            self.ground_truth, self.classes = load_tad_annotations(
                ann_file, subset, label_key, classes)
        elif classes is not None:
            self.classes = load_class_names(classes)

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Keep the predictions (and ground truth) of each video."""
        for sample in data_samples:
            if isinstance(sample, BaseDataElement):
                sample = sample.to_dict()
            needed = ['video_id', 'pred_instances']
            if self.ground_truth is None:
                needed.append('gt_instances')
            missing = [key for key in needed if sample.get(key) is None]
            if missing:
                raise KeyError(f'{type(self).__name__} needs {missing} in '
                               'each data sample')
            result = dict(
                video_id=sample['video_id'],
                pred=_instances(sample['pred_instances'],
                                ('segments', 'scores', 'labels'),
                                sample['video_id']))
            if self.ground_truth is None:
                result['gt'] = _instances(sample['gt_instances'],
                                          ('segments', 'labels'),
                                          sample['video_id'])
            self.results.append(result)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """mAP per threshold, their mean and Recall@kx."""
        logger = MMLogger.get_current_instance()
        seen = set()
        for result in results:
            if result['video_id'] in seen:
                raise ValueError(
                    f'video {result["video_id"]!r} has predictions from '
                    'several data samples; merge them (one sample per '
                    'video) before evaluation')
            seen.add(result['video_id'])
        predictions = {
            r['video_id']: _top_k(r['pred'], self.top_k)
            for r in results
        }
        if self.ground_truth is None:
            ground_truth = {r['video_id']: r['gt'] for r in results}
        else:
            ground_truth = self.ground_truth
            unseen = [video for video in ground_truth if video not in seen]
            if unseen:
                logger.warning(
                    f'{len(unseen)} of {len(ground_truth)} ground-truth '
                    f'videos have no predictions (e.g. {unseen[:3]}); their '
                    'segments count as missed')
        num_classes = None if self.classes is None else len(self.classes)
        evaluation = tad_mean_average_precision(
            ground_truth, predictions, self.tiou_thresholds,
            self.unknown_videos, num_classes)
        if evaluation['num_ignored_predictions']:
            logger.warning(
                f'{evaluation["num_ignored_predictions"]} predictions have '
                'labels without ground truth and are not evaluated')
        if evaluation['num_unknown_video_predictions']:
            logger.warning(
                f'{evaluation["num_unknown_video_predictions"]} predictions '
                'for videos without ground truth count as false positives')
        metrics = {
            f'mAP@{name}': float(value)
            for name, value in zip(self.tiou_names, evaluation['mAP'])
        }
        metrics['mAP'] = evaluation['average_mAP']
        if self.recall_top_kx:
            recall = tad_topkx_recall(ground_truth, predictions,
                                      self.tiou_thresholds,
                                      self.recall_top_kx)
            for t, name in enumerate(self.tiou_names):
                for i, k in enumerate(self.recall_top_kx):
                    metrics[f'Recall@{k}x@{name}'] = float(recall[t, i])
        logger.info(f'Temporal detection mAP over '
                    f'{len(evaluation["classes"])} classes: ' +
                    ', '.join(f'{key} {value:.4f}'
                              for key, value in metrics.items()))
        return metrics


def _threshold_name(threshold: float) -> str:
    """``0.5 -> '0.50'``; more digits only where two would round it."""
    name = f'{threshold:.2f}'
    return name if abs(float(name) - threshold) < 1e-9 else f'{threshold:g}'


def _instances(instances, keys: Sequence[str], video_id) -> dict:
    """The arrays ``keys`` of ``pred_instances`` / ``gt_instances`` as
    numpy (the evaluator may hand data elements or dicts)."""
    if isinstance(instances, BaseDataElement):
        instances = instances.to_dict()
    missing = [key for key in keys if key not in instances]
    if missing:
        raise KeyError(f'instances of video {video_id!r} lack {missing}')
    out = {}
    for key in keys:
        value = instances[key]
        if hasattr(value, 'detach'):
            value = value.detach().cpu().numpy()
        out[key] = np.asarray(value)
    return out


def _top_k(pred: dict, top_k: Optional[int]) -> dict:
    if top_k is None or len(pred['scores']) <= top_k:
        return pred
    keep = np.argsort(-pred['scores'], kind='stable')[:top_k]
    return {key: value[keep] for key, value in pred.items()}
