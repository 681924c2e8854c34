"""Windows of long videos with per-frame multi-label action targets."""
import json
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.logging import print_log

from mmvmae.registry import DATASETS
from .transforms.sample_window_frames import SampleWindowFrames
from .video_clip_dataset import VideoClipDataset

OUT_OF_RANGE_POLICIES = ('error', 'clip')
# Videos listed in the log line about clipped segments.
MAX_LISTED = 5


def frame_targets(frame_inds: np.ndarray, fps: float,
                  segments: np.ndarray, labels: np.ndarray,
                  num_classes: int) -> np.ndarray:
    """Multi-label targets of sampled frames from action segments.

    Frame ``f`` spans ``[f / fps, (f + 1) / fps)``; it belongs to a segment
    ``[start, end)`` (seconds) when its centre ``(f + 0.5) / fps`` does.
    Segments on frame boundaries (``start * fps`` integer) thus cover
    exactly frames ``start * fps`` to ``end * fps - 1``. A frame in no
    segment is background: all zeros.

    Args:
        frame_inds (np.ndarray): Sampled frame indices (T,).
        fps (float): Frames per second of the video.
        segments (np.ndarray): (N, 2) start / end seconds.
        labels (np.ndarray): (N,) class indices.
        num_classes (int): K.

    Returns:
        np.ndarray: float32 (T, K), 1 where a segment of the class covers
        the frame.
    """
    centres = (np.asarray(frame_inds, np.float64) + 0.5) / fps
    segments = np.asarray(segments, np.float64).reshape(-1, 2)
    inside = ((centres[:, None] >= segments[None, :, 0])
              & (centres[:, None] < segments[None, :, 1]))
    onehot = np.eye(num_classes, dtype=np.float32)[np.asarray(
        labels, np.int64).reshape(-1)]
    return (inside.astype(np.float32) @ onehot > 0).astype(np.float32)


def window_starts(num_frames: int, span: int, stride: int) -> List[int]:
    """Starts of windows of ``span`` frames, ``stride`` apart, covering
    frames ``[0, num_frames)``: the last window ends at the last frame
    (one window at 0 when the video is shorter than the span)."""
    last = max(num_frames - span, 0)
    starts = list(range(0, last + 1, stride))
    if starts[-1] != last:
        starts.append(last)
    return starts


@DATASETS.register_module()
class TemporalSegmentationDataset(VideoClipDataset):
    """Clips of long videos labelled per frame from action segments.

    Reads an ActivityNet / ActionFormer annotation JSON::

        {"database": {"<video_id>": {"subset": "training", "duration": 12.0,
          "fps": 8.0, "annotations": [{"segment": [1.5, 4.0],
          "label": "left", "label_id": 0}]}}}

    keeps the videos of ``subset``, and opens
    ``data_prefix['video']/<video_id><video_suffix>``. Every clip (frames
    from ``sampler``, a :class:`SampleWindowFrames`) gets ``frame_labels``,
    float32 (clip_len, K) multi-label targets of its sampled frames
    (:func:`frame_targets`; background is all zeros); pack them with
    ``PackActionInputs(algorithm_keys=('frame_labels', ),
    meta_keys=(..., 'video_id', 'frame_inds'))``.

    **Items.** A video of N frames (``num_frames`` of its entry, else
    ``round(duration * fps)``) counts as the windows of the sampler's span
    ``S = clip_len * frame_interval`` that cover it (:func:`window_starts`).
    In training it has as many items as windows ``train_stride`` frames
    apart (default ``S``; long videos are visited more) and each item draws
    a random window; in ``test_mode`` each item is one fixed window,
    ``test_stride`` frames apart (default ``S``, no overlap), and together
    they cover every frame the interval samples. A test video whose
    decoded frame count differs from the annotation's is logged (its
    windows are clamped to the last decoded frame).

    **Bad input.** A missing video file, a missing ``fps`` / ``duration``,
    a ``label_id`` outside ``[0, num_classes)`` or an empty subset raise a
    ``ValueError`` / ``FileNotFoundError`` naming the video at build time.
    A segment outside ``[0, duration]`` or with ``end <= start`` raises
    with ``out_of_range='error'``; with ``'clip'`` it is clipped to the
    video (dropped when nothing is left), counted in
    :attr:`clipped_segments` and logged.

    Args:
        ann_file (str): Annotation JSON.
        pipeline (list): Per-clip transforms after decoding.
        num_classes (int): K, the number of action classes.
        subset (str): ``subset`` value of the videos to keep.
            Defaults to ``'training'``.
        sampler (dict): A ``SampleWindowFrames`` config.
        train_stride (int, optional): Frames of a training video per item
            (an epoch's share of its random windows). Defaults to the
            window span.
        test_stride (int, optional): Frames between test windows.
            Defaults to the window span.
        video_suffix (str): File name suffix after the video id.
            Defaults to ``'.mp4'``.
        out_of_range (str): ``'error'`` or ``'clip'``. Defaults to
            ``'error'``.
        label_key (str): Key of the class index in an annotation.
            Defaults to ``'label_id'``.
        **kwargs: Passed to :class:`VideoClipDataset` (``data_prefix``,
            ``init``, ``decoder``, ``num_repeats``, ``test_mode``, ...).
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[dict, Callable]],
                 num_classes: int,
                 subset: str = 'training',
                 sampler: dict = dict(
                     type='SampleWindowFrames', clip_len=16,
                     frame_interval=4),
                 train_stride: Optional[int] = None,
                 test_stride: Optional[int] = None,
                 video_suffix: str = '.mp4',
                 out_of_range: str = 'error',
                 label_key: str = 'label_id',
                 **kwargs) -> None:
        if out_of_range not in OUT_OF_RANGE_POLICIES:
            raise ValueError(f'out_of_range must be one of '
                             f'{OUT_OF_RANGE_POLICIES}, got {out_of_range!r}')
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f'num_classes must be a positive int, got '
                             f'{num_classes!r}')
        for name, stride in (('train_stride', train_stride),
                             ('test_stride', test_stride)):
            if stride is not None and stride < 1:
                raise ValueError(f'{name} must be >= 1, got {stride}')
        self.subset = subset
        self.train_stride = train_stride
        self.test_stride = test_stride
        self.video_suffix = video_suffix
        self.out_of_range = out_of_range
        self.label_key = label_key
        self.clipped_segments: Dict[str, list] = {}
        self.frame_count_mismatches: Dict[str, tuple] = {}
        super().__init__(
            ann_file, pipeline, sampler=sampler, num_classes=num_classes,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """One entry per item (window) of the subset's videos."""
        if not isinstance(self.sampler, SampleWindowFrames):
            raise TypeError('TemporalSegmentationDataset needs a '
                            'SampleWindowFrames sampler, got '
                            f'{type(self.sampler).__name__}')
        with open(self.ann_file) as file:
            database = json.load(file).get('database')
        if not isinstance(database, dict):
            raise ValueError(f'{self.ann_file} has no "database" dict')
        span = self.sampler.span
        data_list = []
        for video_id, entry in database.items():
            if entry.get('subset') != self.subset:
                continue
            info = self.parse_video(video_id, entry)
            stride = (self.test_stride if self.test_mode else
                      self.train_stride) or span
            for start in window_starts(info['num_frames'], span, stride):
                data_list.append(
                    dict(info, window_start=start) if self.test_mode else
                    dict(info))
        if not data_list:
            raise ValueError(f'{self.ann_file} has no videos of subset '
                             f'{self.subset!r}')
        print_log(
            f'{type(self).__name__}: {len(data_list)} '
            f'{"windows" if self.test_mode else "items"} of '
            f'{len({d["video_id"] for d in data_list})} {self.subset} '
            f'videos from {self.ann_file}', logger='current')
        if self.clipped_segments:
            examples = list(self.clipped_segments.items())[:MAX_LISTED]
            print_log(
                f'{sum(map(len, self.clipped_segments.values()))} segments '
                f'of {len(self.clipped_segments)} videos clipped to their '
                f'video (out_of_range=\'clip\'), e.g. {dict(examples)}; all '
                'in dataset.clipped_segments', logger='current', level=30)
        return data_list

    def parse_video(self, video_id: str, entry: dict) -> dict:
        """Checked data info of one annotated video."""
        filename = osp.join(self.data_prefix.get('video', ''),
                            video_id + self.video_suffix)
        if not osp.isfile(filename):
            raise FileNotFoundError(f'video {video_id!r} of {self.ann_file} '
                                    f'not found: {filename}')
        fps, duration = entry.get('fps'), entry.get('duration')
        if not fps or fps <= 0 or duration is None or duration <= 0:
            raise ValueError(f'video {video_id!r} of {self.ann_file} needs a '
                             f'positive fps and duration, got fps={fps}, '
                             f'duration={duration}')
        segments, labels = [], []
        for ann in entry.get('annotations') or []:
            label = ann.get(self.label_key)
            if not isinstance(label, int) or not 0 <= label < \
                    self.num_classes:
                raise ValueError(
                    f'video {video_id!r}: {self.label_key}={label!r} is not '
                    f'a class index in [0, {self.num_classes})')
            segment = self.check_segment(video_id, ann['segment'], duration)
            if segment is not None:
                segments.append(segment)
                labels.append(label)
        num_frames = entry.get('num_frames') or int(round(duration * fps))
        return dict(
            filename=filename,
            video_id=video_id,
            fps=float(fps),
            duration=float(duration),
            num_frames=int(num_frames),
            segments=np.asarray(segments, np.float32).reshape(-1, 2),
            segment_labels=np.asarray(labels, np.int64))

    def check_segment(self, video_id: str, segment: Sequence[float],
                      duration: float):
        """The segment, clipped to ``[0, duration]`` under the ``'clip'``
        policy (None when empty); raises under ``'error'``."""
        start, end = map(float, segment)
        if 0 <= start < end <= duration:
            return start, end
        if self.out_of_range == 'error':
            raise ValueError(
                f'video {video_id!r} of {self.ann_file}: segment '
                f'[{start}, {end}] is empty or outside [0, {duration}] '
                "(use out_of_range='clip' to clip such segments)")
        self.clipped_segments.setdefault(video_id, []).append((start, end))
        start, end = max(start, 0.), min(end, duration)
        return (start, end) if start < end else None

    def load_clips(self, idx: int) -> List[dict]:
        """Decoded clips of item ``idx`` with their ``frame_labels``."""
        clips = super().load_clips(idx)
        for clip in clips:
            if self.test_mode:
                self.check_frame_count(clip)
            clip['frame_labels'] = frame_targets(
                clip['frame_inds'], clip['fps'], clip['segments'],
                clip['segment_labels'], self.num_classes)
        return clips

    def check_frame_count(self, clip: dict) -> None:
        """Log (once per video) a decoded frame count that differs from
        the annotation's."""
        video_id = clip['video_id']
        counts = (clip['num_frames'], int(clip['total_frames']))
        if counts[0] != counts[1] and (
                video_id not in self.frame_count_mismatches):
            self.frame_count_mismatches[video_id] = counts
            print_log(
                f'test video {video_id}: the annotation gives {counts[0]} '
                f'frames, the file has {counts[1]}; windows past the last '
                'frame repeat it', logger='current', level=30)
