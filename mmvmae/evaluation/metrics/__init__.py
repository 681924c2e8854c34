"""mmvmae.evaluation.metrics."""
from .frame_segmentation_metric import FrameSegmentationMetric  # noqa: E402
from .tad_map_metric import TADmAPMetric  # noqa: E402

__all__ = ['FrameSegmentationMetric', 'TADmAPMetric']
