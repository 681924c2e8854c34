"""Classification and regression targets of temporal points."""
from typing import Tuple

import torch
import torch.nn.functional as F

from mmvmae.registry import TASK_UTILS


@TASK_UTILS.register_module()
class CenterSamplingAssigner:
    """ActionFormer's label assignment with centre sampling.

    A point at position ``t`` (stride ``s``) is positive for a segment
    ``[a, b]`` (grid units) when

    - it lies strictly inside the centre region ``[max(a, c - r * s),
      min(b, c + r * s)]``, ``c = (a + b) / 2``, ``r = radius`` (strictly
      inside ``[a, b]`` when ``radius`` is None), and
    - ``max(t - a, b - t)`` lies in the point's regression range (ends
      included).

    Among the segments a point is positive for, it takes the shortest; all
    segments within ``tie_tolerance`` of that length contribute their class
    (multi-hot classification target), the first of them the regression
    target ``(t - a, b - t) / s``.

    Args:
        radius (float, optional): Centre sampling radius in strides.
            Defaults to 1.5.
        tie_tolerance (float): Length difference (grid units) counted as a
            tie. Defaults to 1e-3.
    """

    def __init__(self, radius: float = 1.5,
                 tie_tolerance: float = 1e-3) -> None:
        self.radius = radius
        self.tie_tolerance = tie_tolerance

    def assign(self, points: torch.Tensor, segments: torch.Tensor,
               labels: torch.Tensor,
               num_classes: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """Targets of one video.

        Args:
            points (Tensor): (P, 4) from :class:`PointGenerator1d`.
            segments (Tensor): (N, 2) ground truth in grid units.
            labels (Tensor): (N,) int64 classes.
            num_classes (int): K.

        Returns:
            tuple: (P, K) float classification targets (all zero for
            negatives) and (P, 2) regression targets in strides
            (meaningful at positives only).
        """
        num_points = len(points)
        if len(segments) == 0:
            return (points.new_zeros(num_points, num_classes),
                    points.new_zeros(num_points, 2))
        position, low, high, stride = (points[:, i, None] for i in range(4))
        start, end = segments[None, :, 0], segments[None, :, 1]
        offsets = torch.stack([position - start, end - position], -1)
        if self.radius is None:
            inside = offsets.min(-1).values > 0
        else:
            centre = 0.5 * (start + end)
            left = torch.maximum(start, centre - self.radius * stride)
            right = torch.minimum(end, centre + self.radius * stride)
            inside = torch.minimum(position - left, right - position) > 0
        reach = offsets.max(-1).values
        in_range = (reach >= low) & (reach <= high)
        lengths = (end - start).expand(num_points, -1)
        lengths = lengths.masked_fill(~(inside & in_range), float('inf'))
        shortest, index = lengths.min(1)
        tied = (lengths <= shortest[:, None] + self.tie_tolerance) & (
            lengths < float('inf'))
        one_hot = F.one_hot(labels, num_classes).to(points.dtype)
        cls_targets = (tied.to(points.dtype) @ one_hot).clamp(max=1.)
        reg_targets = offsets[torch.arange(num_points), index] / stride
        return cls_targets, reg_targets
