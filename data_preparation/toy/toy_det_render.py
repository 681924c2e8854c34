"""Render a long toy detection video and the boxes of its objects."""
from typing import Tuple

import numpy as np

from data_preparation.toy.generate_toy_dataset import shape_coverage
from data_preparation.toy.toy_det_scene import ToyScene


def render_scene(scene: ToyScene) -> Tuple[np.ndarray, np.ndarray]:
    """Render the frames of a scene and box every object on every frame.

    Objects are composited in order over the background, then the frame's
    noise is added, as the classification toy does with its one shape.
    A box is the tight box of the pixels an object covers at all
    (coverage > 0), in pixel-edge coordinates: ``x1`` is the first covered
    column and ``x2`` one past the last, so ``x2 - x1`` is the width.

    Args:
        scene (ToyScene): The scene from ``toy_det_scene.draw_scene``.

    Returns:
        tuple[np.ndarray, np.ndarray]: RGB frames, uint8, shape
        (frames, size, size, 3), and boxes ``(x1, y1, x2, y2)`` in pixels,
        float32, shape (objects, frames, 4).
    """
    frames, size = scene.noise.shape[:2]
    video = np.empty((frames, size, size, 3), dtype=np.uint8)
    boxes = np.zeros((len(scene.objects), frames, 4), dtype=np.float32)
    for t in range(frames):
        frame = scene.background
        for k, obj in enumerate(scene.objects):
            alpha = shape_coverage(obj.look, obj.centres[t], size)
            boxes[k, t] = _tight_box(alpha > 0)
            alpha = alpha[..., None]
            frame = frame * (1 - alpha) + obj.look.colour * alpha
        video[t] = np.clip(np.rint(frame + scene.noise[t]), 0, 255)
    return video, boxes


def _tight_box(mask: np.ndarray) -> np.ndarray:
    """``(x1, y1, x2, y2)`` of the True pixels, edges in pixels."""
    cols = np.flatnonzero(mask.any(axis=0))
    rows = np.flatnonzero(mask.any(axis=1))
    return np.array([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1])
