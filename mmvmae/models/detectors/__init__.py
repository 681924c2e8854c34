"""mmvmae.models.detectors: temporal and spatio-temporal detectors."""
from .soft_nms_1d import batched_soft_nms_1d  # noqa: F401
from .action_former import ActionFormer  # noqa: F401,E402
