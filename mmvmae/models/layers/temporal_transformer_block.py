"""Pre-LN transformer block on (B, C, T) sequences with optional
downsampling (ActionFormer's pyramid block)."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn.bricks import DropPath
from torch import nn

from .channel_layer_norm import ChannelLayerNorm
from .local_masked_attention import LocalMaskedAttention1d


def masked_max_pool(x: torch.Tensor, mask: torch.Tensor,
                    stride: int) -> torch.Tensor:
    """Max over ``stride + 1`` steps every ``stride`` steps, padded steps
    excluded (so the result does not depend on the padding)."""
    lowest = torch.finfo(x.dtype).min
    pooled = F.max_pool1d(
        x.masked_fill(~mask[:, None], lowest), stride + 1, stride,
        (stride + 1) // 2)
    return pooled.masked_fill(~mask[:, None, ::stride], 0.)


class TemporalTransformerBlock(nn.Module):
    """``x' = skip(x) + attn(LN(x))``, ``x' + mlp(LN(x'))`` on valid steps.

    With ``stride`` > 1 the attention downsamples and the skip path is a
    (masked) max-pool. Each branch may be multiplied by a learnable
    per-channel scale (``layer_scale_init``; ActionFormer's
    ``AffineDropPath`` uses 1e-4) before drop path.

    Args:
        embed_dims (int): Channels.
        num_heads (int): Attention heads.
        window_size (int, optional): Local attention window (None: global).
        stride (int): Downsampling stride. Defaults to 1.
        mlp_ratio (float): MLP hidden width over ``embed_dims``.
            Defaults to 4.
        attn_drop (float): Dropout on attention weights. Defaults to 0.
        proj_drop (float): Dropout after projections and in the MLP.
            Defaults to 0.
        drop_path (float): Stochastic depth rate. Defaults to 0.
        layer_scale_init (float, optional): Initial branch scale; None for
            no scale. Defaults to None.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 window_size: Optional[int] = None,
                 stride: int = 1,
                 mlp_ratio: float = 4.,
                 attn_drop: float = 0.,
                 proj_drop: float = 0.,
                 drop_path: float = 0.,
                 layer_scale_init: Optional[float] = None) -> None:
        super().__init__()
        self.stride = stride
        self.norm1 = ChannelLayerNorm(embed_dims)
        self.attn = LocalMaskedAttention1d(embed_dims, num_heads,
                                           window_size, stride, attn_drop,
                                           proj_drop)
        self.norm2 = ChannelLayerNorm(embed_dims)
        hidden = int(embed_dims * mlp_ratio)
        self.mlp = nn.Sequential(
            nn.Conv1d(embed_dims, hidden, 1), nn.GELU(),
            nn.Dropout(proj_drop), nn.Conv1d(hidden, embed_dims, 1),
            nn.Dropout(proj_drop))
        if layer_scale_init is not None:
            self.gamma1 = nn.Parameter(
                torch.full((1, embed_dims, 1), float(layer_scale_init)))
            self.gamma2 = nn.Parameter(
                torch.full((1, embed_dims, 1), float(layer_scale_init)))
        else:
            self.gamma1 = self.gamma2 = None
        self.drop_path = DropPath(drop_path) if drop_path else nn.Identity()

    def forward(self, x: torch.Tensor,
                mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """(B, C, T), (B, T) -> (B, C, T / stride) and its mask."""
        out, out_mask = self.attn(self.norm1(x), mask)
        valid = out_mask[:, None].to(x.dtype)
        skip = (masked_max_pool(x, mask, self.stride)
                if self.stride > 1 else x)
        if self.gamma1 is not None:
            out = self.gamma1 * out
        x = skip * valid + self.drop_path(out)
        out = self.mlp(self.norm2(x)) * valid
        if self.gamma2 is not None:
            out = self.gamma2 * out
        return x + self.drop_path(out), out_mask
