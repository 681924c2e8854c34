"""Untrimmed videos as pre-extracted feature sequences with action segments.
"""
import json
import math
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from mmvmae.registry import DATASETS

POLICIES = ('error', 'skip')
SEGMENT_POLICIES = ('error', 'clip')


@DATASETS.register_module()
class TemporalActionDataset(BaseDataset):
    """Temporal action detection on feature files (ActionFormer inputs).

    Annotations are ActivityNet / ActionFormer JSON::

        {"database": {"<video_id>": {"subset": "training", "duration": 12.5,
          "fps": 30.0, "annotations": [{"segment": [1.2, 3.4],
          "label": "jump", "label_id": 0}]}}}

    Features are one ``<feature_dir>/<video_id>.npy`` array of shape
    ``(num_features, feature_dim)`` per video. Their time layout comes from
    ``<feature_dir>/index.json`` written by ``tools/misc/extract_features.py``
    (``window``, ``stride``, ``feature_dim`` and per video ``num_features``,
    ``fps``, ``duration``); for features made elsewhere (``index_file=None``)
    it is given by ``feature_window`` / ``feature_stride`` and
    ``feature_fps`` (or the fps of the annotations), and the files are
    ``<feature_prefix><video_id><feature_suffix>``. Feature ``i`` is centred
    at frame
    ``i * stride + window / 2`` (:mod:`mmvmae.structures.feature_grid`).

    Everything is checked when the dataset is built, before any training
    step, and each problem names the video and the values:

    - a missing feature directory, index or annotation file, or a feature
      width other than ``feature_dim``: error;
    - a video whose features are missing, unreadable, of the wrong shape
      (other than its index entry or ``feature_dim``), or whose length
      disagrees with its duration by more than ``length_tolerance``
      features: error with ``invalid_video='error'``, otherwise skipped,
      counted in :attr:`skipped` and logged;
    - a segment outside ``[0, duration]`` or not longer than zero: error
      with ``segment_policy='error'``; with ``'clip'`` it is clipped to the
      video (dropped when nothing is left), counted in
      :attr:`clipped_segments` and logged;
    - a training video without annotations (outside ``test_mode``) is
      skipped, counted in :attr:`skipped` and logged.

    Each item holds ``video_id``, ``feature_path``, ``fps``, ``duration``,
    ``feature_window``, ``feature_stride``, ``feature_start`` (0),
    ``num_features``, ``feature_dim``, ``gt_segments`` (N, 2) float32 in
    seconds and ``gt_labels`` (N,) int64.

    Args:
        ann_file (str): Annotation JSON.
        feature_dir (str): Folder of the feature files.
        pipeline (list): Transforms (load, truncate, pack).
        subset (str | Sequence[str]): Subset(s) to read, e.g.
            ``'training'``. Defaults to ``'training'``.
        classes (Sequence[str], optional): Class names; index = label.
        classes_file (str, optional): One class name per line, instead of
            ``classes``. Without either, names and ids come from the
            ``label`` / ``label_id`` pairs of the whole annotation file.
        index_file (str, optional): Feature index, relative to
            ``feature_dir`` unless absolute. ``None`` for features without
            an index. Defaults to ``'index.json'``.
        feature_window (float, optional): Frames per feature when there is
            no index.
        feature_stride (float, optional): Frames between features when
            there is no index.
        feature_dim (int, optional): Expected feature width; checked
            against the index and every file.
        feature_prefix (str): File name prefix without an index (e.g.
            ``'v_'`` for ActivityNet). Defaults to ``''``.
        feature_suffix (str): File extension without an index. Defaults to
            ``'.npy'``.
        feature_fps (float, optional): Frame rate of the frames the
            features were computed on, when there is no index (window and
            stride count these frames); overrides the annotations' fps
            (ActionFormer's ``default_fps``: 15 for ActivityNet TSP, 30 for
            EPIC-Kitchens and Ego4D).
        length_tolerance (int, optional): Allowed difference between a
            video's feature count and ``(duration * fps - window) / stride
            + 1``. ``None`` disables the check. Defaults to 2.
        invalid_video (str): ``'error'`` or ``'skip'``. Defaults to
            ``'error'``.
        segment_policy (str): ``'error'`` or ``'clip'``. Defaults to
            ``'error'``.
        segment_tolerance (float): Seconds a segment may overrun the video
            before it counts as outside (rounding of annotation tools);
            such overruns are clipped silently. Defaults to 0.05.
        class_agnostic (bool): Label every segment 0 of one class
            ``'action'`` (ActionFormer's ActivityNet localizer, whose
            classes come from an external video classifier). Defaults to
            False.
        **kwargs: Passed to mmengine's ``BaseDataset`` (``test_mode``, ...).
    """

    def __init__(self,
                 ann_file: str,
                 feature_dir: str,
                 pipeline: List[Union[dict, Callable]],
                 subset: Union[str, Sequence[str]] = 'training',
                 classes: Optional[Sequence[str]] = None,
                 classes_file: Optional[str] = None,
                 index_file: Optional[str] = 'index.json',
                 feature_window: Optional[float] = None,
                 feature_stride: Optional[float] = None,
                 feature_dim: Optional[int] = None,
                 feature_prefix: str = '',
                 feature_suffix: str = '.npy',
                 feature_fps: Optional[float] = None,
                 length_tolerance: Optional[int] = 2,
                 invalid_video: str = 'error',
                 segment_policy: str = 'error',
                 segment_tolerance: float = 0.05,
                 class_agnostic: bool = False,
                 **kwargs) -> None:
        if invalid_video not in POLICIES:
            raise ValueError(f'invalid_video must be one of {POLICIES}, got '
                             f'{invalid_video!r}')
        if segment_policy not in SEGMENT_POLICIES:
            raise ValueError(f'segment_policy must be one of '
                             f'{SEGMENT_POLICIES}, got {segment_policy!r}')
        if index_file is not None and (feature_fps is not None
                                       or feature_prefix
                                       or feature_suffix != '.npy'):
            raise ValueError(
                'feature_fps, feature_prefix and feature_suffix describe '
                'features without an index (index_file=None); the index '
                'gives the files and their fps')
        if classes is not None and classes_file is not None:
            raise ValueError('give classes or classes_file, not both')
        if not osp.isfile(ann_file):
            raise FileNotFoundError(f'annotation file not found: {ann_file}')
        if not osp.isdir(feature_dir):
            raise FileNotFoundError(
                f'feature directory not found: {feature_dir} (extract the '
                'features first, e.g. with tools/misc/extract_features.py)')
        self.feature_dir = feature_dir
        self.subsets = {
            s.lower()
            for s in ([subset] if isinstance(subset, str) else subset)
        }
        self.index = self._read_index(index_file, feature_window,
                                      feature_stride, feature_dim)
        self.classes_file = classes_file
        self.class_names = list(classes) if classes is not None else None
        self.feature_prefix = feature_prefix
        self.feature_suffix = feature_suffix
        self.feature_fps = feature_fps
        self.length_tolerance = length_tolerance
        self.invalid_video = invalid_video
        self.segment_policy = segment_policy
        self.segment_tolerance = segment_tolerance
        self.class_agnostic = class_agnostic
        self.skipped: Dict[str, str] = {}
        self.clipped_segments: Dict[str, int] = {}
        super().__init__(ann_file=ann_file, pipeline=pipeline, **kwargs)

    def _read_index(self, index_file, window, stride, feature_dim) -> dict:
        """Time layout of the features: the index file or the arguments."""
        if index_file is None:
            if window is None or stride is None:
                raise ValueError(
                    'without an index file, give feature_window and '
                    'feature_stride (frames per feature / between features)')
            return dict(window=window, stride=stride, feature_dim=feature_dim,
                        videos=None)
        path = (index_file if osp.isabs(index_file) else osp.join(
            self.feature_dir, index_file))
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'feature index not found: {path} (written by '
                'tools/misc/extract_features.py; set index_file=None and '
                'feature_window / feature_stride for other features)')
        with open(path) as f:
            index = json.load(f)
        for key in ('window', 'stride', 'feature_dim', 'videos'):
            if key not in index:
                raise KeyError(f'feature index {path} has no {key!r}')
        for arg, key, given in (('feature_window', 'window', window),
                                ('feature_stride', 'stride', stride),
                                ('feature_dim', 'feature_dim', feature_dim)):
            if given is not None and given != index[key]:
                raise ValueError(f'{arg}={given} disagrees with {key}='
                                 f'{index[key]} in {path}')
        return index

    def load_data_list(self) -> List[dict]:
        """Videos of the subset(s) that pass the checks."""
        with open(self.ann_file) as f:
            database = json.load(f).get('database')
        if not isinstance(database, dict):
            raise ValueError(f'{self.ann_file} has no "database" mapping')
        label_of = self._label_map(database)
        self._metainfo['classes'] = ('action', ) if self.class_agnostic \
            else tuple(name for name, _ in sorted(label_of.items(),
                                                  key=lambda x: x[1]))
        data_list = []
        for video_id, video in database.items():
            if video.get('subset', '').lower() not in self.subsets:
                continue
            try:
                info = self._video_info(video_id, video)
            except ValueError as error:
                if self.invalid_video == 'error':
                    raise
                self._skip(video_id, str(error))
                continue
            info['gt_segments'], info['gt_labels'] = self._segments(
                video_id, video, info['duration'], label_of)
            if len(info['gt_labels']) == 0 and not self.test_mode:
                self._skip(video_id, 'no annotated segment (training)')
                continue
            data_list.append(info)
        if self.skipped:
            print_log(
                f'{self.ann_file} ({sorted(self.subsets)}): skipped '
                f'{len(self.skipped)} videos, kept {len(data_list)}',
                logger='current', level=30)
        if not data_list:
            raise ValueError(
                f'no usable video of subset {sorted(self.subsets)} in '
                f'{self.ann_file} (skipped: {self.skipped})')
        return data_list

    def _label_map(self, database: dict) -> Dict[str, int]:
        """Class name -> label, from the config or the annotations."""
        names = self.class_names
        if self.classes_file is not None:
            if not osp.isfile(self.classes_file):
                raise FileNotFoundError(
                    f'classes file not found: {self.classes_file}')
            with open(self.classes_file) as f:
                names = [line.strip() for line in f if line.strip()]
        if names is not None:
            if len(set(names)) != len(names):
                raise ValueError(f'duplicate class names in {names}')
            return {name: i for i, name in enumerate(names)}
        label_of = {}
        for video_id, video in database.items():
            for ann in video.get('annotations', []):
                name, label = ann['label'], ann.get('label_id')
                if label is None:
                    raise ValueError(
                        f'{video_id}: annotation {ann} has no label_id; give '
                        'classes or classes_file')
                if label_of.setdefault(name, int(label)) != int(label):
                    raise ValueError(
                        f'{video_id}: class {name!r} has label_id {label} '
                        f'here and {label_of[name]} elsewhere')
        if sorted(label_of.values()) != list(range(len(label_of))):
            raise ValueError(
                f'label_ids in {self.ann_file} are not 0..K-1: '
                f'{sorted(label_of.values())}; give classes or classes_file')
        return label_of

    def _video_info(self, video_id: str, video: dict) -> dict:
        """Data info of one video but its segments; ``ValueError`` naming
        what is wrong with its features."""
        window, stride = self.index['window'], self.index['stride']
        entry = {}
        if self.index['videos'] is not None:
            entry = self.index['videos'].get(video_id)
            if entry is None:
                raise ValueError(
                    f'{video_id}: no features in the index of '
                    f'{self.feature_dir}')
        fps = entry.get('fps', self.feature_fps or video.get('fps'))
        if fps is None:
            raise ValueError(f'{video_id}: no fps in the annotation (set '
                             'feature_fps)')
        duration = float(video.get('duration', entry.get('duration', 0.)))
        if duration <= 0:
            raise ValueError(f'{video_id}: duration {duration} is not '
                             'positive')
        path = osp.join(self.feature_dir,
                        entry.get('file', self.feature_prefix + video_id +
                                  self.feature_suffix))
        shape = self._feature_shape(video_id, path)
        expected_dim = self.index.get('feature_dim')
        if len(shape) != 2 or (expected_dim is not None
                               and shape[1] != expected_dim):
            raise ValueError(
                f'{video_id}: features {path} have shape {shape}, expected '
                f'(num_features, {expected_dim})')
        if 'num_features' in entry and shape[0] != entry['num_features']:
            raise ValueError(
                f'{video_id}: {path} holds {shape[0]} features, the index '
                f'says {entry["num_features"]}')
        expected = max(math.floor((duration * fps - window) / stride), 0) + 1
        if (self.length_tolerance is not None
                and abs(shape[0] - expected) > self.length_tolerance):
            raise ValueError(
                f'{video_id}: {shape[0]} features, but duration {duration}s '
                f'at {fps} fps with window {window} / stride {stride} '
                f'frames gives {expected} (length_tolerance '
                f'{self.length_tolerance})')
        return dict(
            video_id=video_id, feature_path=path, fps=float(fps),
            duration=duration, feature_window=float(window),
            feature_stride=float(stride), feature_start=0,
            num_features=int(shape[0]), feature_dim=int(shape[1]))

    @staticmethod
    def _feature_shape(video_id: str, path: str) -> tuple:
        """Shape of a feature file, read from its header only."""
        if not osp.isfile(path):
            raise ValueError(f'{video_id}: feature file not found: {path}')
        try:
            array = np.load(path, mmap_mode='r')
            if hasattr(array, 'files'):  # an .npz archive
                shapes = [array[key].shape for key in array.files]
                array.close()
                if len(shapes) != 1:
                    raise ValueError(f'{len(shapes)} arrays in the archive')
                return tuple(shapes[0])
            return tuple(array.shape)
        except (OSError, ValueError, EOFError) as error:
            raise ValueError(
                f'{video_id}: cannot read features {path}: {error}') from error

    def _segments(self, video_id: str, video: dict, duration: float,
                  label_of: Dict[str, int]) -> tuple:
        """(N, 2) seconds and (N,) labels, checked against the video."""
        segments, labels = [], []
        for ann in video.get('annotations', []):
            name = ann['label']
            if name not in label_of:
                raise ValueError(f'{video_id}: unknown class {name!r} (not in '
                                 f'{len(label_of)} classes)')
            if ('label_id' in ann and self.class_names is None
                    and self.classes_file is None
                    and int(ann['label_id']) != label_of[name]):
                raise ValueError(f'{video_id}: {ann} disagrees with '
                                 f'label {label_of[name]} of {name!r}')
            start, end = (float(t) for t in ann['segment'])
            tol = self.segment_tolerance
            outside = start < -tol or end > duration + tol or end <= start
            if outside and self.segment_policy == 'error':
                raise ValueError(
                    f'{video_id}: segment [{start}, {end}] ({name}) is '
                    f'outside the video [0, {duration}] or empty '
                    "(segment_policy='clip' clips it)")
            clipped = (max(start, 0.), min(end, duration))
            if outside:
                self.clipped_segments[video_id] = (
                    self.clipped_segments.get(video_id, 0) + 1)
                print_log(
                    f'{video_id}: segment [{start}, {end}] clipped to '
                    f'{list(clipped)} (video of {duration}s)',
                    logger='current', level=30)
                if clipped[1] <= clipped[0]:
                    continue
            segments.append(clipped)
            labels.append(0 if self.class_agnostic else label_of[name])
        return (np.asarray(segments, np.float32).reshape(-1, 2),
                np.asarray(labels, np.int64))

    def _skip(self, video_id: str, reason: str) -> None:
        """Count and log a skipped video."""
        self.skipped[video_id] = reason
        print_log(f'skipped video {video_id}: {reason}', logger='current',
                  level=30)
