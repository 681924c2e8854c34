"""Unstructured random masking of fbank patches (Audio-MAE, CAV-MAE)."""
from typing import Tuple

import numpy as np

from mmvmae.registry import TRANSFORMS
from .spectrogram_mask import BaseSpectrogramMaskGenerator


@TRANSFORMS.register_module()
class SpectrogramRandomMaskGenerator(BaseSpectrogramMaskGenerator):
    """Hide ``int(mask_ratio * N)`` fbank patches chosen uniformly
    (CAV-MAE 0.75, Audio-MAE pretraining 0.8)."""

    def masked_patches(self, grid: Tuple[int, int]) -> np.ndarray:
        """Uniformly drawn masked patches."""
        num_tokens = grid[0] * grid[1]
        masked = np.zeros(num_tokens, dtype=bool)
        masked[np.random.permutation(num_tokens)[:self.num_masked(
            num_tokens)]] = True
        return masked.reshape(grid)
