"""Soft-NMS of temporal segments, per class or class-agnostic, pure torch.

A port of the algorithm of ActionFormer's compiled ``nms_1d_cpu.softnms``
and ``batched_nms`` (``libs/utils/nms.py``) with explicit tie-breaking and
no compiled code, so it runs on any device.
"""
import math
from typing import Optional, Tuple

import torch

from mmvmae.structures.segment_ops import (check_segments, segment_iou,
                                           segment_iou_one_to_many)

METHODS = ('gaussian', 'linear', 'hard')


def batched_soft_nms_1d(
        segments: torch.Tensor,
        scores: torch.Tensor,
        labels: torch.Tensor,
        iou_threshold: float = 0.1,
        sigma: float = 0.5,
        min_score: float = 0.001,
        max_num: Optional[int] = 200,
        method: str = 'gaussian',
        multiclass: bool = True,
        voting_threshold: Optional[float] = None
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Soft-NMS of (N, 2) ``segments`` with (N,) ``scores`` and ``labels``.

    Within a group (one class when ``multiclass``, else all segments) the
    segment with the highest current score is kept, with that score, and
    the scores of the remaining segments are decayed by their IoU with it:

    - ``'gaussian'``: ``score *= exp(-iou ** 2 / sigma)`` (ActionFormer's
      form: the divisor is ``sigma``, not ``2 * sigma ** 2``;
      ``iou_threshold`` is not used);
    - ``'linear'``: ``score *= 1 - iou`` where ``iou >= iou_threshold``;
    - ``'hard'``: ``score = 0`` where ``iou >= iou_threshold`` (plain NMS).

    A segment whose current score is below ``min_score`` is dropped, input
    scores included. Ties go to the lower input index. At most ``max_num``
    segments are kept per group and in total (``None``: no cap).

    Segment voting (``voting_threshold``, class-agnostic only, as in
    ActionFormer): each kept segment's boundaries become the average of all
    input segments whose IoU with it is at least ``voting_threshold``,
    weighted by their input scores (a kept segment with zero total weight,
    e.g. zero-length, stays as it is). Its score and label do not change.

    Returns:
        tuple: (K, 2) segments, (K,) scores and (K,) labels of the kept
        segments, by decreasing score (ties keep their order of keeping).
    """
    _check_arguments(segments, scores, labels, iou_threshold, sigma,
                     max_num, method, multiclass, voting_threshold)
    if multiclass:
        groups = [torch.nonzero(labels == label)[:, 0]
                  for label in torch.unique(labels)]
    else:
        groups = [torch.arange(len(scores), device=scores.device)]
    kept, kept_scores = [], []
    for group in groups:
        order, group_scores = _soft_nms_group(
            segments[group], scores[group], iou_threshold, sigma, min_score,
            max_num, method)
        kept.append(group[order])
        kept_scores.append(group_scores)
    kept = torch.cat(kept) if kept else torch.zeros(
        0, dtype=torch.long, device=labels.device)
    kept_scores = torch.cat(kept_scores) if kept_scores else scores[:0]
    new_segments = segments[kept]
    if voting_threshold is not None:
        new_segments = _vote(new_segments, segments, scores,
                             voting_threshold)
    rank = torch.sort(kept_scores, descending=True, stable=True)[1]
    rank = rank[:max_num]
    return new_segments[rank], kept_scores[rank], labels[kept[rank]]


def _check_arguments(segments, scores, labels, iou_threshold, sigma,
                     max_num, method, multiclass, voting_threshold) -> None:
    check_segments(segments, 'segments')
    num = segments.shape[0]
    if scores.shape != (num, ) or labels.shape != (num, ):
        raise ValueError(
            f'scores {tuple(scores.shape)} and labels '
            f'{tuple(labels.shape)} must have shape ({num},) like the '
            f'{num} segments')
    if torch.isnan(scores).any():
        raise ValueError('scores contain NaN')
    if method not in METHODS:
        raise ValueError(f'method must be one of {METHODS}, got {method!r}')
    if method == 'gaussian' and not sigma > 0:
        raise ValueError(f'sigma must be > 0, got {sigma}')
    if not 0 <= iou_threshold <= 1:
        raise ValueError(f'iou_threshold must be in [0, 1], got '
                         f'{iou_threshold}')
    if max_num is not None and (isinstance(max_num, bool)
                                or not isinstance(max_num, int)
                                or max_num < 1):
        raise ValueError(f'max_num must be a positive int or None, got '
                         f'{max_num!r}')
    if voting_threshold is not None:
        if multiclass:
            raise ValueError(
                'segment voting (voting_threshold='
                f'{voting_threshold}) is class-agnostic: set '
                'multiclass=False or voting_threshold=None (ActionFormer '
                'ignores voting with multiclass NMS)')
        if not 0 < voting_threshold <= 1:
            raise ValueError(f'voting_threshold must be in (0, 1], got '
                             f'{voting_threshold}')


def _soft_nms_group(segments, scores, iou_threshold, sigma, min_score,
                    max_num, method):
    """Indices (into this group) and scores of the kept segments, in the
    order they are kept (non-increasing scores)."""
    scores = scores.clone()
    alive = scores >= min_score
    order, kept_scores = [], []
    while (max_num is None or len(order) < max_num) and bool(alive.any()):
        best = int(torch.where(alive, scores, -math.inf).argmax())
        order.append(best)
        kept_scores.append(scores[best])
        alive[best] = False
        iou = segment_iou_one_to_many(segments[best], segments).to(
            scores.dtype)
        if method == 'gaussian':
            weight = torch.exp(-iou * iou / sigma)
        elif method == 'linear':
            weight = torch.where(iou >= iou_threshold, 1 - iou, 1.)
        else:
            weight = (iou < iou_threshold).to(scores.dtype)
        scores = torch.where(alive, scores * weight, scores)
        alive &= scores >= min_score
    order = torch.tensor(order, dtype=torch.long, device=scores.device)
    kept_scores = (torch.stack(kept_scores) if kept_scores else scores[:0])
    return order, kept_scores


def _vote(kept_segments, segments, scores, voting_threshold):
    """Score-weighted average of the segments overlapping each kept one."""
    if len(kept_segments) == 0:
        return kept_segments
    iou = segment_iou(kept_segments, segments)
    weights = ((iou >= voting_threshold) * scores).to(segments.dtype)
    total = weights.sum(dim=1, keepdim=True)
    voted = weights @ segments / torch.where(total > 0, total, 1.)
    return torch.where(total > 0, voted, kept_segments)
