"""Tube masking (VideoMAE)."""
import numpy as np

from mmvmae.registry import TRANSFORMS
from .mask_generator import BaseMaskGenerator


@TRANSFORMS.register_module()
class TubeMaskGenerator(BaseMaskGenerator):
    """Hide the same spatial positions in every temporal slice.

    ``int(mask_ratio * H'W')`` positions are masked per slice (176 of 196 at
    0.9, so 20 visible per slice), one random choice tiled over time.
    """

    def masked_tokens(self, grid: tuple) -> np.ndarray:
        """Masked token indices: one spatial choice repeated per slice."""
        t, h, w = grid
        per_slice = h * w
        spatial = np.random.permutation(per_slice)[:int(self.mask_ratio *
                                                         per_slice)]
        return (np.arange(t)[:, None] * per_slice + spatial).ravel()
