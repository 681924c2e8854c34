"""Linear classifier on pooled features of a frozen encoder."""
from typing import Dict, Optional

import torch
from mmaction.models.heads import BaseHead
from mmaction.utils import SampleList
from mmengine.model.weight_init import trunc_normal_init
from torch import nn

from mmvmae.registry import MODELS


@MODELS.register_module()
class LinearProbeHead(BaseHead):
    """Linear probe: optional BatchNorm without affine, dropout, linear.

    MAE's linear probing puts ``BatchNorm1d(affine=False, eps=1e-6)`` before
    the classifier: it whitens the frozen features per channel, which makes
    the probe far less sensitive to the learning rate, and, having no
    parameters, it keeps the probe linear (at test time it is a fixed affine
    map).

    Features are (B * V, C), V views per sample, as ``Recognizer3D`` gives
    them. :meth:`predict` combines the views with ``average_clips``;
    :meth:`loss` averages the logits of the views of a sample, so training
    with several clips per sample works too.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Feature width C.
        with_bn (bool): BatchNorm without affine before the classifier.
            Defaults to True.
        dropout_ratio (float): Dropout before the classifier.
            Defaults to 0.
        init_std (float): Std of the truncated normal init of the
            classifier weight (the bias starts at 0). Defaults to 0.01.
        average_clips (str, optional): How :meth:`predict` combines views:
            ``'prob'`` (mean softmax), ``'score'`` (mean logits) or None
            (keep them). Defaults to ``'prob'``.
        **kwargs: ``loss_cls``, ``label_smooth_eps``, ``topk``, ... of
            mmaction2's ``BaseHead``.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 with_bn: bool = True,
                 dropout_ratio: float = 0.,
                 init_std: float = 0.01,
                 average_clips: Optional[str] = 'prob',
                 **kwargs) -> None:
        super().__init__(
            num_classes, in_channels, average_clips=average_clips, **kwargs)
        self.init_std = init_std
        self.bn = nn.BatchNorm1d(
            in_channels, affine=False, eps=1e-6) if with_bn else None
        self.dropout = nn.Dropout(dropout_ratio)
        self.fc_cls = nn.Linear(in_channels, num_classes)

    def init_weights(self) -> None:
        """Truncated normal classifier weight, zero bias."""
        trunc_normal_init(self.fc_cls, std=self.init_std, bias=0.)

    def forward(self, x: torch.Tensor, **kwargs) -> torch.Tensor:
        """Classify pooled features.

        Args:
            x (Tensor): Features (B, C).
            **kwargs: Ignored keywords of the recognizer (``loss_aux``,
                ``fcn_test``).

        Returns:
            Tensor: Logits (B, num_classes).
        """
        if x.dim() != 2 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'{type(self).__name__} takes features (B, '
                f'{self.in_channels}), got {tuple(x.shape)}; use the '
                "encoder's out_type='avg'")
        return self.classify(x)

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """BatchNorm (if any), dropout and the linear layer on (B, C)."""
        if self.bn is not None:
            x = self.bn(x)
        return self.fc_cls(self.dropout(x))

    def loss(self, feats: torch.Tensor, data_samples: SampleList,
             **kwargs) -> Dict[str, torch.Tensor]:
        """Loss and training accuracy; the logits of a sample's views are
        averaged.

        Args:
            feats (Tensor): Features of B * V views (V >= 1 per sample).
            data_samples (list[ActionDataSample]): B samples with
                ``gt_label``.
            **kwargs: Passed to :meth:`forward`.

        Returns:
            dict[str, Tensor]: ``loss_cls`` and ``top{k}_acc``.
        """
        cls_scores = self(feats, **kwargs)
        num_samples = len(data_samples)
        if cls_scores.shape[0] % num_samples:
            raise ValueError(f'{cls_scores.shape[0]} features are not a '
                             f'multiple of {num_samples} samples')
        cls_scores = cls_scores.view(num_samples, -1,
                                     self.num_classes).mean(1)
        return self.loss_by_feat(cls_scores, data_samples)
