"""MAE decoder that predicts an arbitrary set of query tokens."""
import functools
from typing import Optional, Tuple

import torch
from mmengine.model import BaseModule
from torch import nn
from torch.utils.checkpoint import checkpoint

from mmvmae.registry import MODELS
from ..layers import (VIT_INIT_CFG, SeparablePosEmbed, TransformerBlock,
                      gather_tokens, sinusoid_table)


@functools.lru_cache(maxsize=16)
def device_sinusoid_table(num_tokens: int, dims: int, device: torch.device,
                          dtype: torch.dtype) -> torch.Tensor:
    """The fixed sinusoid table, built once per shape, device and dtype."""
    return sinusoid_table(num_tokens, dims).to(device=device, dtype=dtype)


@MODELS.register_module()
class MAEDecoder(BaseModule):
    """Decoder of VideoMAE / VideoMAE V2 / MAE-ST.

    The visible latents (projected to the decoder width) and one mask token
    per query position, each plus its position embedding, run through the
    blocks; the outputs at the query positions are projected to pixels.
    Queries are the encoder-masked tokens for VideoMAE V1 and MAE-ST and the
    decoder-kept tokens (visible ones included) for VideoMAE V2.

    Args:
        in_dims (int): Encoder width.
        embed_dims (int): Decoder width. Defaults to 384.
        depth (int): Blocks. Defaults to 4.
        num_heads (int): Heads. Defaults to 6.
        out_dims (int): Values predicted per token, e.g.
            ``tubelet * patch * patch * 3`` = 1536. Defaults to 1536.
        mlp_ratio (float): MLP ratio. Defaults to 4.
        qkv_bias (bool): q/v biases. Defaults to True.
        norm_eps (float): LayerNorm epsilon. Defaults to 1e-6.
        pos_embed_type (str): ``'sincos'`` (computed, never saved) or
            ``'learned_separable'`` (MAE-ST; needs ``grid``).
        grid (tuple, optional): Token grid (T', H', W') for learned tables.
        fused_attn (bool, optional): SDPA switch, see ``Attention``.
        with_cp (bool): Activation checkpointing while training.
        init_cfg (dict | list, optional): mmengine init config.
    """

    def __init__(self,
                 in_dims: int,
                 embed_dims: int = 384,
                 depth: int = 4,
                 num_heads: int = 6,
                 out_dims: int = 1536,
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = True,
                 norm_eps: float = 1e-6,
                 pos_embed_type: str = 'sincos',
                 grid: Optional[Tuple[int, int, int]] = None,
                 fused_attn: Optional[bool] = None,
                 with_cp: bool = False,
                 init_cfg=VIT_INIT_CFG) -> None:
        super().__init__(init_cfg=list(init_cfg) if isinstance(
            init_cfg, tuple) else init_cfg)
        self.embed_dims = embed_dims
        self.with_cp = with_cp
        self.decoder_embed = nn.Linear(in_dims, embed_dims, bias=False)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, embed_dims))
        nn.init.trunc_normal_(self.mask_token, std=.02)
        self.pos_embed_type = pos_embed_type
        if pos_embed_type == 'learned_separable':
            if grid is None:
                raise ValueError("pos_embed_type='learned_separable' needs "
                                 'the token grid (T, H, W)')
            self.pos_embed = SeparablePosEmbed(grid, embed_dims)
        elif pos_embed_type != 'sincos':
            raise ValueError(f'unknown pos_embed_type {pos_embed_type!r}')
        self.blocks = nn.ModuleList([
            TransformerBlock(embed_dims, num_heads, mlp_ratio, qkv_bias,
                             norm_eps=norm_eps, fused_attn=fused_attn)
            for _ in range(depth)
        ])
        self.norm = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.head = nn.Linear(embed_dims, out_dims)

    def position_embedding(self, grid: tuple,
                           like: torch.Tensor) -> torch.Tensor:
        """Decoder position table (1, N, C) for ``grid``."""
        if self.pos_embed_type == 'sincos':
            n = grid[0] * grid[1] * grid[2]
            return device_sinusoid_table(n, self.embed_dims, like.device,
                                         like.dtype)
        return self.pos_embed(grid).to(like.dtype)

    def forward(self, latent: torch.Tensor, visible_ids: torch.Tensor,
                query_ids: torch.Tensor, grid: tuple) -> torch.Tensor:
        """Predict the query tokens.

        Args:
            latent (Tensor): Encoder output (B, K, C_enc) for ``visible_ids``.
            visible_ids (Tensor): (B, K) token indices of ``latent``.
            query_ids (Tensor): (B, Q) token indices to predict.
            grid (tuple): Token grid (T', H', W').

        Returns:
            Tensor: Predictions (B, Q, out_dims).
        """
        x = self.decoder_embed(latent)
        pos = self.position_embedding(grid, x)
        queries = self.mask_token.to(x.dtype) + gather_tokens(pos, query_ids)
        x = torch.cat([x + gather_tokens(pos, visible_ids), queries], dim=1)
        for block in self.blocks:
            if self.with_cp and self.training and x.requires_grad:
                x = checkpoint(block, x, use_reentrant=False)
            else:
                x = block(x)
        return self.head(self.norm(x[:, -query_ids.shape[1]:]))
