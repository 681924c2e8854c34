"""RoI features of a video feature map with torchvision's RoIAlign."""
from typing import Optional

import torch
from torch import nn
from torchvision.ops import roi_align

from mmvmae.registry import MODELS

TEMPORAL_POOLS = ('avg', 'max', None)


@MODELS.register_module()
class RoIFeatureExtractor3D(nn.Module):
    """Pool a box region out of every temporal slice of a feature map.

    The pure-torch counterpart of mmaction2's ``SingleRoIExtractor3D`` with
    ``roi_layer_type='RoIAlign'``: the map is optionally pooled over time
    first, then ``torchvision.ops.roi_align`` (what mmcv's ``RoIAlign`` runs
    with ``use_torchvision=True``; same ``aligned`` half-pixel shift and
    adaptive ``sampling_ratio=0`` grid) pools each slice.

    Args:
        output_size (int): Spatial size S of the pooled region. Defaults
            to 8.
        featmap_stride (int): Input pixels per feature cell (the encoder's
            patch size). Defaults to 16.
        sampling_ratio (int): Bilinear samples per bin side; 0 takes
            ``ceil(roi_size / output_size)``. Defaults to 0.
        aligned (bool): Shift box corners by -0.5 cell (pixel-centre
            convention). Defaults to True.
        temporal_pool (str, optional): ``'avg'`` or ``'max'`` over the T'
            slices before RoIAlign, or None to keep them. Defaults to
            ``'avg'``.
    """

    def __init__(self,
                 output_size: int = 8,
                 featmap_stride: int = 16,
                 sampling_ratio: int = 0,
                 aligned: bool = True,
                 temporal_pool: Optional[str] = 'avg') -> None:
        super().__init__()
        if temporal_pool not in TEMPORAL_POOLS:
            raise ValueError(f'temporal_pool must be one of {TEMPORAL_POOLS},'
                             f' got {temporal_pool!r}')
        if featmap_stride <= 0 or output_size <= 0:
            raise ValueError('featmap_stride and output_size must be '
                             f'positive, got {featmap_stride}, {output_size}')
        self.output_size = output_size
        self.featmap_stride = featmap_stride
        self.sampling_ratio = sampling_ratio
        self.aligned = aligned
        self.temporal_pool = temporal_pool

    def forward(self, feats: torch.Tensor, rois: torch.Tensor) -> torch.Tensor:
        """Pool the regions.

        Args:
            feats (Tensor): Feature map (B, C, T', H', W').
            rois (Tensor): (K, 5) rows ``[batch_index, x1, y1, x2, y2]`` in
                input pixels.

        Returns:
            Tensor: (K, C, T'', S, S) with T'' = 1 after temporal pooling,
            else T'.
        """
        if feats.dim() != 5 or rois.dim() != 2 or rois.shape[1] != 5:
            raise ValueError('expected feats (B, C, T, H, W) and rois (K, 5),'
                             f' got {tuple(feats.shape)}, {tuple(rois.shape)}')
        if self.temporal_pool == 'avg':
            feats = feats.mean(2, keepdim=True)
        elif self.temporal_pool == 'max':
            feats = feats.amax(2, keepdim=True)
        b, c, t, h, w = feats.shape
        # Every slice becomes an image: slice j of sample i is i * t + j.
        slices = feats.transpose(1, 2).reshape(b * t, c, h, w)
        offsets = torch.arange(t, device=rois.device, dtype=rois.dtype)
        index = rois[:, :1] * t + offsets  # (K, t)
        boxes = rois[:, None, 1:].expand(-1, t, -1)
        slice_rois = torch.cat([index[..., None], boxes], -1).reshape(-1, 5)
        pooled = roi_align(
            slices,
            slice_rois.to(slices.dtype),
            self.output_size,
            spatial_scale=1. / self.featmap_stride,
            sampling_ratio=self.sampling_ratio,
            aligned=self.aligned)
        size = self.output_size
        return pooled.reshape(-1, t, c, size, size).transpose(1, 2)
