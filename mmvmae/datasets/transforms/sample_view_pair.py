"""Two clips (or frames) of the same video at a random temporal distance."""
from typing import Dict, Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmvmae.registry import TRANSFORMS


@TRANSFORMS.register_module()
class SampleViewPair(BaseTransform):
    """Sample two views of one video for view-contrastive pretraining.

    The first view starts at a uniformly drawn frame; the second starts at
    a uniformly drawn frame at most ``max_gap`` frames away from it (either
    direction, the same start included), both kept inside the video. Each
    view is ``clip_len`` frames ``frame_interval`` apart (``clip_len=1``:
    two frames, as ViC-MAE). A video shorter than one view loops its
    frames, as mmaction2's ``SampleFrames`` does.

    Writes ``frame_inds`` (view 0's frames, then view 1's), ``clip_len``,
    ``frame_interval``, ``num_clips=2`` and ``view_gap`` (start of view 1
    minus start of view 0, in frames). Use it as ``VideoClipDataset``'s
    ``sampler`` and :class:`PerViewTransforms` in the pipeline to augment
    and mask each view on its own.

    Args:
        clip_len (int): Frames per view. Defaults to 1.
        frame_interval (int): Frame stride within a view. Defaults to 1.
        max_gap (int, optional): Largest distance between the two views'
            start frames; None allows any two starts in the video.
            Defaults to None.
    """

    def __init__(self,
                 clip_len: int = 1,
                 frame_interval: int = 1,
                 max_gap: Optional[int] = None) -> None:
        if clip_len < 1 or frame_interval < 1:
            raise ValueError(f'clip_len and frame_interval must be >= 1, '
                             f'got {clip_len} and {frame_interval}')
        if max_gap is not None and max_gap < 0:
            raise ValueError(f'max_gap must be >= 0 or None, got {max_gap}')
        self.clip_len = clip_len
        self.frame_interval = frame_interval
        self.max_gap = max_gap

    def transform(self, results: Dict) -> Dict:
        """Add the frame indices of both views."""
        total = results['total_frames']
        if total < 1:
            raise ValueError(f'{results.get("filename", "video")} has no '
                             'frames')
        span = (self.clip_len - 1) * self.frame_interval + 1
        last_start = max(total - span, 0)
        first = np.random.randint(last_start + 1)
        reach = last_start if self.max_gap is None else self.max_gap
        low, high = max(first - reach, 0), min(first + reach, last_start)
        second = np.random.randint(low, high + 1)
        offsets = np.arange(self.clip_len) * self.frame_interval
        frame_inds = np.concatenate([first + offsets, second + offsets])
        results['frame_inds'] = (np.mod(frame_inds, total) +
                                 results.get('start_index', 0)).astype(
                                     np.int32)
        results['clip_len'] = self.clip_len
        results['frame_interval'] = self.frame_interval
        results['num_clips'] = 2
        results['view_gap'] = int(second - first)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(clip_len={self.clip_len}, '
                f'frame_interval={self.frame_interval}, '
                f'max_gap={self.max_gap})')
