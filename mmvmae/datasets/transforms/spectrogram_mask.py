"""Shared logic of the spectrogram (audio) mask-generator transforms."""
from abc import abstractmethod
from typing import Dict, Tuple

import numpy as np
from mmcv.transforms import BaseTransform

LAYOUTS = ('tf', 'ft')


class BaseSpectrogramMaskGenerator(BaseTransform):
    """Base of transforms that choose the encoder-visible fbank patches.

    Subclasses implement :meth:`masked_patches`, a boolean map over
    (time patches, frequency patches) with exactly
    ``int(mask_ratio * N)`` True entries; this class checks the fbank and
    writes sorted int64 ``audio_visible_ids`` / ``audio_masked_ids`` (token
    indices in the order of ``layout``, as ``AudioViT`` numbers them) and
    ``audio_token_grid``. Every sample of a given fbank size gets the same
    counts, so the model gathers tokens without host syncs. Randomness
    comes from ``numpy.random`` (seeded per worker by mmengine).

    Pack with ``PackActionInputs(algorithm_keys=('audio_visible_ids',
    'audio_masked_ids', ...))``.

    Args:
        mask_ratio (float): Fraction of patches hidden from the encoder.
        patch_size (int): Patch side in frames and bins. Defaults to 16.
        layout (str): Token order of the encoder: ``'tf'`` (time-major,
            Audio-MAE) or ``'ft'`` (frequency-major, CAV-MAE).
            Defaults to ``'tf'``.
        key (str): Results key of the fbank, (T, F) or (1, T, F).
            Defaults to ``'audios'``.
    """

    def __init__(self,
                 mask_ratio: float,
                 patch_size: int = 16,
                 layout: str = 'tf',
                 key: str = 'audios') -> None:
        if not 0 < mask_ratio < 1:
            raise ValueError(f'mask_ratio must be in (0, 1), got '
                             f'{mask_ratio}')
        if layout not in LAYOUTS:
            raise ValueError(f'layout must be one of {LAYOUTS}, got '
                             f'{layout!r}')
        self.mask_ratio = mask_ratio
        self.patch_size = patch_size
        self.layout = layout
        self.key = key

    def patch_grid(self, results: Dict) -> Tuple[int, int]:
        """(time patches, frequency patches) of the fbank in ``results``.

        Raises:
            KeyError: If the fbank is missing.
            ValueError: If its shape is not (T, F) / (1, T, F) or does not
                divide into patches.
        """
        if self.key not in results:
            raise KeyError(f'{type(self).__name__} needs the fbank '
                           f'{self.key!r}: place it after AudioFbank')
        shape = np.shape(results[self.key])
        if len(shape) not in (2, 3) or (len(shape) == 3 and shape[0] != 1):
            raise ValueError(f'{self.key!r} must be an fbank (T, F) or '
                             f'(1, T, F), got shape {shape}')
        t, f = shape[-2:]
        if t % self.patch_size or f % self.patch_size:
            raise ValueError(f'fbank of {t} frames x {f} bins is not '
                             f'divisible by patch_size={self.patch_size}')
        return t // self.patch_size, f // self.patch_size

    def num_masked(self, num_tokens: int) -> int:
        """Masked patches per sample: ``int(mask_ratio * N)``."""
        return int(self.mask_ratio * num_tokens)

    @abstractmethod
    def masked_patches(self, grid: Tuple[int, int]) -> np.ndarray:
        """Boolean (T', F') map with :meth:`num_masked` True entries."""

    def transform(self, results: Dict) -> Dict:
        """Add ``audio_visible_ids``, ``audio_masked_ids`` and
        ``audio_token_grid`` to ``results``."""
        grid = self.patch_grid(results)
        num_tokens = grid[0] * grid[1]
        masked = self.masked_patches(grid)
        expected = self.num_masked(num_tokens)
        if masked.shape != grid or int(masked.sum()) != expected:
            raise RuntimeError(
                f'{type(self).__name__} masked {int(masked.sum())} patches '
                f'on a map of shape {masked.shape}, expected {expected} on '
                f'{grid}')
        if expected in (0, num_tokens):
            raise ValueError(
                f'mask_ratio={self.mask_ratio} leaves {num_tokens - expected}'
                f' of {num_tokens} fbank patches visible on grid {grid}')
        if self.layout == 'ft':
            masked, grid = masked.T, grid[::-1]
        flat = masked.reshape(-1)
        results['audio_visible_ids'] = np.flatnonzero(~flat).astype(np.int64)
        results['audio_masked_ids'] = np.flatnonzero(flat).astype(np.int64)
        results['audio_token_grid'] = grid
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(mask_ratio={self.mask_ratio}, '
                f'patch_size={self.patch_size}, layout={self.layout!r}, '
                f'key={self.key!r})')
