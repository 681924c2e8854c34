"""Score-guided masking with the score computed by a network."""
from typing import List, Optional, Tuple

import torch

from mmvmae.registry import MODELS
from mmvmae.utils.score_selection import VisibleSelector
from ..algorithms.token_masks import TokenMasks
from .base_token_masker import BaseTokenMasker
from .base_token_scorer import BaseTokenScorer


@MODELS.register_module()
class ScoreGuidedMasker(BaseTokenMasker):
    """Choose the visible tokens by scores a scorer computes on the device.

    The scorer (a :class:`BaseTokenScorer`, e.g. ``FrameDifferenceScorer``
    or ``EncoderTokenScorer``; a text-video similarity scorer for TGM) maps
    the normalized clip to one score per token; the choice is the same
    :class:`~mmvmae.utils.score_selection.VisibleSelector` the pipeline's
    ``ScoreMaskGenerator`` uses, drawing from torch's global generator.

    Args:
        scorer (dict): Config of a ``BaseTokenScorer``.
        mask_ratio (float): Fraction of tokens hidden from the encoder.
        keep (str): ``'high'`` keeps the high scores visible, ``'low'`` the
            low ones. Defaults to ``'high'``.
        sample (str): ``'topk'`` or ``'multinomial'``. Defaults to
            ``'topk'``.
        temperature (float): Softness of ``'multinomial'``. Defaults to 1.
        per_slice (bool): Tube masking's count in every temporal slice
            (True) or random masking's count over the clip (False).
            Defaults to True.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 scorer: dict,
                 mask_ratio: float,
                 keep: str = 'high',
                 sample: str = 'topk',
                 temperature: float = 1.,
                 per_slice: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.selector = VisibleSelector(mask_ratio, keep, sample,
                                        temperature, per_slice)
        self.scorer = MODELS.build(scorer)
        if not isinstance(self.scorer, BaseTokenScorer):
            raise TypeError(f"scorer {scorer['type']!r} is a "
                            f'{type(self.scorer).__name__}, not a '
                            'BaseTokenScorer')

    def forward(self,
                inputs: torch.Tensor,
                grid: Tuple[int, int, int],
                data_samples: Optional[List] = None) -> TokenMasks:
        """Masks of a normalized clip batch (B, C, T, H, W) on ``grid``."""
        num_tokens = grid[0] * grid[1] * grid[2]
        scores = self.scorer(inputs, grid, data_samples)
        if scores.shape != (inputs.shape[0], num_tokens):
            raise ValueError(
                f'{type(self.scorer).__name__} returned scores of shape '
                f'{tuple(scores.shape)}, expected '
                f'{(inputs.shape[0], num_tokens)} for grid {tuple(grid)}')
        visible = self.selector(scores.detach(), grid)
        # Distinct ids, equal counts by construction: the complement needs
        # no count check (no host sync; runs on the meta device).
        is_visible = torch.zeros_like(scores, dtype=torch.bool).scatter_(
            1, visible, True)
        order = torch.argsort((~is_visible).to(torch.int8), dim=1,
                              stable=True)
        masked = order[:, visible.shape[1]:]  # ascending: stable sort
        return TokenMasks(visible, masked, masked)
