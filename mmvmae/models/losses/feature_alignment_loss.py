"""Regression of student features onto teacher features."""
import torch
import torch.nn.functional as F
from torch import nn

from mmvmae.registry import MODELS

CRITERIA = {
    'l2': F.mse_loss,
    'l1': F.l1_loss,
    'smooth_l1': F.smooth_l1_loss,
}


@MODELS.register_module()
class FeatureAlignmentLoss(nn.Module):
    """Mean element-wise distance between predicted and target features.

    Computed in float32; the target carries no gradient.

    Args:
        criterion (str): ``'l2'`` (MSE), ``'l1'`` or ``'smooth_l1'`` (Huber
            with beta 1). Defaults to ``'l2'``.
        loss_weight (float): Scale of the loss. Defaults to 1.
    """

    def __init__(self, criterion: str = 'l2', loss_weight: float = 1.) -> None:
        super().__init__()
        if criterion not in CRITERIA:
            raise ValueError(f'criterion must be one of {sorted(CRITERIA)}, '
                             f'got {criterion!r}')
        self.criterion = criterion
        self.loss_weight = loss_weight

    def forward(self, pred: torch.Tensor,
                target: torch.Tensor) -> torch.Tensor:
        """Loss of ``pred`` against ``target``, both (B, K, C)."""
        if pred.shape != target.shape:
            raise ValueError(f'prediction {tuple(pred.shape)} and target '
                             f'{tuple(target.shape)} differ in shape')
        loss = CRITERIA[self.criterion](pred.float(),
                                        target.detach().float())
        return self.loss_weight * loss
