"""Temporal annotations of the toy detection data: TAD JSON and tracks."""
import json
from typing import Dict, Sequence

import numpy as np

from data_preparation.toy.toy_det_scene import (ToyScene, frame_actions,
                                                scene_segments)

TAD_VERSION = 'mmvmae-toy-det/1'
SUBSETS = dict(train='training', val='validation')


def tad_entry(scene: ToyScene, split: str, fps: int,
              classes: Sequence[str]) -> dict:
    """The ActivityNet-style database entry of one video.

    A segment of frames ``[start, end)`` becomes ``[start / fps,
    end / fps]`` seconds: frame ``t`` is the instant ``t / fps`` and the
    object moves from the instant ``start / fps`` to ``end / fps``.

    Args:
        scene (ToyScene): The video's scene.
        split (str): 'train' or 'val'.
        fps (int): The frame rate.
        classes (Sequence[str]): The class names, ordered by label.

    Returns:
        dict: ``subset``, ``duration``, ``fps`` and ``annotations``
        (``segment``, ``label``, ``label_id``), sorted by start.
    """
    frames = scene.noise.shape[0]
    return dict(
        subset=SUBSETS[split],
        duration=frames / fps,
        fps=float(fps),
        annotations=[
            dict(
                segment=[start / fps, end / fps],
                label=classes[label],
                label_id=label)
            for start, end, label in scene_segments(scene)
        ])


def write_tad_json(database: Dict[str, dict], path: str) -> None:
    """Write ``{"version", "database"}`` to ``path``."""
    with open(path, 'w') as f:
        json.dump(dict(version=TAD_VERSION, database=database), f, indent=1)


def track_arrays(scene: ToyScene, boxes: np.ndarray, fps: int,
                 num_classes: int) -> Dict[str, np.ndarray]:
    """Per-frame ground truth of one video, for ``np.savez``.

    Args:
        scene (ToyScene): The video's scene.
        boxes (np.ndarray): Pixel boxes from ``render_scene``,
            shape (objects, frames, 4).
        fps (int): The frame rate.
        num_classes (int): The number of classes.

    Returns:
        dict[str, np.ndarray]: ``boxes`` (objects, frames, 4) float32
        ``(x1, y1, x2, y2)`` in [0, 1]; ``centres`` (objects, frames, 2)
        float32 pixels; ``actions`` (objects, frames) int64, the label or
        -1 when still; ``segments`` (segments, 4) int64 ``(object, start,
        end, label)`` in frames, ``end`` excluded; ``labels`` (frames,
        num_classes) uint8, 1 where some object does that class;
        ``fps`` and ``size``.
    """
    frames, size = scene.noise.shape[:2]
    actions = np.stack([frame_actions(obj, frames) for obj in scene.objects])
    labels = np.zeros((frames, num_classes), dtype=np.uint8)
    for obj_actions in actions:
        moving = obj_actions >= 0
        labels[np.flatnonzero(moving), obj_actions[moving]] = 1
    segments = np.array([(k, seg.start, seg.end, seg.label)
                         for k, obj in enumerate(scene.objects)
                         for seg in obj.segments], dtype=np.int64)
    return dict(
        boxes=(boxes / size).astype(np.float32),
        centres=np.stack([obj.centres for obj in scene.objects
                          ]).astype(np.float32),
        actions=actions,
        segments=segments,
        labels=labels,
        fps=np.array(fps),
        size=np.array(size))
