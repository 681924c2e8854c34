"""Resample a feature sequence to a fixed length (ActivityNet)."""
from typing import Dict

import torch
import torch.nn.functional as F
from mmcv.transforms import BaseTransform

from mmvmae.registry import TRANSFORMS


@TRANSFORMS.register_module()
class ResizeTemporalFeatures(BaseTransform):
    """Linearly resample ``features`` to ``length`` steps.

    ActionFormer's ``force_upsampling`` for ActivityNet. The frames the
    sequence covers, ``[0, (T - 1) * stride + window)``, are split into
    ``length`` equal cells, one resampled feature per cell; the grid
    becomes ``stride = window = span / length`` so segments (in seconds)
    map onto it unchanged. Apply it before any truncation.

    Args:
        length (int): Output number of features.
    """

    def __init__(self, length: int) -> None:
        if length < 1:
            raise ValueError(f'length must be >= 1, got {length}')
        self.length = length

    def transform(self, results: Dict) -> Dict:
        """Resample ``features``; update the grid and ``num_features``."""
        if results['feature_start'] != 0:
            raise ValueError(
                f'{results["video_id"]}: ResizeTemporalFeatures must come '
                'before RandomFeatureTruncation (feature_start='
                f'{results["feature_start"]})')
        features = torch.from_numpy(results['features'])
        span = ((len(features) - 1) * results['feature_stride'] +
                results['feature_window'])
        resized = F.interpolate(
            features.T[None], size=self.length, mode='linear',
            align_corners=False)[0].T
        results['features'] = resized.contiguous().numpy()
        results['feature_stride'] = results['feature_window'] = (
            span / self.length)
        results['num_features'] = self.length
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(length={self.length})'
