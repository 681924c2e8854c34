"""VOC-2011 interpolated average precision (the ActivityNet evaluator's)."""
import numpy as np


def interpolated_average_precision(precision, recall) -> float:
    """Area under the interpolated precision-recall curve.

    ``precision`` and ``recall`` are the values after each prediction, by
    decreasing score. The curve is padded with precision 0 at recall 0 and
    at recall 1, precision is replaced by its maximum at any larger recall,
    and the rectangles under it are summed at every change of recall, as
    ``interpolated_prec_rec`` of the official ActivityNet evaluator does.
    """
    precision = np.concatenate([[0.], np.asarray(precision, np.float64),
                                [0.]])
    recall = np.concatenate([[0.], np.asarray(recall, np.float64), [1.]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.flatnonzero(recall[1:] != recall[:-1]) + 1
    return float(np.sum((recall[steps] - recall[steps - 1]) *
                        precision[steps]))
