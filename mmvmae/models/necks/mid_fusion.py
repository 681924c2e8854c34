"""Mid fusion: joint blocks over the concatenated visible tokens."""
from typing import Dict, Optional, Sequence

import torch
from mmengine.model import BaseModule
from torch import nn
from torch.utils.checkpoint import checkpoint

from mmvmae.registry import MODELS
from ..layers import VIT_INIT_CFG, ModalityNormBlock


@MODELS.register_module()
class MidFusion(BaseModule):
    """Shared transformer blocks over several modalities' tokens.

    CAV-MAE's unified layer and AV-MAE's ``separate_encoders_and_concat``:
    :meth:`forward` concatenates the modalities' visible tokens (in
    ``modalities`` order), runs the blocks with their joint LayerNorms and
    the joint final norm, and splits the result back per modality.
    :meth:`encode_each` runs each modality alone through the same blocks
    with its own LayerNorms and final norm (CAV-MAE's features for the
    contrastive loss); with ``modality_norms=False`` it uses the joint
    norms (AV-MAE has no modality-specific norms).

    Args:
        embed_dims (int): Token width (equal for every modality).
        modalities (Sequence[str]): Modality names, in concatenation order.
            Defaults to ``('imgs', 'audios')``.
        depth (int): Joint blocks. Defaults to 1 (CAV-MAE; AV-MAE uses 2).
        num_heads (int): Heads. Defaults to 12.
        mlp_ratio (float): MLP ratio. Defaults to 4.
        modality_norms (bool): Own LayerNorms per modality for
            :meth:`encode_each`. Defaults to True.
        qkv_bias (bool): q/v biases. Defaults to True.
        drop_path_rate (float): Stochastic depth of every block.
            Defaults to 0.
        norm_eps (float): LayerNorm epsilon. Defaults to 1e-6.
        fused_attn (bool, optional): SDPA switch, see ``Attention``.
        with_cp (bool): Activation checkpointing while training.
        init_cfg (dict | list, optional): mmengine init config.
    """

    def __init__(self,
                 embed_dims: int,
                 modalities: Sequence[str] = ('imgs', 'audios'),
                 depth: int = 1,
                 num_heads: int = 12,
                 mlp_ratio: float = 4.,
                 modality_norms: bool = True,
                 qkv_bias: bool = True,
                 drop_path_rate: float = 0.,
                 norm_eps: float = 1e-6,
                 fused_attn: Optional[bool] = None,
                 with_cp: bool = False,
                 init_cfg=VIT_INIT_CFG) -> None:
        super().__init__(init_cfg=list(init_cfg) if isinstance(
            init_cfg, tuple) else init_cfg)
        if depth < 1 or len(set(modalities)) < 2:
            raise ValueError(f'MidFusion needs depth >= 1 and two or more '
                             f'distinct modalities, got depth={depth}, '
                             f'modalities={tuple(modalities)}')
        self.embed_dims = embed_dims
        self.modalities = tuple(modalities)
        self.modality_norms = modality_norms
        self.with_cp = with_cp
        own = self.modalities if modality_norms else ()
        self.blocks = nn.ModuleList([
            ModalityNormBlock(
                embed_dims,
                num_heads,
                own,
                mlp_ratio=mlp_ratio,
                qkv_bias=qkv_bias,
                drop_path_rate=drop_path_rate,
                norm_eps=norm_eps,
                fused_attn=fused_attn) for _ in range(depth)
        ])
        self.norm = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.modality_norm = nn.ModuleDict(
            {name: nn.LayerNorm(embed_dims, eps=norm_eps) for name in own})

    def run_blocks(self, x: torch.Tensor,
                   modality: Optional[str]) -> torch.Tensor:
        for block in self.blocks:
            if self.with_cp and self.training and x.requires_grad:
                x = checkpoint(block, x, modality, use_reentrant=False)
            else:
                x = block(x, modality)
        return x

    def check(self, tokens: Dict[str, torch.Tensor]) -> None:
        if set(tokens) != set(self.modalities):
            raise KeyError(f'MidFusion fuses {list(self.modalities)}, got '
                           f'tokens for {list(tokens)}')
        bad = {k: tuple(v.shape) for k, v in tokens.items()
               if v.shape[-1] != self.embed_dims}
        if bad:
            raise ValueError(f'MidFusion expects width {self.embed_dims}, '
                             f'got token shapes {bad}')

    def forward(self,
                tokens: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Joint pass: (B, N_m, C) per modality in, fused tokens out."""
        self.check(tokens)
        sizes = [tokens[name].shape[1] for name in self.modalities]
        x = torch.cat([tokens[name] for name in self.modalities], dim=1)
        x = self.norm(self.run_blocks(x, None))
        return dict(zip(self.modalities, x.split(sizes, dim=1)))

    def encode_each(
            self,
            tokens: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Each modality alone through the blocks (its own norms)."""
        self.check(tokens)
        out = {}
        for name in self.modalities:
            if self.modality_norms:
                x = self.run_blocks(tokens[name], name)
                out[name] = self.modality_norm[name](x)
            else:
                out[name] = self.norm(self.run_blocks(tokens[name], None))
        return out
