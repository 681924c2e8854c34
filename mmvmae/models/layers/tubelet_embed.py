"""Tubelet (3-D patch) embedding."""
import torch
import torch.nn.functional as F
from torch import nn

from .token_ops import gather_tubelets


class TubeletEmbed(nn.Module):
    """Embed non-overlapping ``tubelet x patch x patch`` cubes with a Conv3d.

    The convolution is named ``projection`` (``patch_embed.projection`` in
    the encoder), as in mmaction2's ViT. :meth:`forward_selected` embeds
    only some tubelets (the visible ones of a masked clip) with the same
    weights.

    Args:
        in_channels (int): Input channels. Defaults to 3.
        embed_dims (int): Output width. Defaults to 768.
        patch_size (int): Spatial patch size. Defaults to 16.
        tubelet_size (int): Temporal patch size. Defaults to 2.
    """

    def __init__(self,
                 in_channels: int = 3,
                 embed_dims: int = 768,
                 patch_size: int = 16,
                 tubelet_size: int = 2) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.tubelet_size = tubelet_size
        size = (tubelet_size, patch_size, patch_size)
        self.projection = nn.Conv3d(
            in_channels, embed_dims, kernel_size=size, stride=size)

    def token_grid(self, shape: tuple) -> tuple:
        """Token grid (T', H', W') of a (B, C, T, H, W) clip.

        Raises:
            ValueError: If the clip is not 5-D or its sizes are not divisible
                by the tubelet / patch size.
        """
        if len(shape) != 5:
            raise ValueError(
                f'expected a clip of shape (B, C, T, H, W), got {tuple(shape)}'
            )
        t, h, w = shape[2:]
        if t % self.tubelet_size:
            raise ValueError(f'clip has {t} frames, not divisible by '
                             f'tubelet_size={self.tubelet_size}')
        if h % self.patch_size or w % self.patch_size:
            raise ValueError(f'clip size {h}x{w} is not divisible by '
                             f'patch_size={self.patch_size}')
        return (t // self.tubelet_size, h // self.patch_size,
                w // self.patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, T, H, W) -> tokens (B, T'H'W', C) in (t h w) order."""
        return self.projection(x).flatten(2).transpose(1, 2)

    def forward_selected(self, x: torch.Tensor,
                         ids: torch.Tensor) -> torch.Tensor:
        """Embed only the tubelets ``ids`` of a clip.

        Each selected tubelet's pixels are gathered by indexing a view of
        the clip (the clip is not copied) and multiplied by the
        convolution's weights: the result equals ``forward(x)`` gathered at
        ``ids``, for ``K / N`` of the FLOPs (10 % at mask ratio 0.9).

        Args:
            x (Tensor): Clip (B, C, T, H, W).
            ids (Tensor): (B, K) token indices in (t h w) order.

        Returns:
            Tensor: Tokens (B, K, embed_dims).
        """
        self.token_grid(x.shape)  # checks the clip's shape
        cubes = gather_tubelets(x, ids, self.tubelet_size, self.patch_size)
        return F.linear(
            cubes.flatten(2), self.projection.weight.flatten(1),
            self.projection.bias)
