"""mmvmae.apis: library entry points behind the command line tools."""
from .feature_extraction import (POOLINGS, ExtractionSummary,
                                 FeatureExtractor, extract_videos)
from .feature_index import FORMAT, INDEX_FILE, FeatureIndex
from .sliding_windows import TAILS, SlidingWindows
from .video_feature_encoder import (LoadedVideoEncoder, VideoFeatureEncoder,
                                    build_video_feature_encoder)
from .video_sources import VideoSource, collect_videos
from .window_reader import (RESIZE_MODES, BadVideoError, WindowReader,
                            spatial_transform)

__all__ = [
    'BadVideoError', 'ExtractionSummary', 'FORMAT', 'FeatureExtractor',
    'FeatureIndex', 'INDEX_FILE', 'LoadedVideoEncoder', 'POOLINGS',
    'RESIZE_MODES', 'SlidingWindows', 'TAILS', 'VideoFeatureEncoder',
    'VideoSource', 'WindowReader', 'build_video_feature_encoder',
    'collect_videos', 'extract_videos', 'spatial_transform'
]
