"""Score-guided masking from a map carried by the sample."""
from typing import Dict, Tuple

import numpy as np
import torch

from mmvmae.registry import TRANSFORMS
from mmvmae.utils.score_selection import VisibleSelector
from .load_score_map import check_aligned
from .mask_generator import BaseMaskGenerator, clip_shape


def pool_to_tokens(score_map: np.ndarray, clip: Tuple[int, int, int],
                   grid: Tuple[int, int, int], key: str) -> np.ndarray:
    """Per-token scores (T', H', W') of a map.

    A map of the token grid, ``(T', H', W')`` or ``(H', W')``, is taken as
    is; a pixel map of the clip, ``(T, H, W)`` or ``(H, W)``, is averaged
    over each tubelet / patch. 2-D maps hold for every slice.
    """
    t, h, w = clip
    tt, hh, ww = grid
    shape = score_map.shape
    if shape in ((tt, hh, ww), (hh, ww)):
        tokens = score_map
    elif shape == (t, h, w):
        tokens = score_map.reshape(tt, t // tt, hh, h // hh, ww,
                                   w // ww).mean(axis=(1, 3, 5))
    elif shape == (h, w):
        tokens = score_map.reshape(hh, h // hh, ww, w // ww).mean(axis=(1,
                                                                        3))
    else:
        raise ValueError(
            f'{key!r} has shape {shape}; expected the clip {(t, h, w)} or '
            f'{(h, w)} in pixels, or the token grid {(tt, hh, ww)} or '
            f'{(hh, ww)}')
    return np.broadcast_to(tokens, grid).astype(np.float32)


@TRANSFORMS.register_module()
class ScoreMaskGenerator(BaseMaskGenerator):
    """Choose the visible tokens by a per-token score of the sample.

    The score comes from ``results[score_key]``: a pixel map of the clip
    (averaged over each tubelet / patch) or a map of the token grid, e.g.
    loaded by :class:`LoadScoreMap` or computed by :class:`FaskingScores`
    (MARLIN). The choice is :class:`~mmvmae.utils.score_selection.
    VisibleSelector`'s, shared with the model-side ``ScoreGuidedMasker``;
    its randomness (ties, sampling) is drawn from ``numpy.random``.

    Args:
        mask_ratio (float): Fraction of tokens hidden from the encoder.
        patch_size (int): Spatial patch size. Defaults to 16.
        tubelet_size (int): Frames per token. Defaults to 2.
        score_key (str): Where the map is. Defaults to ``'score_map'``.
        keep (str): ``'high'`` keeps the high scores visible, ``'low'`` the
            low ones. Defaults to ``'high'``.
        sample (str): ``'topk'`` or ``'multinomial'``. Defaults to
            ``'topk'``.
        temperature (float): Softness of ``'multinomial'``. Defaults to 1.
        per_slice (bool): Tube masking's count in every temporal slice
            (True) or random masking's count over the clip (False).
            Defaults to True.
    """

    def __init__(self,
                 mask_ratio: float,
                 patch_size: int = 16,
                 tubelet_size: int = 2,
                 score_key: str = 'score_map',
                 keep: str = 'high',
                 sample: str = 'topk',
                 temperature: float = 1.,
                 per_slice: bool = True) -> None:
        super().__init__(mask_ratio, patch_size, tubelet_size)
        self.score_key = score_key
        self.selector = VisibleSelector(mask_ratio, keep, sample,
                                        temperature, per_slice)

    def token_scores(self, results: Dict,
                     grid: Tuple[int, int, int]) -> np.ndarray:
        """Per-token scores (T', H', W') from ``results[score_key]``."""
        if self.score_key not in results:
            raise KeyError(
                f'{type(self).__name__} reads results[{self.score_key!r}]: '
                'load it (LoadScoreMap) or compute it (e.g. FaskingScores) '
                'before the mask generator')
        check_aligned(results, self.score_key)
        return pool_to_tokens(
            np.asarray(results[self.score_key], dtype=np.float32),
            clip_shape(results), grid, self.score_key)

    def masked_tokens(self, grid: Tuple[int, int, int]) -> np.ndarray:
        """Masked tokens when every token scores the same: a uniform choice
        with this generator's counts."""
        return self.select_masked(np.zeros(grid, np.float32))

    def sample_masked_tokens(self, results: Dict,
                             grid: Tuple[int, int, int]) -> np.ndarray:
        """Masked tokens chosen by the sample's scores."""
        return self.select_masked(self.token_scores(results, grid))

    def select_masked(self, scores: np.ndarray) -> np.ndarray:
        """Masked token indices given per-token ``scores`` (T', H', W')."""
        generator = torch.Generator().manual_seed(
            int(np.random.randint(2**31)))
        visible = self.selector(
            torch.from_numpy(np.ascontiguousarray(scores)).reshape(1, -1),
            scores.shape, generator)[0].numpy()
        masked = np.ones(scores.size, dtype=bool)
        masked[visible] = False
        return np.flatnonzero(masked)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(patch_size={self.patch_size}, '
                f'tubelet_size={self.tubelet_size}, score_key='
                f'{self.score_key!r}, {self.selector!r})')
