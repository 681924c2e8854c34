"""Pipeline transforms: mask generators."""
from .asymmetric_tube_mask import AsymmetricTubeMaskGenerator
from .audio_fbank import AudioFbank
from .fasking_scores import FaskingScores
from .frame_mask import FrameMaskGenerator
from .load_audio_window import LoadAudioWindow
from .load_imu_window import LoadIMUWindow
from .load_score_map import LoadScoreMap
from .mask_generator import BaseMaskGenerator
from .motion_guided_mask import MotionGuidedMaskGenerator
from .motion_vector_decode import MotionVectorDecode
from .random_mask import RandomMaskGenerator
from .running_cell_mask import RunningCellDecoderMask
from .score_mask import ScoreMaskGenerator
from .tube_mask import TubeMaskGenerator

__all__ = [
    'AsymmetricTubeMaskGenerator', 'BaseMaskGenerator', 'RandomMaskGenerator',
    'RunningCellDecoderMask', 'TubeMaskGenerator', 'MotionGuidedMaskGenerator',
    'MotionVectorDecode', 'FaskingScores', 'FrameMaskGenerator',
    'LoadScoreMap', 'ScoreMaskGenerator', 'LoadIMUWindow'
]
from .spectrogram_mask import BaseSpectrogramMaskGenerator  # noqa: E402
from .spectrogram_random_mask import (  # noqa: E402
    SpectrogramRandomMaskGenerator)
from .spectrogram_structured_mask import (  # noqa: E402
    SpectrogramStructuredMaskGenerator)

__all__ += [
    'BaseSpectrogramMaskGenerator', 'SpectrogramRandomMaskGenerator',
    'SpectrogramStructuredMaskGenerator'
]
__all__ += ['AudioFbank', 'LoadAudioWindow']
from .imu_mask import IMURandomMaskGenerator  # noqa: E402

__all__ += ['IMURandomMaskGenerator']
from .sample_window_frames import SampleWindowFrames  # noqa: E402

__all__ += ['SampleWindowFrames']
from .load_temporal_features import LoadTemporalFeatures  # noqa: E402
from .pack_temporal_inputs import PackTemporalInputs  # noqa: E402
from .random_feature_truncation import RandomFeatureTruncation  # noqa: E402
from .resize_temporal_features import ResizeTemporalFeatures  # noqa: E402

__all__ += ['LoadTemporalFeatures', 'PackTemporalInputs',
            'RandomFeatureTruncation', 'ResizeTemporalFeatures']
from .per_view_transforms import PerViewTransforms  # noqa: E402
from .sample_view_pair import SampleViewPair  # noqa: E402

__all__ += ['PerViewTransforms', 'SampleViewPair']
