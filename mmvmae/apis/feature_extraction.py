"""Sliding-window features of long videos from a pretrained mmvmae video
encoder (temporal action detection inputs, ActionFormer style)."""
import logging
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from .feature_index import (FeatureIndex, file_signature, save_array_atomic,
                            settings_digest)
from .sliding_windows import SlidingWindows
from .video_feature_encoder import build_video_feature_encoder
from .video_sources import VideoSource
from .window_reader import BadVideoError, WindowReader, spatial_transform

POOLINGS = ('mean', )


class FeatureExtractor:
    """Features of every sliding window of a video, one per window.

    Each video is decoded once (decord); its windows go through the
    config's video preprocessor and encoder in batches under
    ``torch.inference_mode``. A feature is the mean over all tokens of a
    window through the encoder's final norm (``pooling='mean'``; no mmvmae
    video encoder has a class token).

    Args:
        config (str | Config): Any mmvmae pretraining or fine-tuning config
            with a video encoder (``model.backbone`` or
            ``model.encoders.imgs``).
        checkpoint (str): Its checkpoint (mmvmae / mmaction2, official
            VideoMAE / V2 or transformers layout), loaded strictly with
            ``weights_only=True``.
        clip_len (int, optional): Frames per window. Defaults to the
            encoder's ``num_frames``.
        frame_interval (int): Source frames between sampled frames.
            Defaults to 1.
        stride (int): Source frames between windows. Defaults to 4.
        batch_size (int): Windows per encoder call. Defaults to 8.
        pooling (str): ``'mean'``. Defaults to ``'mean'``.
        resize (str): ``'crop'`` (short side to the input size, centre
            crop) or ``'square'`` (whole frame resized, aspect ratio not
            kept). Defaults to ``'crop'``.
        input_size (int, optional): Window height and width. Defaults to
            the encoder's ``img_size``.
        tail (str): ``'drop'`` or ``'pad'``, see
            :data:`~mmvmae.apis.sliding_windows.TAIL_CONVENTIONS`.
            Defaults to ``'drop'``.
        device (str): Defaults to ``'cpu'``.
        checkpoint_prefix (str, optional): Key prefix of the encoder in the
            checkpoint; defaults to the config's.
        decode_threads (int): decord threads per video. Defaults to 1.
    """

    def __init__(self,
                 config: Union[str, Config],
                 checkpoint: str,
                 clip_len: Optional[int] = None,
                 frame_interval: int = 1,
                 stride: int = 4,
                 batch_size: int = 8,
                 pooling: str = 'mean',
                 resize: str = 'crop',
                 input_size: Optional[int] = None,
                 tail: str = 'drop',
                 device: str = 'cpu',
                 checkpoint_prefix: Optional[str] = None,
                 decode_threads: int = 1) -> None:
        if pooling not in POOLINGS:
            raise ValueError(f'pooling must be one of {POOLINGS}, got '
                             f'{pooling!r}')
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        loaded = build_video_feature_encoder(config, checkpoint,
                                             checkpoint_prefix)
        print_log(f'feature extraction: {loaded.message}', logger='current')
        encoder = loaded.module
        self.windows = SlidingWindows(clip_len or encoder.num_frames,
                                      frame_interval, stride, tail)
        self.input_size = input_size or encoder.input_size
        encoder.check_input(self.windows.clip_len, self.input_size)
        self.transform = spatial_transform(resize, self.input_size)
        self.device = torch.device(device)
        self.encoder = encoder.to(self.device)
        self.batch_size = batch_size
        self.decode_threads = decode_threads
        config_path = config if isinstance(config, str) else config.filename
        # Everything that determines the features; hashed into the index.
        determining = dict(
            encoder=loaded.encoder_cfg,
            preprocessor=loaded.preprocessor_cfg,
            checkpoint=file_signature(checkpoint),
            checkpoint_prefix=loaded.prefix,
            pooling=pooling,
            resize=resize,
            input_size=self.input_size,
            **self.windows.describe())
        self.header = dict(
            config=config_path,
            checkpoint=checkpoint,
            checkpoint_prefix=loaded.prefix,
            encoder=loaded.encoder_cfg.get('type'),
            feature_dim=encoder.feature_dim,
            pooling=pooling,
            resize=resize,
            input_size=self.input_size,
            mean=loaded.preprocessor_cfg.get('mean'),
            std=loaded.preprocessor_cfg.get('std'),
            settings_digest=settings_digest(determining),
            **self.windows.describe())

    def extract(self, path: str) -> Tuple[np.ndarray, dict]:
        """Features of one video.

        Args:
            path (str): The video file.

        Returns:
            tuple[np.ndarray, dict]: float32 features (num_features, C) and
            ``num_features``, ``num_frames``, ``fps``, ``duration`` (s).

        Raises:
            BadVideoError: If the video cannot be decoded or has no window.
        """
        reader = WindowReader(path, self.decode_threads)
        indices = self.windows.frame_indices(reader.num_frames)
        if not len(indices):
            raise BadVideoError(
                f'{path} has {reader.num_frames} frames, fewer than one '
                f'window ({self.windows.window}); use tail="pad" to extract '
                'one padded window')
        features = []
        with torch.inference_mode():
            for batch in reader.batches(indices, self.batch_size,
                                        self.transform):
                clips = torch.from_numpy(batch).to(self.device)
                features.append(self.encoder(clips).float().cpu())
        features = torch.cat(features).numpy().astype(np.float32)
        return features, dict(
            num_features=len(features),
            num_frames=reader.num_frames,
            fps=reader.fps,
            duration=reader.num_frames / reader.fps)


@dataclass
class ExtractionSummary:
    """Outcome of :func:`extract_videos` on one process.

    Attributes:
        index (FeatureIndex): The index this process wrote.
        extracted (list[str]): Ids extracted in this run.
        skipped (list[str]): Ids already finished (same settings, same
            source file, ``.npy`` present).
        failed (dict): Id -> error of the videos that could not be used.
    """
    index: FeatureIndex
    extracted: List[str] = field(default_factory=list)
    skipped: List[str] = field(default_factory=list)
    failed: Dict[str, str] = field(default_factory=dict)


def _signature(source: VideoSource) -> dict:
    """The source file's signature, or BadVideoError naming it."""
    if source.error is not None:
        raise BadVideoError(source.error)
    if not osp.isfile(source.path):
        raise BadVideoError(f'video file not found: {source.path}')
    return file_signature(source.path)


def extract_videos(extractor: FeatureExtractor,
                   sources: List[VideoSource],
                   out_dir: str,
                   overwrite: bool = False,
                   skip_bad: bool = False,
                   rank: int = 0,
                   world_size: int = 1,
                   progress: bool = True) -> ExtractionSummary:
    """Extract the features of this process's share of ``sources``.

    Writes ``<out_dir>/<video_id>.npy`` (float32, (num_features, C)) and,
    after every video, the index: ``index.json``, into which a single
    process also merges the shards a killed multi-process run left, or,
    when ``world_size > 1``, this rank's shard (merge them with
    ``summary.index.merge()`` on rank 0 once every rank has finished).
    Videos already finished are skipped unless ``overwrite``.

    Args:
        extractor (FeatureExtractor): The extractor.
        sources (list[VideoSource]): All videos, in the same order on every
            rank; rank ``r`` takes ``sources[r::world_size]``.
        out_dir (str): The feature folder (created).
        overwrite (bool): Redo finished videos. Defaults to False.
        skip_bad (bool): Record a video that cannot be used under
            ``failed`` in the index, log it and go on, instead of raising.
            Defaults to False.
        rank (int): This process's rank. Defaults to 0.
        world_size (int): Number of processes. Defaults to 1.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        ExtractionSummary: What this process did.

    Raises:
        BadVideoError: Naming the file, unless ``skip_bad``.
    """
    os.makedirs(out_dir, exist_ok=True)
    index = FeatureIndex(out_dir, extractor.header, rank, world_size)
    summary = ExtractionSummary(index)
    share = sources[rank::world_size]
    bar = ProgressBar(len(share)) if progress and share else None
    for source in share:
        try:
            signature = _signature(source)
            if not overwrite and index.finished(source.video_id, signature):
                summary.skipped.append(source.video_id)
            else:
                features, info = extractor.extract(source.path)
                file = source.video_id + '.npy'
                save_array_atomic(osp.join(out_dir, file), features)
                index.add_video(source.video_id,
                                dict(file=file, source=signature, **info))
                summary.extracted.append(source.video_id)
        except BadVideoError as err:
            if not skip_bad:
                raise
            print_log(f'skipped a bad video: {err}', logger='current',
                      level=logging.WARNING)
            index.add_failure(source.video_id, source.path, str(err))
            summary.failed[source.video_id] = str(err)
        if bar is not None:
            bar.update()
    if world_size == 1:  # also takes in the shards of a killed torchrun
        index.merge()
    print_log(
        f'rank {rank}: {len(summary.extracted)} videos extracted, '
        f'{len(summary.skipped)} already finished, {len(summary.failed)} '
        f'failed{": " + ", ".join(summary.failed) if summary.failed else ""}'
        f' -> {out_dir}', logger='current',
        level=logging.WARNING if summary.failed else logging.INFO)
    return summary
