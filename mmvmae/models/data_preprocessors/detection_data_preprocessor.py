"""Normalize and pad clips whose data samples carry boxes."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmaction.models import ActionDataPreprocessor

from mmvmae.registry import MODELS


@MODELS.register_module()
class DetectionDataPreprocessor(ActionDataPreprocessor):
    """mmaction2's ``ActionDataPreprocessor`` plus right / bottom padding.

    Clips of a batch are stacked (smaller ones padded to the largest, as
    mmaction2 does), normalized, then padded with zeros (the mean colour
    after normalization) until height and width are multiples of
    ``pad_size_divisor``, so that a ViT with that patch size sees the whole
    frame (e.g. 256 x 341 test frames; mmaction2's ViT drops the last 5
    columns instead). Padding is on the right / bottom only, so box
    coordinates (``gt_instances``, ``proposals``, moved to the device with
    the samples) stay valid. Each sample's metainfo gets
    ``batch_input_shape`` (H, W) of the padded batch.

    Args:
        pad_size_divisor (int): Pad H and W to a multiple of this (the
            encoder's patch size). Defaults to 16.
        mean, std, to_rgb, to_float32, blending: As mmaction2's.
        format_shape (str): Defaults to ``'NCTHW'``.
    """

    def __init__(self,
                 pad_size_divisor: int = 16,
                 mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None,
                 to_rgb: bool = False,
                 to_float32: bool = True,
                 blending: Optional[dict] = None,
                 format_shape: str = 'NCTHW') -> None:
        if pad_size_divisor < 1:
            raise ValueError(
                f'pad_size_divisor must be >= 1, got {pad_size_divisor}')
        if blending is not None:
            raise ValueError('batch blending (mixup / cutmix) mixes clips '
                             'but not their boxes; it is not supported for '
                             'detection')
        super().__init__(
            mean=mean,
            std=std,
            to_rgb=to_rgb,
            to_float32=to_float32,
            format_shape=format_shape)
        self.pad_size_divisor = pad_size_divisor

    def preprocess(self,
                   inputs: List[torch.Tensor],
                   data_samples: Optional[List],
                   training: bool = False) -> Tuple:
        """Stack, normalize, pad; record ``batch_input_shape``."""
        batch, data_samples = super().preprocess(inputs, data_samples,
                                                 training)
        height, width = batch.shape[-2:]
        divisor = self.pad_size_divisor
        pad_h, pad_w = -height % divisor, -width % divisor
        if pad_h or pad_w:
            batch = F.pad(batch, (0, pad_w, 0, pad_h))
        for sample in data_samples or ():
            sample.set_metainfo(
                dict(batch_input_shape=(height + pad_h, width + pad_w)))
        return batch, data_samples
