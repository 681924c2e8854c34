"""Write the AVA-format copy of the toy detection data.

One keyframe per second, at ``timestamp`` seconds = frame ``timestamp *
fps`` (frames count from 0), for every whole second at least one second
away from both ends of the video, so that clips of up to ``fps`` frames on
either side of a keyframe stay inside the video. Every object ("person")
is annotated at every keyframe with one action: its direction class
(``action_id = label + 1``) while it moves, ``still`` (``num_classes + 1``)
otherwise. See ``data_preparation/toy/README.md`` for the files and the
``AVADataset`` arguments that read them.
"""
import os
import os.path as osp
import pickle
from typing import Dict, List, Sequence

import cv2
import numpy as np

# Keyframes this close (in frames) to a segment's start or end are listed
# as excluded: the action changes within the keyframe's frame pair.
EXCLUDE_MARGIN = 1
# Proposals: every ground-truth box, each coordinate moved by a normal
# jitter of JITTER times the box's width (x) or height (y), scored in
# GT_SCORES; with probability FALSE_POSITIVE_PROB one more box of a random
# size in FALSE_POSITIVE_SIDES (frame widths) at a random place, scored in
# FALSE_POSITIVE_SCORES.
JITTER = 0.04
GT_SCORES = (0.9, 1.0)
FALSE_POSITIVE_PROB = 0.5
FALSE_POSITIVE_SIDES = (0.2, 0.4)
FALSE_POSITIVE_SCORES = (0.5, 1.0)
# Quality 95 without chroma subsampling: the shapes are a few pixels wide.
JPEG_PARAMS = [
    cv2.IMWRITE_JPEG_QUALITY, 95, cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
    cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444
]
FILENAME_TMPL = 'img_{:05}.jpg'


def keyframe_timestamps(frames: int, fps: int) -> List[int]:
    """Whole seconds ``s`` with frames ``s * fps +- fps`` inside the video.

    Args:
        frames (int): The number of frames.
        fps (int): The frame rate.

    Returns:
        list[int]: The timestamps, from 1 on.
    """
    return list(range(1, (frames - 1) // fps))


def action_names(classes: Sequence[str]) -> List[str]:
    """The AVA actions: the direction classes, then ``still``."""
    return list(classes) + ['still']


def write_action_list(classes: Sequence[str], path: str) -> None:
    """Write the action list in the pbtxt format ``read_labelmap`` reads.

    Args:
        classes (Sequence[str]): The direction classes, ordered by label.
        path (str): The ``.pbtxt`` file to write.
    """
    with open(path, 'w') as f:
        for action_id, name in enumerate(action_names(classes), 1):
            f.write(f'item {{\n  name: "{name}"\n  id: {action_id}\n}}\n')


def write_rawframes(folder: str, video: np.ndarray) -> None:
    """Write RGB frames as ``img_00000.jpg``, ``img_00001.jpg``, ...

    Args:
        folder (str): The video's frame folder, created if missing.
        video (np.ndarray): RGB frames, uint8, shape (T, H, W, 3).
    """
    os.makedirs(folder, exist_ok=True)
    for t, frame in enumerate(video):
        path = osp.join(folder, FILENAME_TMPL.format(t))
        if not cv2.imwrite(path, frame[..., ::-1], JPEG_PARAMS):
            raise OSError(f'Could not write frame {t} to {path}')


def keyframe_records(video_id: str, boxes: np.ndarray, actions: np.ndarray,
                     segments: Sequence[tuple], fps: int,
                     num_classes: int) -> tuple:
    """The annotation rows and excluded keyframes of one video.

    Args:
        video_id (str): The video id.
        boxes (np.ndarray): Normalized ``(x1, y1, x2, y2)`` of every
            object, shape (objects, frames, 4).
        actions (np.ndarray): Label of every object and frame, -1 when
            still, shape (objects, frames).
        segments (Sequence[tuple]): ``(start, end, label)`` of every
            segment of every object, frames.
        fps (int): The frame rate.
        num_classes (int): The number of direction classes.

    Returns:
        tuple[list[str], list[str]]: CSV rows ``video_id, timestamp, x1,
        y1, x2, y2, action_id, person_id`` and excluded ``video_id,
        timestamp`` rows.
    """
    rows, excluded = [], []
    bounds = np.array([b for start, end, _ in segments for b in (start, end)])
    for ts in keyframe_timestamps(boxes.shape[1], fps):
        frame = ts * fps
        for person, (box, action) in enumerate(
                zip(boxes[:, frame], actions[:, frame])):
            action_id = action + 1 if action >= 0 else num_classes + 1
            coords = ','.join(f'{c:.6f}' for c in box)
            rows.append(f'{video_id},{ts:04d},{coords},{action_id},{person}')
        if np.abs(bounds - frame).min() <= EXCLUDE_MARGIN:
            excluded.append(f'{video_id},{ts:04d}')
    return rows, excluded


def keyframe_proposals(video_id: str, boxes: np.ndarray, fps: int,
                       rng: np.random.Generator) -> Dict[str, np.ndarray]:
    """Person proposals of every keyframe: jittered truth and false boxes.

    Args:
        video_id (str): The video id.
        boxes (np.ndarray): Normalized boxes, shape (objects, frames, 4).
        fps (int): The frame rate.
        rng (np.random.Generator): The random generator.

    Returns:
        dict[str, np.ndarray]: ``"video_id,timestamp"`` -> float32 rows
        ``(x1, y1, x2, y2, score)``, normalized, sorted by score.
    """
    proposals = {}
    for ts in keyframe_timestamps(boxes.shape[1], fps):
        truth = boxes[:, ts * fps].astype(np.float64)
        sides = np.tile(truth[:, 2:] - truth[:, :2], 2)
        jittered = truth + rng.normal(0, JITTER, truth.shape) * sides
        scores = rng.uniform(*GT_SCORES, len(truth))
        if rng.uniform() < FALSE_POSITIVE_PROB:
            side = rng.uniform(*FALSE_POSITIVE_SIDES, 2)
            corner = rng.uniform(0, 1 - side)
            jittered = np.vstack([jittered, np.r_[corner, corner + side]])
            scores = np.r_[scores, rng.uniform(*FALSE_POSITIVE_SCORES)]
        rows = np.column_stack([np.clip(jittered, 0, 1), scores])
        proposals[f'{video_id},{ts:04d}'] = rows[np.argsort(
            -scores, kind='stable')].astype(np.float32)
    return proposals


def write_split(paths: Dict[str, str], split: str, rows: List[str],
                excluded: List[str], proposals: Dict[str, np.ndarray]) -> None:
    """Write a split's annotation CSV, excluded keyframes and proposals."""
    for key, lines in (('csv', rows), ('excluded', excluded)):
        with open(paths[f'ava_{split}_{key}'], 'w') as f:
            f.writelines(line + '\n' for line in lines)
    with open(paths[f'ava_{split}_proposals'], 'wb') as f:
        pickle.dump(proposals, f)
