"""Frame masking (VideoMAE's ablation, MARLIN's ``frame`` strategy)."""
import numpy as np

from mmvmae.registry import TRANSFORMS
from .mask_generator import BaseMaskGenerator


@TRANSFORMS.register_module()
class FrameMaskGenerator(BaseMaskGenerator):
    """Hide whole temporal slices: ``int(mask_ratio * T')`` of the ``T'``
    slices, chosen at random (7 of 8 at VideoMAE's 0.875).

    Raises:
        ValueError: If the ratio masks no slice or every slice of the grid.
    """

    def masked_tokens(self, grid: tuple) -> np.ndarray:
        """Masked token indices: every token of the chosen slices."""
        t, h, w = grid
        count = int(self.mask_ratio * t)
        if count in (0, t):
            raise ValueError(
                f'mask_ratio={self.mask_ratio} masks {count} of {t} temporal '
                f'slices on grid {tuple(grid)}; frame masking must hide '
                'some slices and keep some')
        slices = np.sort(np.random.permutation(t)[:count])
        return (slices[:, None] * (h * w) + np.arange(h * w)).ravel()
