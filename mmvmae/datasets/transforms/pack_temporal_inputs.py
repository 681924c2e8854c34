"""Pack a feature sequence and its segments for a temporal detector."""
from typing import Dict, Sequence

import numpy as np
import torch
from mmaction.structures import ActionDataSample
from mmcv.transforms import BaseTransform
from mmengine.structures import InstanceData

from mmvmae.registry import TRANSFORMS

META_KEYS = ('video_id', 'fps', 'duration', 'feature_window',
             'feature_stride', 'feature_start', 'num_features')


@TRANSFORMS.register_module()
class PackTemporalInputs(BaseTransform):
    """``inputs``: (C, T) float tensor; ``data_samples``: an
    ``ActionDataSample`` with ``gt_instances`` (``segments`` (N, 2) in
    seconds, ``labels`` (N,) int64) and the ``meta_keys`` as metainfo
    (``num_features`` is set to T, the grid keys place the features in
    time, see :mod:`mmvmae.structures.feature_grid`).

    Args:
        meta_keys (Sequence[str]): Keys copied to the metainfo.
    """

    def __init__(self, meta_keys: Sequence[str] = META_KEYS) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: Dict) -> Dict:
        """Pack ``features``, ``gt_segments`` and ``gt_labels``."""
        features = results['features']
        results['num_features'] = len(features)
        sample = ActionDataSample()
        sample.gt_instances = InstanceData(
            segments=torch.from_numpy(
                np.asarray(results['gt_segments'], np.float32).reshape(-1,
                                                                       2)),
            labels=torch.from_numpy(
                np.asarray(results['gt_labels'], np.int64)))
        sample.set_metainfo({key: results[key] for key in self.meta_keys})
        inputs = torch.from_numpy(np.ascontiguousarray(features.T))
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'
