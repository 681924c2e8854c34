"""Attentive probe: a learned query pools the tokens of a frozen encoder."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.model.weight_init import trunc_normal_
from torch import nn

from mmvmae.registry import MODELS
from ..layers import Mlp
from .linear_probe_head import LinearProbeHead


class AttentivePooler(nn.Module):
    """One learnable query cross-attends over the tokens, then an MLP.

    ``q = query + proj(attn(query, norm_kv(tokens)))`` with multi-head
    attention whose keys and values come from the normed tokens, then
    ``q = q + mlp(norm_mlp(q))``, as the attentive pooler of V-JEPA
    (Bardes et al., 2024).

    Args:
        embed_dims (int): Token width C.
        num_heads (int): Attention heads; must divide ``embed_dims``.
        mlp_ratio (float): Hidden width of the MLP over ``embed_dims``.
            Defaults to 4.
        qkv_bias (bool): Biases of the query, key and value projections.
            Defaults to True.
        norm_eps (float): LayerNorm epsilon. Defaults to 1e-6.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = True,
                 norm_eps: float = 1e-6) -> None:
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims={embed_dims} is not divisible by '
                             f'num_heads={num_heads}')
        self.num_heads = num_heads
        self.query = nn.Parameter(torch.zeros(1, 1, embed_dims))
        self.norm_kv = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.q = nn.Linear(embed_dims, embed_dims, bias=qkv_bias)
        self.kv = nn.Linear(embed_dims, 2 * embed_dims, bias=qkv_bias)
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.norm_mlp = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.mlp = Mlp(embed_dims, int(embed_dims * mlp_ratio))

    def init_weights(self, std: float = 0.02) -> None:
        """Truncated normal query and linear weights, zero biases.

        Args:
            std (float): Std of the truncated normals. Defaults to 0.02.
        """
        trunc_normal_(self.query, std=std)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                trunc_normal_(module.weight, std=std)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pool tokens (B, N, C) into one feature (B, C)."""
        b, n, c = x.shape
        heads = self.num_heads
        kv = self.kv(self.norm_kv(x)).reshape(b, n, 2, heads, c // heads)
        k, v = kv.permute(2, 0, 3, 1, 4).unbind(0)
        q = self.q(self.query).reshape(1, heads, 1, c // heads)
        out = F.scaled_dot_product_attention(q.expand(b, -1, -1, -1), k, v)
        query = self.query[:, 0] + self.proj(out.reshape(b, c))
        return query + self.mlp(self.norm_mlp(query))


@MODELS.register_module()
class AttentiveProbeHead(LinearProbeHead):
    """Attentive probe: :class:`AttentivePooler` then a linear classifier.

    Takes the tokens (B * V, N, C) of an encoder with ``out_type='tokens'``
    (V views per sample, as ``Recognizer3D`` flattens them); views are
    combined as in :class:`LinearProbeHead`.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Token width C.
        num_heads (int): Heads of the cross-attention. Defaults to 12.
        mlp_ratio (float): MLP hidden width over ``in_channels``.
            Defaults to 4.
        with_bn (bool): BatchNorm without affine between pooler and
            classifier. Defaults to False (V-JEPA has none).
        dropout_ratio (float): Dropout before the classifier.
            Defaults to 0.
        init_std (float): Std of the classifier weight init.
            Defaults to 0.01.
        pooler_init_std (float): Std of the pooler's query and linear
            weights. Defaults to 0.02.
        average_clips (str, optional): How :meth:`predict` combines views.
            Defaults to ``'prob'``.
        **kwargs: ``loss_cls``, ``label_smooth_eps``, ``topk``, ... of
            mmaction2's ``BaseHead``.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 num_heads: int = 12,
                 mlp_ratio: float = 4.,
                 with_bn: bool = False,
                 dropout_ratio: float = 0.,
                 init_std: float = 0.01,
                 pooler_init_std: float = 0.02,
                 average_clips: Optional[str] = 'prob',
                 **kwargs) -> None:
        super().__init__(
            num_classes,
            in_channels,
            with_bn=with_bn,
            dropout_ratio=dropout_ratio,
            init_std=init_std,
            average_clips=average_clips,
            **kwargs)
        self.pooler_init_std = pooler_init_std
        self.pooler = AttentivePooler(in_channels, num_heads, mlp_ratio)

    def init_weights(self) -> None:
        """Initialize the pooler and the classifier."""
        self.pooler.init_weights(self.pooler_init_std)
        super().init_weights()

    def forward(self, x: torch.Tensor, **kwargs) -> torch.Tensor:
        """Pool and classify tokens.

        Args:
            x (Tensor): Tokens (B, N, C).
            **kwargs: Ignored keywords of the recognizer (``loss_aux``,
                ``fcn_test``).

        Returns:
            Tensor: Logits (B, num_classes).
        """
        if x.dim() != 3 or x.shape[2] != self.in_channels:
            raise ValueError(
                f'{type(self).__name__} takes tokens (B, N, '
                f'{self.in_channels}), got {tuple(x.shape)}; use the '
                "encoder's out_type='tokens'")
        return self.classify(self.pooler(x))
