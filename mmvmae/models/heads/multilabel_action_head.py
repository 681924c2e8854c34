"""Multi-label action classifier of RoI features (AVA)."""
from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from mmvmae.registry import MODELS

POOLS = ('avg', 'max')


@MODELS.register_module()
class MultiLabelActionHead(BaseModule):
    """Actions of each box from its RoI features, sigmoid per class.

    mmaction2's ``BBoxHeadAVA`` (multi-label, single linear layer): dropout,
    temporal pooling, spatial pooling, ``fc_cls`` (xavier-normal init). The
    loss is ``binary_cross_entropy_with_logits`` averaged over the boxes that
    carry at least one label and over the classes; with
    ``background_class`` column 0 (AVA has no action id 0) is left out of
    the loss and the logged recall / precision. An optional focal factor
    ``focal_alpha * (1 - p_t) ** focal_gamma`` scales each term (1 and 0:
    plain BCE).

    Args:
        in_channels (int): Feature width C.
        num_classes (int): Score columns, class 0 included. Defaults to 81.
        background_class (bool): Ignore column 0 in the loss. Defaults to
            True.
        temporal_pool (str): ``'avg'`` or ``'max'``. Defaults to ``'avg'``.
        spatial_pool (str): ``'avg'`` or ``'max'``. Defaults to ``'max'``.
        dropout_ratio (float): Dropout on the features. Defaults to 0.
        dropout_before_pool (bool): Dropout before (True) or after pooling.
            Defaults to True.
        focal_alpha (float): Focal factor alpha. Defaults to 1.
        focal_gamma (float): Focal factor gamma. Defaults to 0.
        topk (int | Sequence[int]): k of the logged ``recall@topk`` /
            ``prec@topk``; empty for none. Defaults to (3, 5).
        init_cfg (dict, optional): Defaults to xavier-normal ``fc_cls``.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int = 81,
                 background_class: bool = True,
                 temporal_pool: str = 'avg',
                 spatial_pool: str = 'max',
                 dropout_ratio: float = 0.,
                 dropout_before_pool: bool = True,
                 focal_alpha: float = 1.,
                 focal_gamma: float = 0.,
                 topk: Union[int, Sequence[int]] = (3, 5),
                 init_cfg: Optional[dict] = dict(
                     type='Xavier', layer='Linear', distribution='normal')):
        super().__init__(init_cfg=init_cfg)
        if temporal_pool not in POOLS or spatial_pool not in POOLS:
            raise ValueError(f'pools must be one of {POOLS}, got '
                             f'{temporal_pool!r}, {spatial_pool!r}')
        self.topk = (topk, ) if isinstance(topk, int) else tuple(topk)
        valid = num_classes - int(background_class)
        if any(not 0 < k <= valid for k in self.topk):
            raise ValueError(f'topk {self.topk} must lie in 1..{valid} (the '
                             'scored classes)')
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.background_class = background_class
        self.temporal_pool = temporal_pool
        self.spatial_pool = spatial_pool
        self.dropout_before_pool = dropout_before_pool
        self.focal_alpha = focal_alpha
        self.focal_gamma = focal_gamma
        self.dropout = nn.Dropout(dropout_ratio)
        self.fc_cls = nn.Linear(in_channels, num_classes)

    def forward(self, roi_feats: torch.Tensor) -> torch.Tensor:
        """Logits (K, num_classes) of RoI features (K, C, T, S, S)."""
        x = self.dropout(roi_feats) if self.dropout_before_pool else roi_feats
        x = x.mean(2) if self.temporal_pool == 'avg' else x.amax(2)
        x = x.mean((2, 3)) if self.spatial_pool == 'avg' else x.amax((2, 3))
        if not self.dropout_before_pool:
            x = self.dropout(x)
        return self.fc_cls(x)

    def loss(self, logits: torch.Tensor,
             labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """``loss_action_cls`` and the logged recall / precision.

        Args:
            logits (Tensor): (K, num_classes).
            labels (Tensor): Multi-hot targets (K, num_classes).
        """
        if labels.shape != logits.shape:
            raise ValueError(f'labels {tuple(labels.shape)} do not match the '
                             f'logits {tuple(logits.shape)}')
        if self.background_class:
            logits, labels = logits[:, 1:], labels[:, 1:]
        labelled = labels.sum(1) > 0
        logits, labels = logits[labelled], labels[labelled].to(logits.dtype)
        if not len(labels):  # keeps the graph; nothing to learn from
            return dict(loss_action_cls=logits.sum() * 0.)
        loss = F.binary_cross_entropy_with_logits(
            logits, labels, reduction='none')
        if self.focal_alpha != 1. or self.focal_gamma != 0.:
            p_t = torch.exp(-loss)
            loss = self.focal_alpha * (1 - p_t)**self.focal_gamma * loss
        losses = dict(loss_action_cls=loss.mean())
        losses.update(self.recall_precision(logits.detach(), labels > 0.5))
        return losses

    def recall_precision(self, logits: torch.Tensor,
                         target: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Mean per-box recall / precision at probability 0.5 and of the
        top-k classes (mmaction2's logged ``recall@thr=0.5``, ...)."""
        probs = logits.sigmoid()
        chosen = {'thr=0.5': probs > 0.5}
        for k in self.topk:
            top = torch.zeros_like(target)
            chosen[f'top{k}'] = top.scatter(1, probs.topk(k, 1).indices, True)
        out = {}
        for name, pred in chosen.items():
            correct = (pred & target).sum(1).float()
            out[f'recall@{name}'] = (correct / target.sum(1)).mean()
            out[f'prec@{name}'] = (correct / (pred.sum(1) + 1e-6)).mean()
        return out

    def predict(self, logits: torch.Tensor) -> torch.Tensor:
        """Per-class probabilities (K, num_classes), column 0 included."""
        return logits.sigmoid()
