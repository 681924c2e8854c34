"""Decode a long video once and hand out batches of its windows."""
from typing import Callable, Dict, Iterator, List

import numpy as np

from mmvmae.registry import TRANSFORMS

RESIZE_MODES = ('crop', 'square')
Frames = List[np.ndarray]


class BadVideoError(RuntimeError):
    """A video that cannot be used: unreadable, or too short for one window.
    The message names the file."""


def spatial_transform(mode: str, size: int) -> Callable[[Frames], Frames]:
    """Resize (and crop) decoded frames to ``size x size`` with mmaction2's
    test-pipeline transforms.

    Args:
        mode (str): ``'crop'``: short side to ``size`` keeping the aspect
            ratio, then a centre crop (``Resize(scale=(-1, size))`` +
            ``CenterCrop(size)``, as mmaction2 / VideoMAE test pipelines);
            ``'square'``: the whole frame resized to ``size x size``,
            aspect ratio not kept (VideoMAE V2's TAD feature extractor).
        size (int): Output height and width.

    Returns:
        callable: RGB uint8 frames (H, W, 3) -> frames (size, size, 3).
    """
    if mode not in RESIZE_MODES:
        raise ValueError(f'resize mode must be one of {RESIZE_MODES}, got '
                         f'{mode!r}')
    if mode == 'crop':
        steps = [dict(type='Resize', scale=(-1, size)),
                 dict(type='CenterCrop', crop_size=size)]
    else:
        steps = [dict(type='Resize', scale=(size, size), keep_ratio=False)]
    transforms = [TRANSFORMS.build(step) for step in steps]

    def apply(frames: Frames) -> Frames:
        results = dict(imgs=frames, img_shape=frames[0].shape[:2],
                       modality='RGB')
        for transform in transforms:
            results = transform(results)
        return results['imgs']

    return apply


class WindowReader:
    """A video opened with decord, whose frames are decoded once each.

    Args:
        path (str): The video file.
        num_threads (int): decord decoding threads. Defaults to 1.

    Raises:
        BadVideoError: If the file cannot be opened, has no frames or no
            frame rate.
    """

    def __init__(self, path: str, num_threads: int = 1) -> None:
        import decord
        self.path = path
        try:
            self.reader = decord.VideoReader(path, num_threads=num_threads)
        except Exception as err:  # decord raises its own DECORDError
            raise BadVideoError(f'cannot open video {path}: {err}') from err
        self.num_frames = len(self.reader)
        self.fps = float(self.reader.get_avg_fps())
        if self.num_frames < 1 or not self.fps > 0:
            raise BadVideoError(
                f'{path} has {self.num_frames} frames at {self.fps} fps')

    def decode(self, indices: List[int]) -> np.ndarray:
        """RGB frames (N, H, W, 3) at sorted ``indices``.

        Raises:
            BadVideoError: Naming the file and the frame range.
        """
        try:
            return self.reader.get_batch(indices).asnumpy()
        except Exception as err:
            raise BadVideoError(
                f'cannot decode frames {indices[0]}..{indices[-1]} of '
                f'{self.path} ({self.num_frames} frames): {err}') from err

    def batches(self, frame_indices: np.ndarray, batch_size: int,
                transform: Callable[[Frames], Frames]
                ) -> Iterator[np.ndarray]:
        """Windows in batches, each source frame decoded and transformed
        once (frames shared by overlapping windows are kept until the next
        batch no longer needs them).

        Args:
            frame_indices (np.ndarray): (num_windows, clip_len) frame
                indices, windows in increasing order (``SlidingWindows``).
            batch_size (int): Windows per batch.
            transform (callable): Frames -> resized frames.

        Yields:
            np.ndarray: uint8 windows (B, clip_len, H, W, 3).
        """
        cache: Dict[int, np.ndarray] = {}
        for first in range(0, len(frame_indices), batch_size):
            rows = frame_indices[first:first + batch_size]
            new = [int(i) for i in np.unique(rows) if int(i) not in cache]
            if new:
                cache.update(
                    zip(new, transform(list(self.decode(new))), strict=True))
            yield np.stack([np.stack([cache[int(i)] for i in row])
                            for row in rows])
            if first + batch_size < len(frame_indices):
                keep_from = int(frame_indices[first + batch_size, 0])
                cache = {i: f for i, f in cache.items() if i >= keep_from}
