"""Video dataset that decodes once per video and skips unreadable videos."""
import copy
import os.path as osp
from typing import Callable, Dict, List, Union

import numpy as np
import torch
from mmaction.datasets import VideoDataset
from mmengine.logging import print_log

from mmvmae.registry import DATASETS, TRANSFORMS


def _build(transform: Union[dict, Callable]) -> Callable:
    return TRANSFORMS.build(transform) if isinstance(transform,
                                                     dict) else transform


@DATASETS.register_module()
class VideoClipDataset(VideoDataset):
    """mmaction2 ``VideoDataset`` with decode-once repeated sampling.

    Loading is split into named stages instead of positions in the pipeline:
    ``init`` opens the video, ``sampler`` picks frame indices (run once per
    repeat), ``decoder`` decodes the **sorted, de-duplicated** union of all
    repeats' frames in one pass, and ``pipeline`` (augmentation, masking,
    packing) runs on each repeat's frames. With ``num_repeats > 1`` an item
    is a list of ``num_repeats`` samples: use
    ``collate_fn=dict(type='repeat_pseudo_collate')``.

    A video that fails to load (missing, corrupt, unreadable) is logged with
    its path and error, counted in :attr:`skipped`, and replaced by the next
    video. The run stops with a ``RuntimeError`` once a loader process has
    skipped more than ``max_skip_fraction`` of its share of the videos. In
    ``test_mode`` nothing is skipped: the error names the video, since a
    skipped test video would silently change the metric.

    Annotation lines are mmaction2's ``path label``; a line with only a path
    (label -1) is allowed, for unlabelled pretraining lists.

    Args:
        ann_file (str): Annotation list.
        pipeline (list): Per-clip transforms after decoding.
        init (dict): Opens a video. Defaults to ``DecordInit``.
        sampler (dict): Frame sampler. Defaults to
            ``SampleFrames(clip_len=16, frame_interval=4)``.
        decoder (dict): Decoder. Defaults to ``DecordDecode``.
        num_repeats (int): Clips per video per visit (VideoMAE V2
            ``num_sample``, MAE-ST ``repeat_aug``). Defaults to 1.
        max_skip_fraction (float): Fraction of videos that may be skipped.
            Defaults to 0.01.
        **kwargs: Passed to mmaction2's ``VideoDataset``.
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[dict, Callable]],
                 init: dict = dict(type='DecordInit'),
                 sampler: dict = dict(
                     type='SampleFrames', clip_len=16, frame_interval=4),
                 decoder: dict = dict(type='DecordDecode'),
                 num_repeats: int = 1,
                 max_skip_fraction: float = 0.01,
                 **kwargs) -> None:
        if num_repeats < 1:
            raise ValueError(f'num_repeats must be >= 1, got {num_repeats}')
        if not osp.isfile(ann_file):
            raise FileNotFoundError(f'annotation file not found: {ann_file}')
        self.init = _build(init)
        self.sampler = _build(sampler)
        self.decoder = _build(decoder)
        self.num_repeats = num_repeats
        self.max_skip_fraction = max_skip_fraction
        self.skipped: Dict[str, str] = {}
        super().__init__(ann_file, pipeline, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the list; an empty list is an error naming the file."""
        data_list = super().load_data_list()
        if not data_list:
            raise ValueError(f'annotation file {self.ann_file} has no '
                             'entries')
        return data_list

    def load_clips(self, idx: int) -> List[dict]:
        """Open, sample ``num_repeats`` clips and decode their frames once.
        """
        info = self.init(self.get_data_info(idx))
        samples = [
            self.sampler(copy.copy(info)) for _ in range(self.num_repeats)
        ]
        sampled_keys = [k for k in samples[0] if k not in info]
        indices = [s['frame_inds'].reshape(-1) for s in samples]
        union, inverse = np.unique(
            np.concatenate(indices), return_inverse=True)
        info.update({k: samples[0][k] for k in sampled_keys})
        info['frame_inds'] = union
        info = self.decoder(info)
        frames = info['imgs']
        clips, start = [], 0
        for sample, index in zip(samples, indices):
            clip = dict(info, **{k: sample[k] for k in sampled_keys})
            positions = inverse[start:start + len(index)]
            clip['imgs'] = [frames[i] for i in positions]
            clips.append(clip)
            start += len(index)
        return clips

    def prepare_data(self, idx: int) -> Union[dict, List[dict]]:
        """Samples of video ``idx`` (or of the next readable video)."""
        for _ in range(len(self)):
            try:
                clips = self.load_clips(idx)
            except Exception as error:  # noqa: BLE001 - counted and logged
                if self.test_mode:
                    raise RuntimeError(
                        f'cannot load test video '
                        f'{self.get_data_info(idx)["filename"]}: '
                        f'{error}') from error
                self.record_skip(self.get_data_info(idx)['filename'], error)
                idx = (idx + 1) % len(self)
                continue
            samples = [self.pipeline(clip) for clip in clips]
            return samples if self.num_repeats > 1 else samples[0]
        raise RuntimeError(f'no readable video in {self.ann_file}')

    def record_skip(self, filename: str, error: Exception) -> None:
        """Count and log a skipped video; stop past the allowed fraction."""
        self.skipped[filename] = f'{type(error).__name__}: {error}'
        worker = torch.utils.data.get_worker_info()
        share = len(self) / (worker.num_workers if worker else 1)
        print_log(
            f'skipped unreadable video {filename} ({len(self.skipped)} '
            f'skipped in this loader process): {self.skipped[filename]}',
            logger='current', level=30)
        if len(self.skipped) > self.max_skip_fraction * share:
            listed = '\n  '.join(f'{k}: {v}' for k, v in self.skipped.items())
            raise RuntimeError(
                f'{len(self.skipped)} unreadable videos exceed '
                f'max_skip_fraction={self.max_skip_fraction} of '
                f'{share:.0f} videos ({self.ann_file}):\n  {listed}')
