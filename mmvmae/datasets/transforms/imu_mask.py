"""Unstructured random masking of IMU tokens (EVI-MAE)."""
from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform

from mmvmae.registry import TRANSFORMS


@TRANSFORMS.register_module()
class IMURandomMaskGenerator(BaseTransform):
    """Hide ``int(mask_ratio * num_tokens)`` IMU tokens chosen uniformly.

    Writes sorted int64 ``imu_visible_ids`` / ``imu_masked_ids``: indices
    into the token sequence of ``IMUEncoder`` (its ``num_tokens``: tokens
    per device with ``device_fusion='mean'``, devices x tokens per device
    with ``'concat'``; ``VideoIMUMAE`` checks that they match). Every
    sample gets the same counts. Randomness comes from ``numpy.random``
    (seeded per worker by mmengine). EVI-MAE masks 75 % of its 160 IMU
    tokens.

    Pack with ``PackActionInputs(algorithm_keys=('imu_visible_ids',
    'imu_masked_ids', ...))``.

    Args:
        mask_ratio (float): Fraction of tokens hidden from the encoder.
        num_tokens (int): Tokens in the IMU encoder's sequence.
    """

    def __init__(self, mask_ratio: float, num_tokens: int) -> None:
        if not 0 < mask_ratio < 1:
            raise ValueError(f'mask_ratio must be in (0, 1), got '
                             f'{mask_ratio}')
        num_masked = int(mask_ratio * num_tokens)
        if not 0 < num_masked < num_tokens:
            raise ValueError(
                f'mask_ratio={mask_ratio} leaves {num_tokens - num_masked} '
                f'of num_tokens={num_tokens} IMU tokens visible')
        self.mask_ratio = mask_ratio
        self.num_tokens = num_tokens
        self.num_masked = num_masked

    def transform(self, results: Dict) -> Dict:
        """Add ``imu_visible_ids`` and ``imu_masked_ids`` to ``results``."""
        order = np.random.permutation(self.num_tokens)
        results['imu_masked_ids'] = np.sort(
            order[:self.num_masked]).astype(np.int64)
        results['imu_visible_ids'] = np.sort(
            order[self.num_masked:]).astype(np.int64)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(mask_ratio={self.mask_ratio}, '
                f'num_tokens={self.num_tokens})')
