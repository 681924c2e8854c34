"""Anchor points of a temporal feature pyramid."""
from typing import Sequence, Tuple

import torch

from mmvmae.registry import TASK_UTILS


@TASK_UTILS.register_module()
class PointGenerator1d:
    """One point per step of every pyramid level.

    Step ``i`` of level ``l`` is the point at grid position
    ``i * strides[l]`` (in input features), responsible for segments whose
    largest distance to the point (in features) lies in
    ``regression_ranges[l]`` (both ends included).

    Args:
        strides (Sequence[int]): Stride of each level.
        regression_ranges (Sequence[tuple]): (min, max) of each level.
    """

    def __init__(self, strides: Sequence[int],
                 regression_ranges: Sequence[Tuple[float, float]]) -> None:
        if len(strides) != len(regression_ranges):
            raise ValueError(
                f'{len(regression_ranges)} regression ranges for '
                f'{len(strides)} pyramid levels (strides {list(strides)})')
        for low, high in regression_ranges:
            if not 0 <= low < high:
                raise ValueError(f'bad regression range ({low}, {high})')
        self.strides = [int(s) for s in strides]
        self.regression_ranges = [tuple(map(float, r))
                                  for r in regression_ranges]

    def __call__(self, lengths: Sequence[int],
                 device: torch.device = None) -> torch.Tensor:
        """Points of levels with ``lengths`` steps: (sum(lengths), 4) rows
        of (position, range min, range max, stride), level by level."""
        if len(lengths) != len(self.strides):
            raise ValueError(f'{len(lengths)} levels, the generator has '
                             f'{len(self.strides)}')
        rows = []
        for steps, stride, (low, high) in zip(lengths, self.strides,
                                              self.regression_ranges):
            position = torch.arange(steps, device=device,
                                    dtype=torch.float32) * stride
            rows.append(torch.stack([
                position,
                position.new_full((steps, ), low),
                position.new_full((steps, ), high),
                position.new_full((steps, ), stride)
            ], dim=1))
        return torch.cat(rows)
