"""mmvmae.models.detectors: temporal and spatio-temporal detectors."""
from .soft_nms_1d import batched_soft_nms_1d  # noqa: F401
from .action_former import ActionFormer  # noqa: F401,E402
from .action_roi_head import ActionRoIHead  # noqa: F401,E402
from .max_iou_box_assigner import MaxIoUBoxAssigner  # noqa: F401,E402
from .positive_roi_sampler import PositiveRoISampler  # noqa: F401,E402
from .roi_feature_extractor import RoIFeatureExtractor3D  # noqa: F401,E402
from .spatio_temporal_detector import (  # noqa: F401,E402
    SpatioTemporalDetector)
