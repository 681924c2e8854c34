"""A user plugin: a custom mask generator and a custom head.

Registered into mmvmae's registries and loaded by a config with::

    custom_imports = dict(imports=['my_plugin'], allow_failed_imports=False)

(with this folder on ``PYTHONPATH``). See docs/plugins.md.
"""
import numpy as np
import torch

from mmvmae.datasets.transforms import BaseMaskGenerator
from mmvmae.models.heads import PixelReconstructionHead
from mmvmae.registry import MODELS, TRANSFORMS


@TRANSFORMS.register_module()
class CenterMaskGenerator(BaseMaskGenerator):
    """Hide the ``mask_ratio`` share of tokens closest to the frame centre
    (same positions in every temporal slice)."""

    def masked_tokens(self, grid: tuple) -> np.ndarray:
        t, h, w = grid
        rows, cols = np.mgrid[:h, :w]
        distance = np.hypot(rows - (h - 1) / 2, cols - (w - 1) / 2).ravel()
        spatial = np.argsort(distance, kind='stable')
        spatial = spatial[:int(self.mask_ratio * h * w)]
        return (np.arange(t)[:, None] * h * w + spatial).ravel()


@MODELS.register_module()
class FrameDifferenceHead(PixelReconstructionHead):
    """Reconstruct temporal differences (motion) instead of pixels."""

    def construct_target(self, inputs: torch.Tensor,
                         ids=None) -> torch.Tensor:
        diff = inputs.diff(dim=2, prepend=inputs[:, :, :1])
        return super().construct_target(diff, ids)
