"""Temporal segments ``[start, end]``: validation and intersection over union.

A segment is a continuous interval of time (seconds or feature-grid units,
both ends are real numbers), so its length is ``end - start`` with no
``+ 1`` for an inclusive last frame; this is the convention of the official
ActivityNet evaluator (``segment_iou`` in ``Evaluation/eval_detection.py``)
and of ActionFormer. ``end == start`` (a zero-length segment) is allowed,
``end < start`` is not.

Where both segments have zero length the union is empty; the IoU is then
defined as 0 (the official formula divides 0 by 0 and gets NaN).

Every function takes numpy arrays or torch tensors and returns the same
kind.
"""
import numpy as np
import torch


def check_segments(segments, name: str = 'segments'):
    """Raise ``ValueError`` unless ``segments`` is (N, 2), finite and has
    ``end >= start`` in every row; return it unchanged."""
    if segments.ndim != 2 or segments.shape[1] != 2:
        raise ValueError(f'{name} must have shape (N, 2), got '
                         f'{tuple(segments.shape)}')
    lib = torch if isinstance(segments, torch.Tensor) else np
    if not bool(lib.isfinite(segments).all()):
        raise ValueError(f'{name} contain non-finite values')
    backwards = segments[:, 1] < segments[:, 0]
    if bool(backwards.any()):
        row = int(lib.nonzero(backwards)[0][0])
        raise ValueError(
            f'{name} row {row} ends before it starts: '
            f'{[float(v) for v in segments[row]]}')
    return segments


def segment_iou(segments, others):
    """Pairwise IoU of (N, 2) ``segments`` and (M, 2) ``others`` -> (N, M).

    Both inputs are validated with :func:`check_segments`.
    """
    check_segments(segments, 'segments')
    check_segments(others, 'others')
    return _iou(segments[:, None, 0], segments[:, None, 1],
                others[None, :, 0], others[None, :, 1])


def segment_iou_one_to_many(segment, candidates):
    """IoU of one segment ``[start, end]`` with (M, 2) ``candidates`` -> (M,).

    The official ActivityNet evaluator's ``segment_iou(target, candidates)``,
    with a 0 instead of NaN for zero-length against zero-length. Not
    validated: this is the inner loop of NMS and matching, whose callers
    check their inputs once.
    """
    return _iou(segment[0], segment[1], candidates[:, 0], candidates[:, 1])


def _iou(start_a, end_a, start_b, end_b):
    """Broadcast IoU of segments given by their starts and ends."""
    if isinstance(end_b, torch.Tensor):
        inter = (torch.minimum(end_a, end_b) -
                 torch.maximum(start_a, start_b)).clamp(min=0)
    else:
        inter = (np.minimum(end_a, end_b) -
                 np.maximum(start_a, start_b)).clip(min=0)
    union = (end_a - start_a) + (end_b - start_b) - inter
    positive = union > 0
    safe_union = union * positive + (~positive)  # 1 where the union is 0
    return inter * positive / safe_union
