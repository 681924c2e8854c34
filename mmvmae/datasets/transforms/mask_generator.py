"""Shared logic of the mask-generator transforms."""
from abc import abstractmethod
from typing import Dict, Tuple

import numpy as np
from mmcv.transforms import BaseTransform


def clip_shape(results: Dict) -> Tuple[int, int, int]:
    """Frames, height and width of the (single) clip in ``results``.

    Works before ``FormatShape`` (a list of frames plus ``clip_len``) and
    after it (an array ``(views, C, T, H, W)``).
    """
    imgs = results.get('imgs')
    if isinstance(imgs, np.ndarray) and imgs.ndim == 5:
        return tuple(imgs.shape[2:])
    if 'clip_len' not in results or 'img_shape' not in results:
        raise KeyError('a mask generator needs the decoded clip: place it '
                       'after the decode / crop transforms')
    frames = results['clip_len'] * results.get('num_clips', 1)
    return (frames, *results['img_shape'])


class BaseMaskGenerator(BaseTransform):
    """Base of transforms that choose the encoder-visible tokens.

    Subclasses implement :meth:`masked_tokens` (and
    :meth:`sample_masked_tokens` when the mask depends on the sample); this
    class checks the grid
    and writes sorted index arrays ``visible_ids`` and ``masked_ids``
    (int64, tokens in ``(t h w)`` order) into the results. Randomness comes
    from ``numpy.random`` (seeded per worker by mmengine).

    Args:
        mask_ratio (float): Fraction of tokens hidden from the encoder.
        patch_size (int): Spatial patch size. Defaults to 16.
        tubelet_size (int): Frames per token. Defaults to 2.
    """

    def __init__(self,
                 mask_ratio: float,
                 patch_size: int = 16,
                 tubelet_size: int = 2) -> None:
        if not 0 < mask_ratio < 1:
            raise ValueError(f'mask_ratio must be in (0, 1), got '
                             f'{mask_ratio}')
        self.mask_ratio = mask_ratio
        self.patch_size = patch_size
        self.tubelet_size = tubelet_size

    def token_grid(self, results: Dict) -> Tuple[int, int, int]:
        """Token grid (T', H', W') of the clip; clear error if it does not
        divide."""
        t, h, w = clip_shape(results)
        if t % self.tubelet_size:
            raise ValueError(f'{t} frames are not divisible by '
                             f'tubelet_size={self.tubelet_size}')
        if h % self.patch_size or w % self.patch_size:
            raise ValueError(f'clip size {h}x{w} is not divisible by '
                             f'patch_size={self.patch_size}')
        return (t // self.tubelet_size, h // self.patch_size,
                w // self.patch_size)

    @abstractmethod
    def masked_tokens(self, grid: Tuple[int, int, int]) -> np.ndarray:
        """Flat indices of the masked tokens of ``grid``."""

    def sample_masked_tokens(self, results: Dict,
                             grid: Tuple[int, int, int]) -> np.ndarray:
        """Masked tokens of this sample; override when the mask depends on
        the sample (scores, motion). Defaults to :meth:`masked_tokens`."""
        return self.masked_tokens(grid)

    def transform(self, results: Dict) -> Dict:
        """Add ``visible_ids`` and ``masked_ids`` to ``results``."""
        grid = self.token_grid(results)
        num_tokens = grid[0] * grid[1] * grid[2]
        masked = np.zeros(num_tokens, dtype=bool)
        masked[self.sample_masked_tokens(results, grid)] = True
        if masked.all() or not masked.any():
            raise ValueError(
                f'mask_ratio={self.mask_ratio} leaves '
                f'{int((~masked).sum())} of {num_tokens} tokens visible on '
                f'grid {grid}')
        results['visible_ids'] = np.flatnonzero(~masked).astype(np.int64)
        results['masked_ids'] = np.flatnonzero(masked).astype(np.int64)
        results['token_grid'] = grid
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(mask_ratio={self.mask_ratio}, '
                f'patch_size={self.patch_size}, '
                f'tubelet_size={self.tubelet_size})')
