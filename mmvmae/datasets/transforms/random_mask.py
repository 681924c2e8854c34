"""Random space-time masking (MAE-ST)."""
import numpy as np

from mmvmae.registry import TRANSFORMS
from .mask_generator import BaseMaskGenerator


@TRANSFORMS.register_module()
class RandomMaskGenerator(BaseMaskGenerator):
    """Hide ``int(mask_ratio * N)`` tokens chosen uniformly over space and
    time."""

    def masked_tokens(self, grid: tuple) -> np.ndarray:
        """Masked token indices, agnostic to space and time."""
        num_tokens = grid[0] * grid[1] * grid[2]
        return np.random.permutation(num_tokens)[:int(self.mask_ratio *
                                                      num_tokens)]
