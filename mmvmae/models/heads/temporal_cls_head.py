"""Per-point classification over a temporal pyramid."""
import math
from typing import List, Sequence

import torch
from torch import nn

from mmvmae.registry import MODELS
from ..layers.masked_conv1d import MaskedConv1d
from ..layers.masked_conv_stack import MaskedConvStack


@MODELS.register_module()
class TemporalClsHead(nn.Module):
    """ActionFormer's classification head, shared by all levels.

    ``num_convs`` x (conv, LayerNorm, ReLU) then a conv to ``num_classes``
    sigmoid logits (no background column). The final bias starts at
    ``-log((1 - prior_prob) / prior_prob)`` so every class starts at
    probability ``prior_prob``; classes listed in ``empty_classes`` (no
    training example) start at 1e-6 instead.

    Args:
        in_channels (int): Channels of the pyramid.
        feat_channels (int): Channels of the hidden convs.
        num_classes (int): K.
        num_convs (int): Hidden convs (ActionFormer's 3-layer head has 2).
            Defaults to 2.
        kernel_size (int): Odd kernel size. Defaults to 3.
        norm (bool): LayerNorm in the hidden layers. Defaults to True.
        prior_prob (float): Initial probability. Defaults to 0.01.
        empty_classes (Sequence[int]): Classes without training data.
            Defaults to ().
    """

    def __init__(self,
                 in_channels: int,
                 feat_channels: int,
                 num_classes: int,
                 num_convs: int = 2,
                 kernel_size: int = 3,
                 norm: bool = True,
                 prior_prob: float = 0.01,
                 empty_classes: Sequence[int] = ()) -> None:
        super().__init__()
        if not 0 < prior_prob < 1:
            raise ValueError(f'prior_prob must be in (0, 1), got '
                             f'{prior_prob}')
        self.num_classes = num_classes
        self.convs = MaskedConvStack(in_channels, feat_channels, num_convs,
                                     kernel_size, norm)
        self.cls = MaskedConv1d(self.convs.out_channels, num_classes,
                                kernel_size)
        nn.init.constant_(self.cls.bias, -math.log((1 - prior_prob) /
                                                   prior_prob))
        for label in empty_classes:
            nn.init.constant_(self.cls.bias[label], -math.log((1 - 1e-6) /
                                                              1e-6))

    def forward(self, feats: Sequence[torch.Tensor],
                masks: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        """Per level (B, C, T_l), (B, T_l) -> (B, T_l, K) logits."""
        logits = []
        for x, mask in zip(feats, masks):
            x, mask = self.convs(x, mask)
            logits.append(self.cls(x, mask)[0].transpose(1, 2))
        return logits
