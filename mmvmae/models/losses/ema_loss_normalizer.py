"""Exponential moving average of the positive count (loss normalizer)."""
import torch
from mmengine.dist import all_reduce
from torch import nn


class EMALossNormalizer(nn.Module):
    """``value = momentum * value + (1 - momentum) * max(num_pos, 1)``.

    ActionFormer divides its summed losses by this running positive count,
    which is steadier than the count of one small batch. The count is
    averaged over processes in distributed training (a no-op otherwise)
    and the value is a buffer, so it is saved in checkpoints and resumes
    exactly. Updated without a host synchronisation.

    Args:
        init_value (float): Initial value (``init_loss_norm``).
            Defaults to 100.
        momentum (float): Weight of the old value. Defaults to 0.9.
    """

    def __init__(self, init_value: float = 100.,
                 momentum: float = 0.9) -> None:
        super().__init__()
        if not 0 <= momentum < 1:
            raise ValueError(f'momentum must be in [0, 1), got {momentum}')
        self.momentum = momentum
        self.register_buffer('value', torch.tensor(float(init_value)))

    @torch.no_grad()
    def update(self, num_pos: torch.Tensor) -> torch.Tensor:
        """Fold in this batch's positive count; the new value."""
        count = num_pos.detach().float().reshape(())
        all_reduce(count, op='mean')
        self.value.mul_(self.momentum).add_(
            (1 - self.momentum) * count.clamp(min=1))
        return self.value.clone()
