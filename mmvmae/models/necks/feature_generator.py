"""AMD's generator: predicts teacher features of tokens the student missed."""
from typing import Optional

import torch
from mmengine.model import BaseModule
from torch import nn
from torch.utils.checkpoint import checkpoint

from mmvmae.registry import MODELS
from ..layers import VIT_INIT_CFG, TransformerBlock, gather_tokens
from .mae_decoder import device_sinusoid_table


@MODELS.register_module()
class FeatureGenerator(BaseModule):
    """Predict features at query tokens from features of visible tokens.

    The visible features plus their position embedding, and the learned
    ``mask_token`` plus the position embedding of each query position, run
    through a few transformer blocks; the outputs at the query positions are
    returned as they are (no norm, no head), since they regress raw teacher
    block outputs. The position embedding is VideoMAE's fixed 1-D sinusoid.

    Args:
        embed_dims (int): Width of the features (the teacher's).
        depth (int): Blocks. Defaults to 2.
        num_heads (int, optional): Heads; None gives one head per 64
            channels (at least one). Defaults to None.
        mlp_ratio (float): MLP ratio. Defaults to 4.
        qkv_bias (bool): q/v biases. Defaults to True.
        norm_eps (float): LayerNorm epsilon. Defaults to 1e-6.
        fused_attn (bool, optional): SDPA switch, see ``Attention``.
        with_cp (bool): Activation checkpointing while training.
        init_cfg (dict | list, optional): mmengine init config.
    """

    def __init__(self,
                 embed_dims: int,
                 depth: int = 2,
                 num_heads: Optional[int] = None,
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = True,
                 norm_eps: float = 1e-6,
                 fused_attn: Optional[bool] = None,
                 with_cp: bool = False,
                 init_cfg=VIT_INIT_CFG) -> None:
        super().__init__(init_cfg=list(init_cfg) if isinstance(
            init_cfg, tuple) else init_cfg)
        if num_heads is None:
            num_heads = max(1, embed_dims // 64)
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims={embed_dims} is not divisible by '
                             f'num_heads={num_heads}')
        self.embed_dims = embed_dims
        self.with_cp = with_cp
        self.mask_token = nn.Parameter(torch.zeros(1, 1, embed_dims))
        nn.init.trunc_normal_(self.mask_token, std=.02)
        self.blocks = nn.ModuleList([
            TransformerBlock(embed_dims, num_heads, mlp_ratio, qkv_bias,
                             norm_eps=norm_eps, fused_attn=fused_attn)
            for _ in range(depth)
        ])

    def forward(self, features: torch.Tensor, visible_ids: torch.Tensor,
                query_ids: torch.Tensor, grid: tuple) -> torch.Tensor:
        """Predict the features of the query tokens.

        Args:
            features (Tensor): (B, K, C) features of ``visible_ids``.
            visible_ids (Tensor): (B, K) token indices of ``features``.
            query_ids (Tensor): (B, Q) token indices to predict.
            grid (tuple): Token grid (T', H', W').

        Returns:
            Tensor: Predicted features (B, Q, C).
        """
        pos = device_sinusoid_table(grid[0] * grid[1] * grid[2],
                                    self.embed_dims, features.device,
                                    features.dtype)
        queries = self.mask_token.to(features.dtype) + gather_tokens(
            pos, query_ids)
        x = torch.cat([features + gather_tokens(pos, visible_ids), queries],
                      dim=1)
        for block in self.blocks:
            if self.with_cp and self.training and x.requires_grad:
                x = checkpoint(block, x, use_reentrant=False)
            else:
                x = block(x)
        return x[:, -query_ids.shape[1]:]
