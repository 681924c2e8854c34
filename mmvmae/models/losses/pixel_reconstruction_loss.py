"""Per-token pixel reconstruction loss with optional token weights."""
from typing import Optional

import torch
from torch import nn

from mmvmae.registry import MODELS


@MODELS.register_module()
class PixelReconstructionLoss(nn.Module):
    """Mean over values per token, then a (weighted) mean over tokens.

    Args:
        criterion (str): ``'l2'`` (MSE) or ``'l1'``. Defaults to ``'l2'``.
        loss_weight (float): Scale of the loss. Defaults to 1.
    """

    def __init__(self, criterion: str = 'l2', loss_weight: float = 1.) -> None:
        super().__init__()
        if criterion not in ('l1', 'l2'):
            raise ValueError(f"criterion must be 'l1' or 'l2', got "
                             f'{criterion!r}')
        self.criterion = criterion
        self.loss_weight = loss_weight

    def per_token(self, pred: torch.Tensor,
                  target: torch.Tensor) -> torch.Tensor:
        """Unweighted error of each token (B, Q), averaged over its values.
        """
        diff = pred.float() - target.float()
        return (diff.abs() if self.criterion == 'l1' else diff**2).mean(-1)

    def forward(self,
                pred: torch.Tensor,
                target: torch.Tensor,
                weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Loss of ``pred`` against ``target`` (B, Q, P).

        Args:
            weight (Tensor, optional): (B, Q) token weights (e.g. 1 for
                tokens that are encoder-masked and decoder-kept, else 0).
                None weights every token equally.
        """
        per_token = self.per_token(pred, target)
        if weight is None:
            loss = per_token.mean()
        else:
            weight = weight.to(per_token.dtype)
            loss = (per_token * weight).sum() / weight.sum().clamp(min=1)
        return self.loss_weight * loss
