"""Pretraining algorithms."""
from .adamae import AdaMAE
from .amd import AMD
from .token_masks import TokenMasks
from .videomae import VideoMAE

__all__ = ['AdaMAE', 'AMD', 'TokenMasks', 'VideoMAE']
from .audio_visual_mae import AudioVisualMAE  # noqa: E402

__all__ += ['AudioVisualMAE']
from .multimodal_mae import MultiModalMAE  # noqa: E402
from .video_imu_mae import VideoIMUMAE  # noqa: E402

__all__ += ['MultiModalMAE', 'VideoIMUMAE']
from .masked_video_text import MaskedVideoText  # noqa: E402

__all__ += ['MaskedVideoText']
from .vicmae import ViCMAE  # noqa: E402

__all__ += ['ViCMAE']
