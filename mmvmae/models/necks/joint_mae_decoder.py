"""One MAE decoder over the tokens of several modalities (CAV-MAE)."""
import functools
import math
from typing import Dict, Optional, Union

import torch
from mmengine.model import BaseModule
from torch import nn
from torch.utils.checkpoint import checkpoint

from mmvmae.registry import MODELS
from ..layers import (VIT_INIT_CFG, TransformerBlock, gather_tokens,
                      sincos_table_2d)
from .mae_decoder import device_sinusoid_table


@functools.lru_cache(maxsize=16)
def device_sincos_table_2d(grid: tuple, dims: int, device: torch.device,
                           dtype: torch.dtype) -> torch.Tensor:
    """The 2-D sin-cos table, built once per grid, device and dtype."""
    return sincos_table_2d(grid, dims).to(device=device, dtype=dtype)


def decoder_position_table(grid: tuple, dims: int,
                           like: torch.Tensor) -> torch.Tensor:
    """Fixed table (1, N, dims) of a token grid: VideoMAE's 1-D sinusoid
    for a video grid (T', H', W'), the 2-D sin-cos for a spectrogram grid.
    """
    if len(grid) == 2:
        return device_sincos_table_2d(tuple(grid), dims, like.device,
                                      like.dtype)
    return device_sinusoid_table(math.prod(grid), dims, like.device,
                                 like.dtype)


@MODELS.register_module()
class JointMAEDecoder(BaseModule):
    """Decode several modalities together and predict each one's patches.

    Each modality's visible latents are projected to the decoder width and
    get its fixed position table (see :func:`decoder_position_table`) plus a
    learned modality embedding; its queries are the shared mask token plus
    the same. All of them run through the blocks together, so masked audio
    patches are predicted from visible video tokens and vice versa; each
    modality's queries then go through its own prediction head.

    Args:
        in_dims (int | dict): Latent width, or a width per modality.
        out_dims (dict): Values predicted per token, per modality, e.g.
            ``dict(imgs=1536, audios=256)``; its keys name the modalities.
        embed_dims (int): Decoder width. Defaults to 512.
        depth (int): Blocks. Defaults to 8 (CAV-MAE).
        num_heads (int): Heads. Defaults to 16.
        mlp_ratio (float): MLP ratio. Defaults to 4.
        qkv_bias (bool): q/v biases. Defaults to True.
        norm_eps (float): LayerNorm epsilon. Defaults to 1e-6.
        fused_attn (bool, optional): SDPA switch, see ``Attention``.
        with_cp (bool): Activation checkpointing while training.
        init_cfg (dict | list, optional): mmengine init config.
    """

    def __init__(self,
                 in_dims: Union[int, Dict[str, int]],
                 out_dims: Dict[str, int],
                 embed_dims: int = 512,
                 depth: int = 8,
                 num_heads: int = 16,
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = True,
                 norm_eps: float = 1e-6,
                 fused_attn: Optional[bool] = None,
                 with_cp: bool = False,
                 init_cfg=VIT_INIT_CFG) -> None:
        super().__init__(init_cfg=list(init_cfg) if isinstance(
            init_cfg, tuple) else init_cfg)
        self.modalities = tuple(out_dims)
        if not isinstance(in_dims, dict):
            in_dims = {name: in_dims for name in self.modalities}
        if set(in_dims) != set(self.modalities):
            raise KeyError(f'in_dims names {sorted(in_dims)} but out_dims '
                           f'names {sorted(self.modalities)}')
        self.embed_dims = embed_dims
        self.with_cp = with_cp
        self.decoder_embed = nn.ModuleDict({
            name: nn.Linear(in_dims[name], embed_dims, bias=False)
            for name in self.modalities
        })
        self.mask_token = nn.Parameter(torch.zeros(1, 1, embed_dims))
        self.modality_embed = nn.ParameterDict({
            name: nn.Parameter(torch.zeros(1, 1, embed_dims))
            for name in self.modalities
        })
        nn.init.trunc_normal_(self.mask_token, std=.02)
        for param in self.modality_embed.values():
            nn.init.trunc_normal_(param, std=.02)
        self.blocks = nn.ModuleList([
            TransformerBlock(embed_dims, num_heads, mlp_ratio, qkv_bias,
                             norm_eps=norm_eps, fused_attn=fused_attn)
            for _ in range(depth)
        ])
        self.norm = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.heads = nn.ModuleDict({
            name: nn.Linear(embed_dims, out_dims[name])
            for name in self.modalities
        })

    def forward(self, latents: Dict[str, torch.Tensor],
                visible_ids: Dict[str, torch.Tensor],
                query_ids: Dict[str, torch.Tensor],
                grids: Dict[str, tuple]) -> Dict[str, torch.Tensor]:
        """Predict every modality's query tokens.

        Args:
            latents (dict): Encoder (or fusion) output (B, K_m, C_m) per
                modality, for ``visible_ids[m]``.
            visible_ids (dict): (B, K_m) token indices per modality.
            query_ids (dict): (B, Q_m) token indices to predict.
            grids (dict): Token grid per modality.

        Returns:
            dict: Predictions (B, Q_m, out_dims[m]) per modality.
        """
        if set(latents) != set(self.modalities):
            raise KeyError(f'JointMAEDecoder decodes {list(self.modalities)}'
                           f', got latents for {list(latents)}')
        visible, queries = [], []
        for name in self.modalities:
            x = self.decoder_embed[name](latents[name])
            pos = decoder_position_table(grids[name], self.embed_dims, x)
            pos = pos + self.modality_embed[name].to(x.dtype)
            visible.append(x + gather_tokens(pos, visible_ids[name]))
            queries.append(self.mask_token.to(x.dtype) +
                           gather_tokens(pos, query_ids[name]))
        x = torch.cat(visible + queries, dim=1)
        for block in self.blocks:
            if self.with_cp and self.training and x.requires_grad:
                x = checkpoint(block, x, use_reentrant=False)
            else:
                x = block(x)
        sizes = [q.shape[1] for q in queries]
        outputs = self.norm(x[:, -sum(sizes):]).split(sizes, dim=1)
        return {
            name: self.heads[name](out)
            for name, out in zip(self.modalities, outputs)
        }
