"""Frame indices of one window of a long video (temporal segmentation)."""
import numpy as np
from mmcv.transforms import BaseTransform

from mmvmae.registry import TRANSFORMS


@TRANSFORMS.register_module()
class SampleWindowFrames(BaseTransform):
    """Sample ``clip_len`` frames ``frame_interval`` apart in one window.

    A window spans ``span = clip_len * frame_interval`` source frames from
    its start; frame ``i`` of the clip is ``start + i * frame_interval``
    (0-based video frames). The start is

    - ``results['window_start']`` when given (the dense test windows of
      ``TemporalSegmentationDataset``);
    - else, while training, drawn uniformly from
      ``[0, total_frames - span]``;
    - else (test mode without a start) the centred window.

    Indices past the last frame are clamped to it, so a video shorter than
    the span repeats its last frame.

    Required keys: ``total_frames``; optional ``window_start``.
    Added keys: ``frame_inds`` (int64, ``(clip_len,)``), ``window_start``,
    ``clip_len``, ``frame_interval``, ``num_clips`` (1).

    Args:
        clip_len (int): Frames per clip.
        frame_interval (int): Source frames between sampled frames.
            Defaults to 1.
        test_mode (bool): Centred instead of random windows when no start
            is given. Defaults to False.
    """

    def __init__(self,
                 clip_len: int,
                 frame_interval: int = 1,
                 test_mode: bool = False) -> None:
        for name, value in (('clip_len', clip_len),
                            ('frame_interval', frame_interval)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'{name} must be a positive int, got '
                                 f'{value!r}')
        self.clip_len = clip_len
        self.frame_interval = frame_interval
        self.test_mode = test_mode

    @property
    def span(self) -> int:
        """Source frames covered by one window."""
        return self.clip_len * self.frame_interval

    def transform(self, results: dict) -> dict:
        """Add the frame indices of one window."""
        total = int(results['total_frames'])
        if total < 1:
            raise ValueError(f'video {results.get("filename")} has no '
                             f'frames (total_frames={total})')
        last_start = max(total - self.span, 0)
        start = results.get('window_start')
        if start is None:
            start = (last_start // 2 if self.test_mode else
                     np.random.randint(0, last_start + 1))
        inds = start + np.arange(self.clip_len) * self.frame_interval
        results.update(
            frame_inds=np.minimum(inds, total - 1).astype(np.int64),
            window_start=int(start),
            clip_len=self.clip_len,
            frame_interval=self.frame_interval,
            num_clips=1)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(clip_len={self.clip_len}, '
                f'frame_interval={self.frame_interval}, '
                f'test_mode={self.test_mode})')
