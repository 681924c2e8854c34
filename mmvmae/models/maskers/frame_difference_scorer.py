"""Motion score per token from pixel differences between frames."""
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F

from mmvmae.registry import MODELS
from .base_token_scorer import BaseTokenScorer


@MODELS.register_module()
class FrameDifferenceScorer(BaseTokenScorer):
    """Mean absolute change of each token's pixels from one frame to the
    next, a parameter-free motion score.

    Frame ``t`` changes by ``|x_t - x_{t-1}|`` averaged over the colour
    channels (the first frame repeats the second's change); a token scores
    the mean change over its tubelet and patch. Static background scores
    about 0 and moving objects high, so ``keep='low'`` hides the moving
    tokens (the masker must then reconstruct motion) and ``keep='high'``
    shows them.
    """

    def forward(self,
                inputs: torch.Tensor,
                grid: Tuple[int, int, int],
                data_samples: Optional[List] = None) -> torch.Tensor:
        """Motion scores (B, N) of a clip batch (B, C, T, H, W)."""
        b, _, t, h, w = inputs.shape
        if t < 2:
            raise ValueError(f'a frame difference needs 2 or more frames, '
                             f'got {t}')
        change = (inputs[:, :, 1:] - inputs[:, :, :-1]).abs().mean(1)
        change = torch.cat([change[:, :1], change], dim=1)
        kernel = (t // grid[0], h // grid[1], w // grid[2])
        return F.avg_pool3d(change[:, None].float(), kernel).reshape(b, -1)
