"""Base of the ViT encoders: blocks over (visible) embedded tokens."""
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import nn
from torch.utils.checkpoint import checkpoint

from ..layers import TransformerBlock, gather_tokens


class TokenEncoder(BaseModule):
    """Shared forward of the video, audio and IMU ViTs.

    Subclasses build ``blocks`` (ModuleList), ``norm``, ``pos_drop`` and set
    ``depth``; they may set ``with_cp`` (activation checkpointing while
    training) and ``frozen`` (kept in eval mode).
    """
    with_cp = False
    frozen = False

    def build_blocks(self,
                     settings: dict,
                     qkv_bias: bool = True,
                     drop_rate: float = 0.,
                     attn_drop_rate: float = 0.,
                     drop_path_rate: float = 0.,
                     norm_eps: float = 1e-6,
                     init_values: float = 0.,
                     fused_attn: Optional[bool] = None,
                     use_mean_pooling: bool = True) -> None:
        """Build ``pos_drop``, ``blocks`` (drop path rising linearly to
        ``drop_path_rate``), ``norm`` and ``fc_norm`` (after mean pooling
        when ``use_mean_pooling``, else None) for ``settings`` of
        ``resolve_arch``; sets ``depth``."""
        dims = settings['embed_dims']
        self.depth = settings['depth']
        self.pos_drop = nn.Dropout(drop_rate)
        rates = [
            drop_path_rate * i / max(self.depth - 1, 1)
            for i in range(self.depth)
        ]
        self.blocks = nn.ModuleList([
            TransformerBlock(dims, settings['num_heads'],
                             settings['mlp_ratio'], qkv_bias, drop_rate,
                             attn_drop_rate, rate, norm_eps, init_values,
                             fused_attn) for rate in rates
        ])
        if use_mean_pooling:
            self.norm = nn.Identity()
            self.fc_norm = nn.LayerNorm(dims, eps=norm_eps)
        else:
            self.norm = nn.LayerNorm(dims, eps=norm_eps)
            self.fc_norm = None

    def encode_tokens(
            self,
            tokens: torch.Tensor,
            visible_ids: Optional[torch.Tensor] = None,
            layers: Sequence[int] = ()
    ) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """Run the blocks on embedded tokens.

        Args:
            tokens (Tensor): Output of the encoder's ``embed``, (B, N, C).
            visible_ids (Tensor, optional): (B, K) tokens to keep; None
                keeps all.
            layers (Sequence[int]): 1-based block indices whose raw outputs
                (before the final norm) are also returned.

        Returns:
            tuple: Normed output tokens and the list of requested block
            outputs, in the order of ``layers``.
        """
        bad = [i for i in layers if not 1 <= i <= self.depth]
        if bad:
            raise ValueError(f'layers {bad} out of range 1..{self.depth}')
        if visible_ids is not None:
            tokens = gather_tokens(tokens, visible_ids)
        tokens = self.pos_drop(tokens)
        outputs = {}
        for index, block in enumerate(self.blocks, start=1):
            if self.with_cp and self.training and tokens.requires_grad:
                tokens = checkpoint(block, tokens, use_reentrant=False)
            else:
                tokens = block(tokens)
            if index in layers:
                outputs[index] = tokens
        return self.norm(tokens), [outputs[i] for i in layers]

    def train(self, mode: bool = True) -> 'TokenEncoder':
        """Keep a frozen encoder in eval mode (no dropout / drop path)."""
        return super().train(mode and not self.frozen)
