"""Encoders: tokens in, features out."""
from .video_vit import ARCH_SETTINGS, VideoViT, resolve_arch

__all__ = ['ARCH_SETTINGS', 'VideoViT', 'resolve_arch']
from .audio_vit import AudioViT  # noqa: E402

__all__ += ['AudioViT']
from .device_graph_encoder import DeviceGraphEncoder  # noqa: E402
from .imu_encoder import IMUEncoder  # noqa: E402

__all__ += ['DeviceGraphEncoder', 'IMUEncoder']
from .text_encoder import TextEncoder, captions_of  # noqa: E402

__all__ += ['TextEncoder', 'captions_of']
from .temporal_conv_transformer import (  # noqa: E402
    TemporalConvTransformer)

__all__ += ['TemporalConvTransformer']
