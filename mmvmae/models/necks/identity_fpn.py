"""Pass-through feature pyramid with a LayerNorm per level."""
from typing import List, Sequence, Tuple

import torch
from torch import nn

from mmvmae.registry import MODELS
from ..layers.channel_layer_norm import ChannelLayerNorm


@MODELS.register_module()
class IdentityFPN(nn.Module):
    """ActionFormer's ``identity`` FPN: each backbone level, normalized.

    Args:
        in_channels (int): Channels of every level.
        num_levels (int): Pyramid levels.
        norm (bool): LayerNorm each level. Defaults to True.
    """

    def __init__(self, in_channels: int, num_levels: int,
                 norm: bool = True) -> None:
        super().__init__()
        self.norms = nn.ModuleList(
            ChannelLayerNorm(in_channels) if norm else nn.Identity()
            for _ in range(num_levels))

    def forward(
        self, feats: Sequence[torch.Tensor], masks: Sequence[torch.Tensor]
    ) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        """Per level (B, C, T_l) features and (B, T_l) masks."""
        if len(feats) != len(self.norms):
            raise ValueError(f'{len(feats)} levels, the FPN has '
                             f'{len(self.norms)}')
        return [norm(x) for norm, x in zip(self.norms, feats)], list(masks)
