"""Seconds <-> feature grid of a sliding-window feature sequence.

Feature ``i`` covers source frames ``[i * stride, i * stride + window)``
and sits at the centre of that window, frame ``i * stride + window / 2``
(the convention of ``tools/misc/extract_features.py`` and of ActionFormer's
FAQ). A sequence cut to start at feature ``start`` shifts the grid by
``start``. Both functions work on floats, numpy arrays and tensors.
"""


def seconds_to_grid(seconds, fps: float, window: float, stride: float,
                    start: float = 0.):
    """Grid position (in features) of a time in seconds."""
    return (seconds * fps - 0.5 * window) / stride - start


def grid_to_seconds(grid, fps: float, window: float, stride: float,
                    start: float = 0.):
    """Time in seconds of a grid position (in features)."""
    return ((grid + start) * stride + 0.5 * window) / fps
