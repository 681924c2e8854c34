"""Random crop of a training feature sequence that keeps actions."""
from typing import Dict, Optional, Tuple

import numpy as np
from mmcv.transforms import BaseTransform

from mmvmae.registry import TRANSFORMS
from mmvmae.structures.feature_grid import grid_to_seconds, seconds_to_grid


@TRANSFORMS.register_module()
class RandomFeatureTruncation(BaseTransform):
    """Cut a random window of at most ``max_seq_len`` features.

    ActionFormer's training augmentation. A sequence longer than
    ``max_seq_len`` is cut to ``max_seq_len`` features; with ``crop_ratio``
    = (lo, hi), a shorter one of ``T`` features is cut to a random length
    in ``[round(lo * T), round(hi * T)]``. Up to ``max_trials`` random
    starts are drawn until one keeps at least one segment with
    ``trunc_thresh`` of its length inside the window (the last draw is used
    otherwise). Kept segments are clipped to the frames the kept features
    cover; the others are dropped. ``feature_start`` advances by the start,
    so segments stay in seconds of the whole video.

    Args:
        max_seq_len (int): Longest output sequence.
        trunc_thresh (float): Fraction of a segment that must lie in the
            window for it to be kept. Defaults to 0.5.
        crop_ratio (tuple, optional): (lo, hi) length range of the crop of
            shorter sequences, as fractions of their length. Defaults to
            None (shorter sequences are left whole).
        max_trials (int): Random starts tried. Defaults to 200.
    """

    def __init__(self,
                 max_seq_len: int,
                 trunc_thresh: float = 0.5,
                 crop_ratio: Optional[Tuple[float, float]] = None,
                 max_trials: int = 200) -> None:
        if max_seq_len < 1:
            raise ValueError(f'max_seq_len must be >= 1, got {max_seq_len}')
        if crop_ratio is not None and not (0 < crop_ratio[0] <= crop_ratio[1]
                                           <= 1):
            raise ValueError(f'crop_ratio must satisfy 0 < lo <= hi <= 1, got '
                             f'{crop_ratio}')
        self.max_seq_len = max_seq_len
        self.trunc_thresh = trunc_thresh
        self.crop_ratio = crop_ratio
        self.max_trials = max_trials

    def crop_length(self, total: int) -> int:
        """Length of the window for a sequence of ``total`` features."""
        if total > self.max_seq_len:
            return self.max_seq_len
        if self.crop_ratio is None:
            return total
        low = max(round(self.crop_ratio[0] * total), 1)
        high = min(round(self.crop_ratio[1] * total), total)
        return int(np.random.randint(low, high + 1))

    def transform(self, results: Dict) -> Dict:
        """Cut ``features``; update segments, labels and ``feature_start``."""
        total = len(results['features'])
        length = self.crop_length(total)
        if length == total:
            return results
        grid = dict(fps=results['fps'], window=results['feature_window'],
                    stride=results['feature_stride'],
                    start=results['feature_start'])
        segments = seconds_to_grid(results['gt_segments'], **grid)
        half = 0.5 * grid['window'] / grid['stride']
        for _ in range(self.max_trials):
            start = int(np.random.randint(0, total - length + 1))
            # frames covered by features start .. start + length - 1
            left = np.maximum(segments[:, 0], start - half)
            right = np.minimum(segments[:, 1], start + length - 1 + half)
            inside = np.clip(right - left, 0, None)
            keep = inside >= self.trunc_thresh * (segments[:, 1] -
                                                  segments[:, 0])
            if keep.any() or not len(keep):
                break
        kept = np.stack([left, right], axis=1)[keep]
        results['gt_segments'] = grid_to_seconds(kept, **grid).astype(
            np.float32)
        results['gt_labels'] = results['gt_labels'][keep]
        results['features'] = results['features'][start:start + length]
        results['feature_start'] = grid['start'] + start
        results['num_features'] = length
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(max_seq_len={self.max_seq_len}, '
                f'trunc_thresh={self.trunc_thresh}, '
                f'crop_ratio={self.crop_ratio})')
