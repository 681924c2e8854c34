"""Transformer block with extra LayerNorms per modality (CAV-MAE)."""
from typing import Optional, Sequence

import torch
from torch import nn

from .block import TransformerBlock


class ModalityNormBlock(TransformerBlock):
    """:class:`TransformerBlock` whose two LayerNorms can be swapped for a
    modality's own, while attention and MLP weights stay shared.

    ``forward(x)`` uses ``norm1`` / ``norm2`` (the joint pass over
    concatenated modalities); ``forward(x, modality)`` uses
    ``modality_norm1[modality]`` / ``modality_norm2[modality]`` (one
    modality alone), as CAV-MAE's unified block with ``norm1_a`` /
    ``norm1_v``.

    Args:
        embed_dims (int): Token width.
        num_heads (int): Attention heads.
        modalities (Sequence[str]): Names with their own norms; empty for
            none. Defaults to ().
        **kwargs: The other arguments of :class:`TransformerBlock`.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 modalities: Sequence[str] = (),
                 **kwargs) -> None:
        super().__init__(embed_dims, num_heads, **kwargs)
        eps = self.norm1.eps
        self.modality_norm1 = nn.ModuleDict(
            {name: nn.LayerNorm(embed_dims, eps=eps) for name in modalities})
        self.modality_norm2 = nn.ModuleDict(
            {name: nn.LayerNorm(embed_dims, eps=eps) for name in modalities})

    def forward(self,
                x: torch.Tensor,
                modality: Optional[str] = None) -> torch.Tensor:
        """Run the block on (B, N, C) with the joint or a modality's norms.
        """
        if modality is None:
            norm1, norm2 = self.norm1, self.norm2
        elif modality in self.modality_norm1:
            norm1 = self.modality_norm1[modality]
            norm2 = self.modality_norm2[modality]
        else:
            raise KeyError(f'no norms for modality {modality!r}; have '
                           f'{list(self.modality_norm1)}')
        attn = self.attn(norm1(x))
        if self.gamma_1 is not None:
            attn = self.gamma_1 * attn
        x = x + self.drop_path(attn)
        mlp = self.mlp(norm2(x))
        if self.gamma_2 is not None:
            mlp = self.gamma_2 * mlp
        return x + self.drop_path(mlp)
