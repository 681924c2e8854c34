"""LayerNorm over the channels of (B, C, T) sequences."""
import torch
import torch.nn.functional as F
from torch import nn


class ChannelLayerNorm(nn.LayerNorm):
    """``nn.LayerNorm`` over dimension 1 of a (B, C, T) tensor.

    Args:
        num_channels (int): C.
        eps (float): Epsilon. Defaults to 1e-5.
    """

    def __init__(self, num_channels: int, eps: float = 1e-5) -> None:
        super().__init__(num_channels, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalize every step of ``x`` over its channels."""
        return F.layer_norm(x.transpose(1, 2), self.normalized_shape,
                            self.weight, self.bias, self.eps).transpose(1, 2)
