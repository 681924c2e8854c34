"""Per-token pixel reconstruction loss with optional token weights."""
import contextlib
from typing import Optional

import torch
from torch import nn

from mmvmae.registry import MODELS


def fp32_region(device_type: str):
    """A context without autocast on ``device_type`` (a no-op for devices
    autocast does not know, e.g. meta)."""
    if torch.amp.is_autocast_available(device_type):
        return torch.autocast(device_type, enabled=False)
    return contextlib.nullcontext()


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
        with fp32_region(pred.device.type):
            # bf16 - fp32 promotes to fp32 without a float copy of pred
            diff = pred - target.float()
            if self.criterion == 'l1':
                return diff.abs().mean(-1)
            # one dot product per token (B*Q tiny matmuls): no (B, Q, P)
            # tensor of squares, in fp32 under autocast too
            rows = diff.reshape(-1, 1, diff.shape[-1])
            squares = torch.bmm(rows, rows.transpose(1, 2))
            return squares.view(diff.shape[:-1]) / diff.shape[-1]

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
