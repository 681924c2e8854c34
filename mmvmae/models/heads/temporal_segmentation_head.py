"""Per-frame multi-label action scores from the tokens of a video ViT."""
from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_init
from torch import nn

from mmvmae.registry import MODELS


@MODELS.register_module()
class TemporalSegmentationHead(BaseModule):
    """Linear classifier per temporal slice of the token grid (Ego-Only).

    Tokens (B, N, C) of a (T', H', W') grid, in (t h w) order, are averaged
    over space per temporal slice, giving one feature per tubelet slice
    (B, T', C); dropout and a linear layer shared over time give logits
    (B, T', K). Each slice covers ``tubelet_size`` input frames, so
    :meth:`frame_logits` repeats every slice's logits ``tubelet_size``
    times to score each input frame (B, T' * tubelet_size, K). The loss is
    sigmoid binary cross-entropy against per-frame multi-label targets
    (background frames are all zeros), averaged over frames, classes and
    the batch.

    Args:
        num_classes (int): K.
        in_channels (int): Token width C.
        tubelet_size (int): Frames per temporal slice. Defaults to 2.
        dropout_ratio (float): Dropout before the classifier.
            Defaults to 0.
        init_std (float): Std of the truncated normal init of the
            classifier weight (bias 0). Defaults to 0.02.
        loss_weight (float): Factor of the loss. Defaults to 1.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 tubelet_size: int = 2,
                 dropout_ratio: float = 0.,
                 init_std: float = 0.02,
                 loss_weight: float = 1.,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_classes < 1 or tubelet_size < 1:
            raise ValueError(f'num_classes ({num_classes}) and tubelet_size '
                             f'({tubelet_size}) must be positive')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.tubelet_size = tubelet_size
        self.init_std = init_std
        self.loss_weight = loss_weight
        self.dropout = nn.Dropout(dropout_ratio)
        self.fc_seg = nn.Linear(in_channels, num_classes)

    def init_weights(self) -> None:
        """Truncated normal classifier weight, zero bias."""
        trunc_normal_init(self.fc_seg, std=self.init_std, bias=0.)

    def forward(self, tokens: torch.Tensor,
                grid: Sequence[int]) -> torch.Tensor:
        """Logits (B, T', K) per temporal slice of tokens (B, N, C)."""
        t, h, w = grid
        b, n, c = tokens.shape
        if n != t * h * w or c != self.in_channels:
            raise ValueError(
                f'{type(self).__name__} takes tokens (B, T*H*W, '
                f'{self.in_channels}) of grid {tuple(grid)}, got '
                f'{tuple(tokens.shape)}')
        slices = tokens.reshape(b, t, h * w, c).mean(2)
        return self.fc_seg(self.dropout(slices))

    def frame_logits(self, logits: torch.Tensor) -> torch.Tensor:
        """Slice logits (B, T', K) repeated per frame: (B, T'*tubelet, K)."""
        return logits.repeat_interleave(self.tubelet_size, dim=1)

    def loss(self, logits: torch.Tensor,
             targets: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Per-frame sigmoid BCE of slice logits against targets (B, T, K).

        Returns:
            dict: ``loss_seg``.
        """
        frames = self.frame_logits(logits)
        if targets.shape != frames.shape:
            raise ValueError(
                f'frame_labels of shape {tuple(targets.shape)} do not match '
                f'the {tuple(frames.shape)} frame scores (clip_len = '
                f'{frames.shape[1]} frames, {self.num_classes} classes)')
        loss = F.binary_cross_entropy_with_logits(
            frames, targets.to(frames.dtype))
        return dict(loss_seg=self.loss_weight * loss)

    def predict(self, logits: torch.Tensor) -> torch.Tensor:
        """Per-frame probabilities (B, T'*tubelet, K)."""
        return self.frame_logits(logits).sigmoid()
