"""Draw the content of a long toy detection video: objects and segments.

An object is one shape of the classification toy (``draw_look``). It stays
still except during its action segments; during a segment of class ``c``
it moves at a constant speed in the direction ``direction(c)``. Positions
are sampled at the frame instants: with a segment ``[start, end)`` (frames)
the object is at ``p`` on frames ``<= start``, at ``p + v * (t - start)``
on frame ``t`` inside it and at ``p + v * (end - start)`` from frame
``end`` on. The frame pairs ``(t, t + 1)`` that differ are exactly those
with ``start <= t < end``, and frame ``t`` gets the segment's action.

Every trajectory stays inside the frame, never touching an edge, so the
shape never wraps; two objects of a video never come closer than
:data:`OBJECT_GAP` pixels.
"""
from typing import List, NamedTuple, Tuple

import numpy as np

from data_preparation.toy.generate_toy_dataset import (NOISE_STD, ShapeLook,
                                                       direction, draw_look,
                                                       render_background)

# Shape radius in frame widths, smaller than the classification toy's
# (0.12-0.2) so that long motions fit inside the frame.
RADIUS_RANGE = (0.1, 0.15)
# Speeds in pixels per frame: drawn in SPEED_RANGE, then scaled down
# (never below MIN_SPEED) when the object's path would leave the frame.
SPEED_RANGE = (0.75, 1.5)
MIN_SPEED = 0.5
# Pixels between the frame edge (or another object) and an object's extent.
EDGE_MARGIN = 1.0
OBJECT_GAP = 2.0
# Draws of segments, or of a second object's position, before giving up.
MAX_TRIES = 100
# Draws of an object's segments, each with MAX_TRIES positions, before the
# object is left out.
PLACE_TRIES = 10


class Segment(NamedTuple):
    """One action: frames ``[start, end)`` of class ``label``."""
    start: int
    end: int
    label: int
    speed: float  # pixels per frame


class ToyObject(NamedTuple):
    """One object of a long video and where it is on every frame."""
    look: ShapeLook
    segments: List[Segment]
    centres: np.ndarray  # (frames, 2) pixels, (x, y)


class ToyScene(NamedTuple):
    """Everything drawn for one long video, before rendering it."""
    background: np.ndarray
    objects: List[ToyObject]
    noise: np.ndarray  # (frames, size, size, 1)


class SceneSpec(NamedTuple):
    """The arguments that shape every scene of a dataset."""
    size: int
    num_classes: int
    min_frames: int
    max_frames: int
    min_segment: int
    max_segment: int
    max_segments: int
    min_gap: int
    max_objects: int


def extent_radius(look: ShapeLook) -> float:
    """Radius of a circle around the centre that holds all the coverage.

    The disc covers up to ``radius + 0.5``, the square up to
    ``(0.8 radius + 0.5) * sqrt(2)`` and the triangle up to twice its
    covered inradius, ``2 * (0.6 radius + 0.5)``; ``1.2 radius + 1`` bounds
    them all.
    """
    return 1.2 * look.radius + 1.0


def draw_segments(frames: int, spec: SceneSpec, room: float,
                  rng: np.random.Generator) -> List[Segment]:
    """Draw 1 to ``max_segments`` segments whose path fits in ``room``.

    Lengths are uniform in ``[min_segment, max_segment]``, labels uniform,
    and at least ``min_gap`` still frames separate the segments from each
    other and from both ends of the video. Draws whose segments do not
    fit in the frames, or whose motion would need speeds below
    :data:`MIN_SPEED` to stay within ``room`` pixels along x and y, are
    redrawn.

    Args:
        frames (int): The number of frames of the video.
        spec (SceneSpec): The dataset's arguments.
        room (float): How far the centre may travel along each axis.
        rng (np.random.Generator): The random generator.

    Returns:
        list[Segment]: The segments, in time order.
    """
    for _ in range(MAX_TRIES):
        num = rng.integers(1, spec.max_segments + 1)
        lengths = rng.integers(spec.min_segment, spec.max_segment + 1, num)
        labels = rng.integers(spec.num_classes, size=num)
        speeds = rng.uniform(*SPEED_RANGE, size=num)
        free = frames - lengths.sum() - (num + 1) * spec.min_gap
        if free < 0:
            continue
        cuts = np.sort(rng.integers(0, free + 1, size=num))
        gaps = np.diff(cuts, prepend=0) + spec.min_gap
        steps = np.array([direction(label) for label in labels])
        path = np.cumsum(steps * (speeds * lengths)[:, None], axis=0)
        path = np.concatenate([np.zeros((1, 2)), path])
        span = (path.max(axis=0) - path.min(axis=0)).max()
        if span > room:
            speeds = speeds * room / span
            if speeds.min() < MIN_SPEED:
                continue
        starts = np.cumsum(gaps) + np.cumsum(lengths) - lengths
        return [
            Segment(int(start), int(start + length), int(label), float(v))
            for start, length, label, v in zip(starts, lengths, labels,
                                               speeds)
        ]
    raise RuntimeError(
        f'Could not fit segments of {spec.min_segment}-{spec.max_segment} '
        f'frames with gaps of {spec.min_gap} into {frames} frames at '
        f'speeds >= {MIN_SPEED} px/frame in {room:.1f} px of room after '
        f'{MAX_TRIES} draws; use shorter or fewer segments or more frames')


def trajectory(segments: List[Segment], frames: int) -> np.ndarray:
    """Centre offsets from the first frame's position, (frames, 2)."""
    offsets = np.zeros((frames, 2))
    t = np.arange(frames)
    for seg in segments:
        moved = np.clip(t - seg.start, 0, seg.end - seg.start)
        offsets += (moved * seg.speed)[:, None] * direction(seg.label)
    return offsets


def place(offsets: np.ndarray, radius: float, others: List[tuple],
          size: int, rng: np.random.Generator) -> np.ndarray:
    """Draw a first position keeping the path inside and apart from others.

    Args:
        offsets (np.ndarray): The path, (frames, 2), from :func:`trajectory`.
        radius (float): The object's :func:`extent_radius`.
        others (list[tuple]): ``(centres, radius)`` of the objects already
            placed.
        size (int): The frame height and width.
        rng (np.random.Generator): The random generator.

    Returns:
        np.ndarray: The centres, (frames, 2), or None if every draw of
        :data:`MAX_TRIES` came too close to another object.
    """
    low = radius + EDGE_MARGIN - offsets.min(axis=0)
    # At least low: a path scaled to fit the room exactly may exceed it by
    # a rounding error.
    high = np.maximum(size - radius - EDGE_MARGIN - offsets.max(axis=0), low)
    for _ in range(MAX_TRIES):
        centres = rng.uniform(low, high) + offsets
        if all(
                np.linalg.norm(centres - other, axis=1).min() >
                radius + other_radius + OBJECT_GAP
                for other, other_radius in others):
            return centres
    return None


def draw_scene(spec: SceneSpec, rng: np.random.Generator) -> ToyScene:
    """Draw one long video: length, background, objects and noise.

    The number of objects is uniform in ``[1, max_objects]``; an object
    whose path cannot be placed apart from the others' (:data:`PLACE_TRIES`
    draws of segments, :data:`MAX_TRIES` positions each) is left out.

    Args:
        spec (SceneSpec): The dataset's arguments.
        rng (np.random.Generator): The random generator.

    Returns:
        ToyScene: The scene.
    """
    size = spec.size
    frames = int(rng.integers(spec.min_frames, spec.max_frames + 1))
    background = render_background(size, rng)
    objects, placed = [], []
    for _ in range(rng.integers(1, spec.max_objects + 1)):
        look = draw_look(size, rng, RADIUS_RANGE)
        radius = extent_radius(look)
        for _ in range(PLACE_TRIES):
            segments = draw_segments(frames, spec,
                                     size - 2 * (radius + EDGE_MARGIN), rng)
            centres = place(
                trajectory(segments, frames), radius, placed, size, rng)
            if centres is not None:
                objects.append(ToyObject(look, segments, centres))
                placed.append((centres, radius))
                break
    noise = rng.normal(0, NOISE_STD, size=(frames, size, size, 1))
    return ToyScene(background, objects, noise)


def frame_actions(obj: ToyObject, frames: int) -> np.ndarray:
    """The action of an object on every frame: its label or -1 (still)."""
    actions = np.full(frames, -1, dtype=np.int64)
    for seg in obj.segments:
        actions[seg.start:seg.end] = seg.label
    return actions


def scene_segments(scene: ToyScene) -> List[Tuple[int, int, int]]:
    """``(start, end, label)`` of every object's segments, sorted."""
    return sorted((seg.start, seg.end, seg.label) for obj in scene.objects
                  for seg in obj.segments)
