"""mmvmae.evaluation.functional: metric computations on plain arrays."""
from .interpolated_ap import interpolated_average_precision
from .tad_annotations import load_class_names, load_tad_annotations
from .tad_average_precision import (check_tiou_thresholds,
                                    tad_average_precision,
                                    tad_mean_average_precision)
from .tad_instances import flatten_instances
from .tad_recall import tad_topkx_recall

__all__ = [
    'interpolated_average_precision', 'load_class_names',
    'load_tad_annotations', 'check_tiou_thresholds', 'tad_average_precision',
    'tad_mean_average_precision', 'flatten_instances', 'tad_topkx_recall'
]
