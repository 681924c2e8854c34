"""Token scores from a frozen pretrained video encoder."""
from typing import List, Optional, Tuple

import torch
from mmengine.logging import print_log

from mmvmae.registry import MODELS
from mmvmae.utils.encoder_checkpoint import load_encoder_checkpoint
from .base_token_scorer import BaseTokenScorer

SCORES = ('attention', 'feature_norm')


def attention_received(block: torch.nn.Module,
                       tokens: torch.Tensor) -> torch.Tensor:
    """Mean attention (B, N) each token receives in ``block``, averaged
    over heads and queries (a saliency without a CLS token)."""
    attn = block.attn
    bias = None
    if attn.q_bias is not None:
        bias = torch.cat((attn.q_bias, torch.zeros_like(attn.v_bias),
                          attn.v_bias))
    b, n, c = tokens.shape
    qkv = torch.nn.functional.linear(block.norm1(tokens), attn.qkv.weight,
                                     bias)
    q, k, _ = qkv.reshape(b, n, 3, attn.num_heads, -1).permute(2, 0, 3, 1,
                                                                4).unbind(0)
    weights = ((q * attn.scale) @ k.transpose(-2, -1)).softmax(dim=-1)
    return weights.mean(dim=(1, 2))


@MODELS.register_module()
class EncoderTokenScorer(BaseTokenScorer):
    """Saliency of each token in a frozen, pretrained ``VideoViT``.

    ``score='attention'``: the attention a token receives in the last block,
    averaged over heads and query tokens (UMT keeps the tokens a CLIP
    teacher's CLS attends to; this encoder has no CLS token, so every token
    votes). It materializes (B, heads, N, N) attention weights.
    ``score='feature_norm'``: the L2 norm of the token's last block output
    (before the final norm).

    Args:
        encoder (dict): The encoder, e.g. ``dict(type='VideoViT', ...)`` of
            the checkpoint's size; built frozen.
        checkpoint (str): Local checkpoint (mmvmae, official VideoMAE or
            transformers layout), loaded in :meth:`init_weights`.
        prefix (str): Prefix of the encoder keys in mmvmae layout. Defaults
            to ``'backbone.'``.
        score (str): ``'attention'`` or ``'feature_norm'``. Defaults to
            ``'attention'``.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 encoder: dict,
                 checkpoint: str,
                 prefix: str = 'backbone.',
                 score: str = 'attention',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if score not in SCORES:
            raise ValueError(f'score must be one of {SCORES}, got {score!r}')
        self.encoder = MODELS.build(dict(encoder, frozen=True))
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.score = score

    def init_weights(self) -> None:
        """Load the encoder's weights (after any default initialization)."""
        super().init_weights()
        print_log(
            'EncoderTokenScorer: ' + load_encoder_checkpoint(
                self.encoder, self.checkpoint, self.prefix),
            logger='current')

    @torch.no_grad()
    def forward(self,
                inputs: torch.Tensor,
                grid: Tuple[int, int, int],
                data_samples: Optional[List] = None) -> torch.Tensor:
        """Scores (B, N) of a normalized clip batch."""
        tokens = self.encoder.embed(inputs)
        for block in self.encoder.blocks[:-1]:
            tokens = block(tokens)
        last = self.encoder.blocks[-1]
        if self.score == 'feature_norm':
            return last(tokens).float().norm(dim=-1)
        return attention_received(last, tokens).float()
