"""Base of maskers that run inside the model (they need the clip tensor)."""
from abc import abstractmethod
from typing import List, Optional, Tuple

import torch
from mmengine.model import BaseModule

from ..algorithms.token_masks import TokenMasks


class BaseTokenMasker(BaseModule):
    """Chooses the encoder-visible tokens from the preprocessed clip.

    Pipeline mask generators (``BaseMaskGenerator``) work on one sample in
    the data workers; a model-side masker works on the whole batch on the
    training device, for masks that need a network (optical flow, a
    learned sampler, a teacher's attention). ``VideoMAE(masker=...)`` calls
    it instead of reading the masks from the data samples. Every sample of
    the batch must get the same number of visible tokens.
    """

    @abstractmethod
    def forward(self,
                inputs: torch.Tensor,
                grid: Tuple[int, int, int],
                data_samples: Optional[List] = None) -> TokenMasks:
        """Masks of a normalized clip batch (B, C, T, H, W) on ``grid``."""


def masks_from_visible(visible: torch.Tensor, num_tokens: int) -> TokenMasks:
    """TokenMasks (decoder predicts every masked token) from a (B, N) bool
    map or a (B, K) index tensor of visible tokens; indices come out sorted.
    """
    if visible.dtype == torch.bool:
        is_visible = visible
    else:
        is_visible = torch.zeros(visible.shape[0], num_tokens,
                                 dtype=torch.bool, device=visible.device)
        is_visible.scatter_(1, visible, True)
    counts = is_visible.sum(1)
    if not bool((counts == counts[0]).all()):
        raise ValueError(f'visible counts differ across the batch: '
                         f'{counts.tolist()}')
    if int(counts[0]) in (0, num_tokens):
        raise ValueError(f'{int(counts[0])} of {num_tokens} tokens visible; '
                         'a mask must leave some tokens visible and some '
                         'masked')
    order = torch.argsort((~is_visible).to(torch.int8), dim=1, stable=True)
    k = int(counts[0])
    return TokenMasks(order[:, :k], order[:, k:], order[:, k:])
