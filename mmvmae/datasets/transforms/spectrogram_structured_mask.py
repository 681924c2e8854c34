"""CAV-MAE's structured fbank masking: whole time columns / mel rows."""
from typing import Tuple

import numpy as np

from mmvmae.registry import TRANSFORMS
from .spectrogram_mask import BaseSpectrogramMaskGenerator

MODES = ('time', 'freq', 'tf')


@TRANSFORMS.register_module()
class SpectrogramStructuredMaskGenerator(BaseSpectrogramMaskGenerator):
    """Mask whole time columns and / or frequency rows of patches.

    As CAV-MAE's ``random_masking_structured``, the number of masked
    patches stays ``M = int(mask_ratio * N)`` whatever the structure:

    - ``'time'``: ``int(T' * mask_ratio)`` random time columns;
    - ``'freq'``: ``int(F' * mask_ratio)`` random frequency rows;
    - ``'tf'``: ``int(T' * mask_ratio * tf_fraction)`` columns and
      ``int(F' * mask_ratio * tf_fraction)`` rows (CAV-MAE: 0.7).

    The patches of the chosen columns / rows are masked first; if they are
    fewer than ``M``, random other patches fill up the count; if they are
    more (their union in ``'tf'``), ``M`` of them are drawn at random, the
    rest stay visible -- CAV-MAE's result, where the chosen patches get the
    highest noise before the argsort.

    Args:
        mask_ratio (float): Fraction of patches hidden from the encoder.
        mode (str): ``'time'``, ``'freq'`` or ``'tf'``.
        tf_fraction (float): Share of ``mask_ratio`` spent on each axis in
            ``'tf'`` mode. Defaults to 0.7.
        **kwargs: ``patch_size``, ``layout``, ``key`` of
            :class:`BaseSpectrogramMaskGenerator`.
    """

    def __init__(self,
                 mask_ratio: float,
                 mode: str = 'time',
                 tf_fraction: float = 0.7,
                 **kwargs) -> None:
        super().__init__(mask_ratio, **kwargs)
        if mode not in MODES:
            raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
        if not 0 < tf_fraction <= 1:
            raise ValueError(f'tf_fraction must be in (0, 1], got '
                             f'{tf_fraction}')
        self.mode = mode
        self.tf_fraction = tf_fraction

    def structure(self, grid: Tuple[int, int]) -> np.ndarray:
        """Boolean (T', F') map of the chosen whole columns / rows."""
        t, f = grid
        share = self.mask_ratio * (self.tf_fraction
                                   if self.mode == 'tf' else 1.)
        chosen = np.zeros(grid, dtype=bool)
        if self.mode in ('time', 'tf'):
            chosen[np.random.permutation(t)[:int(t * share)], :] = True
        if self.mode in ('freq', 'tf'):
            chosen[:, np.random.permutation(f)[:int(f * share)]] = True
        return chosen

    def masked_patches(self, grid: Tuple[int, int]) -> np.ndarray:
        """Whole columns / rows first, then random patches to the count."""
        chosen = self.structure(grid).reshape(-1)
        count = self.num_masked(chosen.size)
        first = np.random.permutation(np.flatnonzero(chosen))
        rest = np.random.permutation(np.flatnonzero(~chosen))
        masked = np.zeros(chosen.size, dtype=bool)
        masked[np.concatenate([first, rest])[:count]] = True
        return masked.reshape(grid)

    def __repr__(self) -> str:
        return (super().__repr__()[:-1] + f', mode={self.mode!r}, '
                f'tf_fraction={self.tf_fraction})')
