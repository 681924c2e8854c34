"""Scaled cosine error between predicted and target features (GraphMAE)."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from mmvmae.registry import MODELS


@MODELS.register_module()
class SCELoss(nn.Module):
    """``(1 - cos(pred, target)) ** alpha``, averaged over the weighted rows.

    GraphMAE's feature-reconstruction loss (EVI-MAE's device-graph loss:
    ``alpha=1``, weight 10). Both sides are L2-normalized along the last
    axis; the loss is computed in float32. Gradients reach the target too
    (EVI-MAE's targets are encoder features): detach it before the call to
    stop them.

    Args:
        alpha (float): Sharpening exponent, >= 1. Defaults to 1.
        loss_weight (float): Scale of the loss. Defaults to 1.
    """

    def __init__(self, alpha: float = 1., loss_weight: float = 1.) -> None:
        super().__init__()
        if alpha < 1:
            raise ValueError(f'alpha must be >= 1, got {alpha}')
        self.alpha = alpha
        self.loss_weight = loss_weight

    def forward(self,
                pred: torch.Tensor,
                target: torch.Tensor,
                weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Loss of ``pred`` against ``target``, both (..., C).

        Args:
            weight (Tensor, optional): (...) row weights, e.g. 1 for masked
                nodes and 0 elsewhere; the loss is their weighted mean (0
                when they sum to 0). None weights every row equally.
        """
        if pred.shape != target.shape:
            raise ValueError(f'prediction {tuple(pred.shape)} and target '
                             f'{tuple(target.shape)} differ in shape')
        cos = (F.normalize(pred.float(), dim=-1) *
               F.normalize(target.float(), dim=-1)).sum(-1)
        error = (1 - cos).clamp(min=0).pow(self.alpha)
        if weight is None:
            loss = error.mean()
        else:
            weight = weight.to(error.dtype)
            loss = (error * weight).sum() / weight.sum().clamp(min=1)
        return self.loss_weight * loss
