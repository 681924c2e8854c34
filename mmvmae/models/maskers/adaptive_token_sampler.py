"""AdaMAE's learned token sampler: a categorical distribution over tokens."""
import math
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from mmvmae.registry import MODELS
from ..algorithms.token_masks import TokenMasks
from ..layers import VIT_INIT_CFG, TransformerBlock, interpolate_grid


def visible_count(num_tokens: int, mask_ratio: float) -> int:
    """Visible tokens per sample, ``int(N * (1 - mask_ratio))`` (AdaMAE).

    Raises:
        ValueError: If the ratio is outside (0, 1) or leaves no token
            visible or no token masked on ``num_tokens`` tokens.
    """
    if not 0 < mask_ratio < 1:
        raise ValueError(f'mask_ratio must be in (0, 1), got {mask_ratio}')
    count = int(num_tokens * (1 - mask_ratio))
    if count in (0, num_tokens):
        raise ValueError(
            f'mask_ratio={mask_ratio} leaves {count} of {num_tokens} tokens '
            'visible; it must leave some tokens visible and some masked')
    return count


@MODELS.register_module()
class AdaptiveTokenSampler(BaseModule):
    """Learned masking of AdaMAE (Bandara et al., CVPR 2023).

    The patch embeddings of the clip plus a learned position table
    (zero-initialized) go through one transformer block and a linear layer
    to one logit per token; a softmax over all N tokens gives a categorical
    distribution. ``sample`` draws the visible tokens from it without
    replacement, always ``int(N * (1 - mask_ratio))`` of them, so every
    sample of a batch has the same count. The draw is not differentiable:
    the sampler learns from :meth:`loss`, a REINFORCE-style term that
    raises the probability of tokens the decoder reconstructs badly.

    Args:
        embed_dims (int): Width of the patch embeddings.
        grid (Sequence[int]): Token grid (T', H', W') the position table is
            learned for; the visible count is checked on it at build time.
        mask_ratio (float): Fraction of tokens hidden from the encoder.
            Defaults to 0.95 (AdaMAE).
        num_heads (int): Heads of the block. Defaults to 8 (AdaMAE).
        mlp_ratio (float): MLP ratio of the block. Defaults to 4.
        qkv_bias (bool): q/v biases in the block. Defaults to False
            (AdaMAE).
        drop_rate (float): Dropout after the block's projections.
            Defaults to 0.1 (AdaMAE).
        norm_eps (float): LayerNorm epsilon of the block. Defaults to 1e-5
            (AdaMAE's sampler uses ``nn.LayerNorm``'s default).
        loss_weight (float): Weight of the sampling loss. Defaults to 1e-4
            (AdaMAE).
        fused_attn (bool, optional): SDPA switch, see ``Attention``.
        init_cfg (dict | list, optional): mmengine init config.
    """

    def __init__(self,
                 embed_dims: int,
                 grid: Sequence[int],
                 mask_ratio: float = 0.95,
                 num_heads: int = 8,
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = False,
                 drop_rate: float = 0.1,
                 norm_eps: float = 1e-5,
                 loss_weight: float = 1e-4,
                 fused_attn: Optional[bool] = None,
                 init_cfg: Optional[Union[dict, Sequence[dict]]] = VIT_INIT_CFG
                 ) -> None:
        super().__init__(init_cfg=list(init_cfg) if isinstance(
            init_cfg, tuple) else init_cfg)
        self.grid = tuple(grid)
        if len(self.grid) != 3:
            raise ValueError(f'grid must be (T, H, W), got {grid}')
        self.mask_ratio = mask_ratio
        self.num_visible = visible_count(math.prod(self.grid), mask_ratio)
        self.loss_weight = loss_weight
        self.pos_embed = nn.Parameter(
            torch.zeros(1, math.prod(self.grid), embed_dims))
        self.block = TransformerBlock(
            embed_dims, num_heads, mlp_ratio, qkv_bias, drop_rate,
            norm_eps=norm_eps, fused_attn=fused_attn)
        self.logit = nn.Linear(embed_dims, 1)

    def forward(self, patches: torch.Tensor,
                grid: Tuple[int, int, int]) -> torch.Tensor:
        """Log-probabilities (B, N) of the tokens, float32.

        Args:
            patches (Tensor): Patch embeddings (B, N, C) on ``grid``.
            grid (tuple): Token grid (T', H', W'); the position table is
                resampled when it differs from the one it was built for.
        """
        pos = interpolate_grid(self.pos_embed, self.grid, grid)
        logits = self.logit(self.block(patches + pos.to(patches.dtype)))
        return F.log_softmax(logits.squeeze(-1).float(), dim=-1)

    def sample(self, log_probs: torch.Tensor) -> TokenMasks:
        """Draw the visible tokens of each sample without replacement.

        Returns:
            TokenMasks: Sorted visible and masked indices; the decoder
            predicts every masked token.
        """
        num_tokens = log_probs.shape[1]
        count = (self.num_visible if num_tokens == math.prod(self.grid) else
                 visible_count(num_tokens, self.mask_ratio))
        with torch.no_grad():
            drawn = torch.multinomial(log_probs.exp(), count)
            is_visible = torch.zeros_like(log_probs, dtype=torch.bool)
            is_visible.scatter_(1, drawn, True)
            # Stable sort: masked tokens first, each part in ascending order.
            order = torch.argsort(
                is_visible.to(torch.int8), dim=1, stable=True)
        masked = order[:, :num_tokens - count]
        return TokenMasks(order[:, num_tokens - count:], masked, masked)

    def loss(self, log_probs: torch.Tensor, masked_ids: torch.Tensor,
             errors: torch.Tensor) -> torch.Tensor:
        """AdaMAE's sampling loss.

        ``loss_weight * mean_b[-mean_masked(log p * error)]``: the error of
        each masked token is a fixed reward (no gradient), so minimizing the
        loss moves probability mass to the tokens that are hard to
        reconstruct.

        Args:
            log_probs (Tensor): Output of :meth:`forward`, (B, N).
            masked_ids (Tensor): (B, M) masked tokens.
            errors (Tensor): (B, M) reconstruction error of each of them.
        """
        masked_log_probs = torch.gather(log_probs, 1, masked_ids)
        reward = errors.detach().to(masked_log_probs.dtype)
        return -self.loss_weight * (masked_log_probs * reward).mean()
