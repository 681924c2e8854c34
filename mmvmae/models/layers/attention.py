"""Multi-head self-attention with VideoMAE's q/v-only bias."""
import os

import torch
import torch.nn.functional as F
from torch import nn


def fused_attn_default() -> bool:
    """Whether attention uses SDPA unless a module says otherwise.

    ``MMVMAE_FUSED_ATTN=0`` forces the explicit (eager) path everywhere, for
    debugging and export; ``1`` (the default) uses
    :func:`torch.nn.functional.scaled_dot_product_attention`.
    """
    value = os.environ.get('MMVMAE_FUSED_ATTN', '1')
    if value not in ('0', '1'):
        raise ValueError(f'MMVMAE_FUSED_ATTN must be 0 or 1, got {value!r}')
    return value == '1'


class Attention(nn.Module):
    """Self-attention whose parameter names match mmaction2's ViT.

    The qkv projection has no bias; separate ``q_bias`` and ``v_bias`` give
    the query and value biases and the key has none (BEiT / VideoMAE).

    Args:
        embed_dims (int): Token width.
        num_heads (int): Number of heads.
        qkv_bias (bool): Learn ``q_bias`` and ``v_bias``. Defaults to True.
        attn_drop (float): Dropout on attention weights. Defaults to 0.
        proj_drop (float): Dropout after the output projection.
            Defaults to 0.
        fused (bool, optional): Use SDPA (True) or the explicit softmax path
            (False). Defaults to None, which reads ``MMVMAE_FUSED_ATTN``.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 qkv_bias: bool = True,
                 attn_drop: float = 0.,
                 proj_drop: float = 0.,
                 fused: bool = None) -> None:
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims={embed_dims} is not divisible by '
                             f'num_heads={num_heads}')
        self.num_heads = num_heads
        self.scale = (embed_dims // num_heads)**-0.5
        self.fused = fused_attn_default() if fused is None else fused
        self.qkv = nn.Linear(embed_dims, embed_dims * 3, bias=False)
        if qkv_bias:
            self.q_bias = nn.Parameter(torch.zeros(embed_dims))
            self.v_bias = nn.Parameter(torch.zeros(embed_dims))
        else:
            self.q_bias = self.v_bias = None
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Attend over tokens ``x`` of shape (B, N, C)."""
        B, N, C = x.shape
        bias = None
        if self.q_bias is not None:
            bias = torch.cat((self.q_bias, torch.zeros_like(self.v_bias),
                              self.v_bias))
        qkv = F.linear(x, self.qkv.weight, bias)
        qkv = qkv.reshape(B, N, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        if self.fused:
            drop = self.attn_drop.p if self.training else 0.
            x = F.scaled_dot_product_attention(q, k, v, dropout_p=drop)
        else:
            attn = (q * self.scale) @ k.transpose(-2, -1)
            x = self.attn_drop(attn.softmax(dim=-1)) @ v
        x = x.transpose(1, 2).reshape(B, N, C)
        return self.proj_drop(self.proj(x))
