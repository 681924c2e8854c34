"""mmvmae.structures: helpers for temporal segments and feature grids."""
from .segment_ops import (check_segments, segment_iou,  # noqa: F401
                          segment_iou_one_to_many)
