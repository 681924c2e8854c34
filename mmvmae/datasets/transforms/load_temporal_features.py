"""Read a video's pre-extracted feature sequence."""
from typing import Dict, Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmvmae.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadTemporalFeatures(BaseTransform):
    """Load ``results['feature_path']`` into ``results['features']``.

    The file holds one ``(num_features, feature_dim)`` array: ``.npy``, or
    ``.npz`` with the array under ``npz_key`` (or as its only member). The
    shape must be ``(results['num_features'], results['feature_dim'])``
    (what :class:`TemporalActionDataset` checked); the features are kept as
    float32 ``(T, C)``.

    Args:
        npz_key (str, optional): Array name inside ``.npz`` files.
    """

    def __init__(self, npz_key: Optional[str] = None) -> None:
        self.npz_key = npz_key

    def transform(self, results: Dict) -> Dict:
        """Add ``features`` (T, C) float32."""
        path = results['feature_path']
        array = np.load(path)
        if hasattr(array, 'files'):  # an .npz archive
            with array:
                key = self.npz_key or (array.files[0]
                                       if len(array.files) == 1 else None)
                if key not in array.files:
                    raise KeyError(f'{path}: no array {self.npz_key!r} among '
                                   f'{array.files} (set npz_key)')
                array = array[key]
        expected = (results['num_features'], results['feature_dim'])
        if array.shape != expected:
            raise ValueError(f'{results["video_id"]}: features {path} have '
                             f'shape {array.shape}, expected {expected}')
        results['features'] = array.astype(np.float32, copy=False)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(npz_key={self.npz_key!r})'
