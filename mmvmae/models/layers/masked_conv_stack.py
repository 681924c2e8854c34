"""Conv -> LayerNorm -> ReLU layers over padded sequences."""
from typing import Tuple

import torch
from torch import nn

from .channel_layer_norm import ChannelLayerNorm
from .masked_conv1d import MaskedConv1d


class MaskedConvStack(nn.Module):
    """``num_convs`` x (:class:`MaskedConv1d`, LayerNorm, ReLU), stride 1.

    Args:
        in_channels (int): Input channels.
        feat_channels (int): Channels of every layer.
        num_convs (int): Layers (0 passes the input through).
        kernel_size (int): Odd kernel size. Defaults to 3.
        norm (bool): LayerNorm after each conv (which then has no bias).
            Defaults to True.
    """

    def __init__(self,
                 in_channels: int,
                 feat_channels: int,
                 num_convs: int,
                 kernel_size: int = 3,
                 norm: bool = True) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            MaskedConv1d(in_channels if i == 0 else feat_channels,
                         feat_channels, kernel_size, bias=not norm)
            for i in range(num_convs))
        self.norms = nn.ModuleList(
            ChannelLayerNorm(feat_channels) if norm else nn.Identity()
            for _ in range(num_convs))
        self.out_channels = feat_channels if num_convs else in_channels

    def forward(self, x: torch.Tensor,
                mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """(B, C, T), (B, T) -> (B, feat_channels, T), the same mask."""
        for conv, norm in zip(self.convs, self.norms):
            x, mask = conv(x, mask)
            x = torch.relu(norm(x))
        return x, mask
