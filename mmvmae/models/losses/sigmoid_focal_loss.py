"""Sigmoid focal loss (RetinaNet) over multi-hot targets."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from mmvmae.registry import MODELS

REDUCTIONS = ('none', 'sum', 'mean')


def sigmoid_focal_loss(logits: torch.Tensor, targets: torch.Tensor,
                       alpha: float = 0.25,
                       gamma: float = 2.) -> torch.Tensor:
    """Element-wise ``-alpha_t (1 - p_t) ** gamma log(p_t)``.

    ``p_t = p`` where the target is 1 and ``1 - p`` where it is 0 (soft
    targets interpolate), ``alpha_t = alpha`` / ``1 - alpha`` likewise;
    ``alpha < 0`` disables the weighting. Computed in float32.
    """
    logits, targets = logits.float(), targets.float()
    prob = logits.sigmoid()
    ce = F.binary_cross_entropy_with_logits(logits, targets,
                                            reduction='none')
    p_t = prob * targets + (1 - prob) * (1 - targets)
    loss = ce * (1 - p_t)**gamma
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return loss


@MODELS.register_module()
class SigmoidFocalLoss(nn.Module):
    """:func:`sigmoid_focal_loss`, reduced and weighted.

    Args:
        alpha (float): Positive weight (negatives get ``1 - alpha``).
            Defaults to 0.25.
        gamma (float): Focusing exponent. Defaults to 2.
        reduction (str): ``'none'``, ``'sum'`` or ``'mean'``. Defaults to
            ``'sum'`` (the detector divides by its positive count).
        loss_weight (float): Factor. Defaults to 1.
    """

    def __init__(self, alpha: float = 0.25, gamma: float = 2.,
                 reduction: str = 'sum', loss_weight: float = 1.) -> None:
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f'reduction must be one of {REDUCTIONS}, got '
                             f'{reduction!r}')
        self.alpha, self.gamma = alpha, gamma
        self.reduction, self.loss_weight = reduction, loss_weight

    def forward(self, logits: torch.Tensor, targets: torch.Tensor,
                weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Loss of (..., K) logits against (..., K) targets in [0, 1];
        ``weight`` (broadcastable, e.g. a (..., 1) validity mask) scales the
        elements before the reduction."""
        if logits.shape != targets.shape:
            raise ValueError(f'logits {tuple(logits.shape)} and targets '
                             f'{tuple(targets.shape)} differ in shape')
        loss = sigmoid_focal_loss(logits, targets, self.alpha, self.gamma)
        if weight is not None:
            loss = loss * weight
        if self.reduction == 'sum':
            loss = loss.sum()
        elif self.reduction == 'mean':
            loss = loss.mean()
        return self.loss_weight * loss
