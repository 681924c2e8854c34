"""Per-point boundary regression over a temporal pyramid."""
from typing import List, Sequence

import torch
from torch import nn

from mmvmae.registry import MODELS
from ..layers.masked_conv1d import MaskedConv1d
from ..layers.masked_conv_stack import MaskedConvStack
from ..layers.scale import Scale


@MODELS.register_module()
class TemporalRegHead(nn.Module):
    """ActionFormer's regression head, shared by all levels.

    ``num_convs`` x (conv, LayerNorm, ReLU) then a conv to the distances
    (left, right) from the point to the segment ends, in strides of the
    level: ``ReLU(Scale_l(conv))`` with one learnable scale per level.

    Args:
        in_channels (int): Channels of the pyramid.
        feat_channels (int): Channels of the hidden convs.
        num_levels (int): Pyramid levels (one scale each).
        num_convs (int): Hidden convs. Defaults to 2.
        kernel_size (int): Odd kernel size. Defaults to 3.
        norm (bool): LayerNorm in the hidden layers. Defaults to True.
    """

    def __init__(self,
                 in_channels: int,
                 feat_channels: int,
                 num_levels: int,
                 num_convs: int = 2,
                 kernel_size: int = 3,
                 norm: bool = True) -> None:
        super().__init__()
        self.convs = MaskedConvStack(in_channels, feat_channels, num_convs,
                                     kernel_size, norm)
        self.reg = MaskedConv1d(self.convs.out_channels, 2, kernel_size)
        self.scales = nn.ModuleList(Scale() for _ in range(num_levels))

    def forward(self, feats: Sequence[torch.Tensor],
                masks: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        """Per level (B, C, T_l), (B, T_l) -> (B, T_l, 2) offsets >= 0."""
        if len(feats) != len(self.scales):
            raise ValueError(f'{len(feats)} levels, the head has '
                             f'{len(self.scales)} scales')
        offsets = []
        for x, mask, scale in zip(feats, masks, self.scales):
            x, mask = self.convs(x, mask)
            out = torch.relu(scale(self.reg(x, mask)[0]))
            offsets.append(out.transpose(1, 2))
        return offsets
