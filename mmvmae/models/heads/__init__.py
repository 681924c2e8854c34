"""Heads: targets and losses."""
from .pixel_reconstruction_head import PixelReconstructionHead

__all__ = ['PixelReconstructionHead']
from .attentive_probe_head import AttentiveProbeHead  # noqa: E402
from .linear_probe_head import LinearProbeHead  # noqa: E402

__all__ += ['AttentiveProbeHead', 'LinearProbeHead']
from .spectrogram_reconstruction_head import (  # noqa: E402
    SpectrogramReconstructionHead)

__all__ += ['SpectrogramReconstructionHead']
from .device_graph_mae_head import DeviceGraphMAEHead  # noqa: E402
from .imu_reconstruction_head import IMUReconstructionHead  # noqa: E402

__all__ += ['DeviceGraphMAEHead', 'IMUReconstructionHead']
from .temporal_segmentation_head import TemporalSegmentationHead  # noqa: E402

__all__ += ['TemporalSegmentationHead']
from .temporal_cls_head import TemporalClsHead  # noqa: E402
from .temporal_reg_head import TemporalRegHead  # noqa: E402

__all__ += ['TemporalClsHead', 'TemporalRegHead']
from .multilabel_action_head import MultiLabelActionHead  # noqa: E402

__all__ += ['MultiLabelActionHead']
