"""Base of the ViT encoders: blocks over (visible) embedded tokens."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from torch import nn
from torch.utils.checkpoint import checkpoint

from ..layers import VIT_INIT_CFG, TransformerBlock, gather_tokens


class TokenEncoder(BaseModule):
    """Shared forward of the video, audio and IMU ViTs.

    Subclasses build ``blocks`` (ModuleList), ``norm``, ``pos_drop`` and set
    ``depth`` (:meth:`build_blocks`).

    Args:
        settings (dict): Arch settings from ``resolve_arch``.
        out_type (str): Output of ``forward``, one of ``out_types``.
        out_types (Sequence[str]): The subclass's outputs.
        with_cp (bool): Activation checkpointing of every block while
            training. Defaults to False.
        frozen (bool): Kept in eval mode. Defaults to False.
        init_cfg (dict | list, optional): mmengine init config.

    Raises:
        ValueError: If ``out_type`` is not one of ``out_types``.
    """

    def __init__(self,
                 settings: dict,
                 out_type: str,
                 out_types: Sequence[str],
                 with_cp: bool = False,
                 frozen: bool = False,
                 init_cfg: Optional[Union[dict, Sequence[dict]]] = VIT_INIT_CFG
                 ) -> None:
        super().__init__(init_cfg=list(init_cfg) if isinstance(
            init_cfg, tuple) else init_cfg)
        if out_type not in out_types:
            raise ValueError(f'out_type must be one of {tuple(out_types)}, '
                             f'got {out_type!r}')
        self.embed_dims = settings['embed_dims']
        self.out_type = out_type
        self.with_cp = with_cp
        self.frozen = frozen

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
