"""Sliding windows over a long video and the time convention of their
features."""
from dataclasses import dataclass

import numpy as np

TAILS = ('drop', 'pad')
TIME_CONVENTION = (
    'feature i covers source frames [i*S, i*S+W); its time is the centre '
    '(i*S + W/2)/fps')
TAIL_CONVENTIONS = {
    'drop': ('windows start at i*S while i*S + W <= num_frames: fewer than '
             'S frames after the last window are not covered; a video '
             'shorter than W frames has no feature and fails'),
    'pad': ('windows start at i*S until one reaches the last frame '
            '(ceil((num_frames - W) / S) + 1 windows, at least one); frame '
            'indices past the end repeat the last frame, so the grid stays '
            'uniform and the time formula holds for every feature'),
}


@dataclass(frozen=True)
class SlidingWindows:
    """Windows of ``clip_len`` frames, ``frame_interval`` apart, every
    ``stride`` source frames.

    A window spans ``window = clip_len * frame_interval`` source frames;
    window ``i`` starts at frame ``i * stride`` and samples frames
    ``i * stride + k * frame_interval``, ``k < clip_len``. ``tail`` says what
    happens to the frames after the last full window (see
    :data:`TAIL_CONVENTIONS`).

    Args:
        clip_len (int): Frames per window given to the encoder.
        frame_interval (int): Source frames between sampled frames.
        stride (int): Source frames between consecutive windows.
        tail (str): ``'drop'`` or ``'pad'``.
    """
    clip_len: int
    frame_interval: int = 1
    stride: int = 4
    tail: str = 'drop'

    def __post_init__(self) -> None:
        for name in ('clip_len', 'frame_interval', 'stride'):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f'{name} must be a positive int, got '
                                 f'{value!r}')
        if self.tail not in TAILS:
            raise ValueError(f'tail must be one of {TAILS}, got '
                             f'{self.tail!r}')

    @property
    def window(self) -> int:
        """Source frames spanned by one window (``W``)."""
        return self.clip_len * self.frame_interval

    def num_windows(self, num_frames: int) -> int:
        """How many windows (features) a video of ``num_frames`` gets."""
        if num_frames < 1:
            return 0
        span = num_frames - self.window
        if span < 0:
            return 1 if self.tail == 'pad' else 0
        if self.tail == 'drop':
            return span // self.stride + 1
        return -(-span // self.stride) + 1

    def frame_indices(self, num_frames: int) -> np.ndarray:
        """Source frame indices of every window, (num_windows, clip_len),
        clamped to the last frame (only ``tail='pad'`` reaches past it)."""
        starts = np.arange(self.num_windows(num_frames)) * self.stride
        offsets = np.arange(self.clip_len) * self.frame_interval
        return np.minimum(starts[:, None] + offsets[None], num_frames - 1)

    def describe(self) -> dict:
        """The window fields of ``index.json``."""
        return dict(
            window=self.window,
            stride=self.stride,
            clip_len=self.clip_len,
            frame_interval=self.frame_interval,
            tail=self.tail,
            time_convention=TIME_CONVENTION,
            tail_convention=TAIL_CONVENTIONS[self.tail])
