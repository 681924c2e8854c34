"""Datasets and pipeline transforms."""
from .transforms import *  # noqa: F401,F403
from .video_clip_dataset import VideoClipDataset

__all__ = ['VideoClipDataset']
from .video_text_clip_dataset import VideoTextClipDataset  # noqa: E402

__all__ += ['VideoTextClipDataset']
from .temporal_segmentation_dataset import (  # noqa: E402
    TemporalSegmentationDataset)

__all__ += ['TemporalSegmentationDataset']
from .temporal_action_dataset import TemporalActionDataset  # noqa: E402

__all__ += ['TemporalActionDataset']
