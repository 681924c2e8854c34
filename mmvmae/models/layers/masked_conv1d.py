"""1-D convolution over the valid steps of padded sequences."""
from typing import Tuple

import torch
from torch import nn


class MaskedConv1d(nn.Conv1d):
    """``Conv1d`` ('same' padding) that ignores padded steps.

    Padded input steps are zeroed before the convolution, so a valid step
    sees exactly what it would see at the end of an unpadded sequence; the
    output mask is the input mask taken every ``stride`` steps (a sequence
    of L valid steps gives ``ceil(L / stride)``) and padded output steps are
    zero. Biases start at zero.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Odd kernel size. Defaults to 3.
        stride (int): Temporal stride. Defaults to 1.
        groups (int): Convolution groups. Defaults to 1.
        bias (bool): Learn a bias. Defaults to True.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 3,
                 stride: int = 1,
                 groups: int = 1,
                 bias: bool = True) -> None:
        if kernel_size % 2 != 1:
            raise ValueError(f'kernel_size must be odd, got {kernel_size}')
        super().__init__(in_channels, out_channels, kernel_size, stride,
                         padding=kernel_size // 2, groups=groups, bias=bias)
        if bias:
            nn.init.zeros_(self.bias)

    def forward(self, x: torch.Tensor,
                mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """(B, C, T) features and (B, T) bool mask -> output and its mask."""
        out = super().forward(x * mask[:, None].to(x.dtype))
        out_mask = mask[:, ::self.stride[0]]
        return out * out_mask[:, None].to(out.dtype), out_mask
