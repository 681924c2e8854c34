"""Multi-head self-attention over a local window of padded sequences,
with depthwise-convolution projections that can downsample."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .channel_layer_norm import ChannelLayerNorm
from .masked_conv1d import MaskedConv1d


def windowed(x: torch.Tensor, window: int) -> torch.Tensor:
    """(..., T, D) -> (..., T, D, window): the ``window`` steps centred on
    each step, zero beyond the ends (a strided view of a padded copy)."""
    half = window // 2
    return F.pad(x, (0, 0, half, half)).unfold(-2, window, 1)


def local_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                    key_mask: torch.Tensor,
                    window: Optional[int],
                    dropout: nn.Module) -> torch.Tensor:
    """Softmax attention of each query over the valid keys within
    ``window // 2`` steps of it (all valid keys when ``window`` is None).

    Args:
        q, k, v (Tensor): (B, H, T, D), ``q`` already scaled.
        key_mask (Tensor): (B, T) bool, True for valid keys.
        window (int, optional): Odd window size, or None for global.
        dropout (nn.Module): Applied to the attention weights.

    Returns:
        Tensor: (B, H, T, D). A query with no valid key gets uniform
        weights (callers zero padded steps).
    """
    lowest = torch.finfo(q.dtype).min
    if window is None:
        scores = q @ k.transpose(-2, -1)
        scores = scores.masked_fill(~key_mask[:, None, None], lowest)
        return dropout(scores.softmax(-1)) @ v
    keys, values = windowed(k, window), windowed(v, window)
    valid = F.pad(key_mask, (window // 2, window // 2)).unfold(-1, window, 1)
    scores = torch.einsum('bhtd,bhtdw->bhtw', q, keys)
    scores = scores.masked_fill(~valid[:, None], lowest)
    weights = dropout(scores.softmax(-1))
    return torch.einsum('bhtw,bhtdw->bhtd', weights, values)


class LocalMaskedAttention1d(nn.Module):
    """ActionFormer's local multi-head convolutional self-attention.

    Queries, keys and values each go through a depthwise
    :class:`MaskedConv1d` (kernel 3, or ``stride + 1`` when downsampling),
    a LayerNorm and a 1x1 projection; each query then attends to the valid
    keys within ``window_size // 2`` steps (same result as ActionFormer's
    Longformer-style chunked attention, computed on an unfolded view).
    With ``stride`` > 1 the output is downsampled (queries and keys alike).

    Args:
        embed_dims (int): Channels.
        num_heads (int): Heads.
        window_size (int, optional): Odd local window; None or <= 1 for
            global attention.
        stride (int): Downsampling stride (1 or even). Defaults to 1.
        attn_drop (float): Dropout on attention weights. Defaults to 0.
        proj_drop (float): Dropout after the output projection.
            Defaults to 0.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 window_size: Optional[int] = None,
                 stride: int = 1,
                 attn_drop: float = 0.,
                 proj_drop: float = 0.) -> None:
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims {embed_dims} is not divisible by '
                             f'num_heads {num_heads}')
        if window_size is not None and window_size <= 1:
            window_size = None
        if window_size is not None and window_size % 2 != 1:
            raise ValueError(f'window_size must be odd, got {window_size}')
        if stride != 1 and stride % 2:
            raise ValueError(f'stride must be 1 or even, got {stride}')
        self.num_heads = num_heads
        self.window_size = window_size
        self.scale = (embed_dims // num_heads)**-0.5
        kernel = stride + 1 if stride > 1 else 3
        for name in ('query', 'key', 'value'):
            setattr(self, f'{name}_conv',
                    MaskedConv1d(embed_dims, embed_dims, kernel, stride,
                                 groups=embed_dims, bias=False))
            setattr(self, f'{name}_norm', ChannelLayerNorm(embed_dims))
            setattr(self, name, nn.Conv1d(embed_dims, embed_dims, 1))
        self.proj = nn.Conv1d(embed_dims, embed_dims, 1)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj_drop = nn.Dropout(proj_drop)

    def _project(self, name: str, x: torch.Tensor,
                 mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Depthwise conv, norm, 1x1 projection; split heads -> (B,H,T,D)."""
        x, mask = getattr(self, f'{name}_conv')(x, mask)
        x = getattr(self, name)(getattr(self, f'{name}_norm')(x))
        batch, channels, steps = x.shape
        x = x.view(batch, self.num_heads, channels // self.num_heads, steps)
        return x.transpose(2, 3), mask

    def forward(self, x: torch.Tensor,
                mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """(B, C, T), (B, T) -> (B, C, T'), (B, T') with T' = T / stride."""
        q, out_mask = self._project('query', x, mask)
        k, _ = self._project('key', x, mask)
        v, _ = self._project('value', x, mask)
        out = local_attention(q * self.scale, k, v, out_mask,
                              self.window_size, self.attn_drop)
        batch, heads, steps, dims = out.shape
        out = out.transpose(2, 3).reshape(batch, heads * dims, steps)
        out = self.proj_drop(self.proj(out))
        return out * out_mask[:, None].to(out.dtype), out_mask
