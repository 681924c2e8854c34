"""A learnable scalar factor."""
import torch
from torch import nn


class Scale(nn.Module):
    """``x * scale`` with one learnable scalar (FCOS / ActionFormer
    per-level regression scale).

    Args:
        init_value (float): Initial scale. Defaults to 1.
    """

    def __init__(self, init_value: float = 1.) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(float(init_value)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Scale ``x``."""
        return x * self.scale
