"""Distance-IoU loss of 1-D segments given as offsets from one point."""
from typing import Optional

import torch
from torch import nn

from mmvmae.registry import MODELS

REDUCTIONS = ('none', 'sum', 'mean')


def diou_loss_1d(pred: torch.Tensor, target: torch.Tensor,
                 eps: float = 1e-8) -> torch.Tensor:
    """``1 - IoU + (centre distance / enclosing length) ** 2`` per row.

    Both segments are ``(t - left, t + right)`` around the same point,
    given as (N, 2) non-negative (left, right) offsets (the regression
    head's ReLU and the assigner guarantee it; not checked, to avoid a
    host synchronisation). Computed in float32.
    """
    pred, target = pred.float(), target.float()
    left_p, right_p = pred.unbind(-1)
    left_t, right_t = target.unbind(-1)
    intersection = (torch.minimum(left_p, left_t) +
                    torch.minimum(right_p, right_t))
    union = left_p + right_p + left_t + right_t - intersection
    iou = intersection / union.clamp(min=eps)
    enclosing = torch.maximum(left_p, left_t) + torch.maximum(
        right_p, right_t)
    centre_distance = 0.5 * ((right_p - left_p) - (right_t - left_t))
    return 1 - iou + (centre_distance / enclosing.clamp(min=eps))**2


@MODELS.register_module()
class DIoULoss1d(nn.Module):
    """:func:`diou_loss_1d`, reduced and weighted.

    Args:
        reduction (str): ``'none'``, ``'sum'`` or ``'mean'``. Defaults to
            ``'sum'`` (the detector divides by its positive count).
        loss_weight (float): Factor (ActionFormer's ``loss_weight``).
            Defaults to 1.
        eps (float): Guard of the divisions. Defaults to 1e-8.
    """

    def __init__(self, reduction: str = 'sum', loss_weight: float = 1.,
                 eps: float = 1e-8) -> None:
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f'reduction must be one of {REDUCTIONS}, got '
                             f'{reduction!r}')
        self.reduction, self.loss_weight, self.eps = (reduction,
                                                      loss_weight, eps)

    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Loss of (..., 2) predicted against (..., 2) target offsets;
        ``weight`` (shaped like the per-row loss) scales the rows before the
        reduction."""
        if pred.shape != target.shape:
            raise ValueError(f'pred {tuple(pred.shape)} and target '
                             f'{tuple(target.shape)} differ in shape')
        loss = diou_loss_1d(pred, target, self.eps)
        if weight is not None:
            loss = loss * weight
        if self.reduction == 'sum':
            loss = loss.sum()
        elif self.reduction == 'mean':
            loss = loss.mean() if loss.numel() else loss.sum()
        return self.loss_weight * loss
