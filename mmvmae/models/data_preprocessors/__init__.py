"""Data preprocessors."""
from .temporal_feature_preprocessor import TemporalFeaturePreprocessor

__all__ = ['TemporalFeaturePreprocessor']
from .multimodal_blending_preprocessor import (  # noqa: E402
    MultiModalBlendingPreprocessor)
from .multimodal_mixup import MultiModalMixup  # noqa: E402

__all__ += ['MultiModalBlendingPreprocessor', 'MultiModalMixup']
from .detection_data_preprocessor import DetectionDataPreprocessor  # noqa

__all__ += ['DetectionDataPreprocessor']
