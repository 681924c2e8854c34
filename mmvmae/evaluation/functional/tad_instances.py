"""Per-video temporal detections / ground truth as flat, checked arrays.

Both the ground truth and the predictions of the temporal-detection
metrics are mappings ``video_id -> dict`` with ``segments`` (N, 2) (start,
end; seconds or any other unit shared by both), ``labels`` (N,) integer
class indices and, for predictions, ``scores`` (N,). Values may be numpy
arrays, torch tensors or lists.
"""
from typing import Dict, Mapping, NamedTuple, Optional

import numpy as np

from mmvmae.structures.segment_ops import check_segments


class FlatInstances(NamedTuple):
    """All instances of all videos, one row each."""
    video_ids: np.ndarray  # (N,) object: the video of each instance
    segments: np.ndarray  # (N, 2) float64
    labels: np.ndarray  # (N,) int64
    scores: Optional[np.ndarray]  # (N,) float64, predictions only


def flatten_instances(instances: Mapping[str, Mapping],
                      with_scores: bool,
                      name: str,
                      num_classes: Optional[int] = None) -> FlatInstances:
    """Check every video's arrays and concatenate them.

    Raises ``ValueError`` naming the video for a missing key, mismatched
    lengths, a segment ending before it starts, a non-finite value, a
    non-integer label or (with ``num_classes``) a label outside
    ``[0, num_classes)``.
    """
    keys = ('segments', 'labels') + (('scores', ) if with_scores else ())
    video_ids, columns = [], {key: [] for key in keys}
    for video_id, item in instances.items():
        missing = [key for key in keys if key not in item]
        if missing:
            raise ValueError(f'{name} of video {video_id!r} lack {missing}')
        arrays = {key: _numpy(item[key]) for key in keys}
        segments = arrays['segments'].astype(np.float64).reshape(-1, 2)
        check_segments(segments, f'{name} segments of video {video_id!r}')
        num = len(segments)
        for key in keys[1:]:
            if arrays[key].shape != (num, ):
                raise ValueError(
                    f'{name} {key} of video {video_id!r} have shape '
                    f'{arrays[key].shape}, expected ({num},)')
        labels = arrays['labels']
        if num and not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f'{name} labels of video {video_id!r} must be '
                             f'integers, got {labels.dtype}')
        if num_classes is not None and num and (
                labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(
                f'{name} labels of video {video_id!r} must be in '
                f'[0, {num_classes}), got {sorted(set(labels.tolist()))}')
        if with_scores and not np.isfinite(arrays['scores']).all():
            raise ValueError(f'{name} scores of video {video_id!r} contain '
                             'non-finite values')
        video_ids.extend([video_id] * num)
        columns['segments'].append(segments)
        columns['labels'].append(labels.astype(np.int64))
        if with_scores:
            columns['scores'].append(arrays['scores'].astype(np.float64))
    concat: Dict[str, np.ndarray] = {
        key: np.concatenate(value) if value else np.zeros(
            (0, 2) if key == 'segments' else (0, ),
            np.int64 if key == 'labels' else np.float64)
        for key, value in columns.items()
    }
    return FlatInstances(
        np.array(video_ids, dtype=object), concat['segments'],
        concat['labels'], concat.get('scores'))


def _numpy(value) -> np.ndarray:
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value)
