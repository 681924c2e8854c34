"""Captions of the toy clips, from a small template grammar.

A caption names the shape, its colour (the nearest of a few hue names),
sometimes its size, its direction and its speed, e.g. "a red square moves
left quickly" or "a slow orange disc glides diagonally down and left". The
direction phrases use the words of the class name only (``up_left`` -> "up"
and "left"), so the direction can be read back from a caption.
"""
import json
from typing import Dict, List, Sequence, Tuple

import numpy as np

CAPTIONS_PER_CLIP = 3
# Upper hue bounds in degrees, then the name; saturation and value are high.
HUE_NAMES = ((15, 'red'), (45, 'orange'), (70, 'yellow'), (160, 'green'),
             (195, 'cyan'), (255, 'blue'), (290, 'purple'), (335, 'pink'),
             (360, 'red'))
SHAPE_WORDS = dict(square=('square', ), disc=('disc', 'circle'),
                   triangle=('triangle', ))
DIRECTION_PHRASES = dict(
    left=('left', 'to the left', 'leftwards'),
    right=('right', 'to the right', 'rightwards'),
    up=('up', 'upwards'),
    down=('down', 'downwards'),
    up_left=('up and to the left', 'diagonally up and left'),
    up_right=('up and to the right', 'diagonally up and right'),
    down_left=('down and to the left', 'diagonally down and left'),
    down_right=('down and to the right', 'diagonally down and right'))
VERBS = ('moves', 'slides', 'glides', 'drifts', 'travels')
# Per speed band (slow, medium, fast): adverbs, then adjectives.
SPEED_ADVERBS = (('slowly', 'gently'), ('steadily', 'at a steady pace'),
                 ('quickly', 'rapidly'))
SPEED_ADJECTIVES = (('slow', ), ('steady', ), ('fast', 'quick'))
TEMPLATES = (
    'a {size} {colour} {shape} {verb} {direction} {adverb}',
    'a {colour} {shape} {verb} {direction} {adverb}',
    'a {adjective} {colour} {shape} {verb} {direction}',
    'the {colour} {shape} is moving {direction} {adverb}',
    '{adverb}, a {size} {shape} {verb} {direction}',
)


def colour_name(hue: float) -> str:
    """Return the name of a hue in [0, 1) (HSV), e.g. 0.0 -> 'red'."""
    degrees = 360 * hue
    return next(name for bound, name in HUE_NAMES if degrees < bound)


def size_word(radius_fraction: float) -> str:
    """Return 'small', 'mid-sized' or 'large' for a radius / frame size.

    Args:
        radius_fraction (float): The shape's radius over the frame size,
            0.12 to 0.2.
    """
    if radius_fraction < 0.147:
        return 'small'
    return 'mid-sized' if radius_fraction < 0.173 else 'large'


def speed_band(speed: float) -> int:
    """Return 0 (slow), 1 (medium) or 2 (fast) for a speed in [0.5, 1]."""
    return int(speed >= 2 / 3) + int(speed >= 5 / 6)


def make_captions(shape: str, hue: float, radius_fraction: float,
                  direction_name: str, speed: float,
                  rng: np.random.Generator) -> List[str]:
    """Write :data:`CAPTIONS_PER_CLIP` captions of one clip.

    Args:
        shape (str): 'square', 'disc' or 'triangle'.
        hue (float): The shape's hue in [0, 1).
        radius_fraction (float): The shape's radius over the frame size.
        direction_name (str): A key of :data:`DIRECTION_PHRASES`.
        speed (float): The frame widths crossed during the clip, 0.5 to 1.
        rng (np.random.Generator): The random generator.

    Returns:
        list[str]: The captions, from different templates.
    """
    band = speed_band(speed)
    templates = rng.choice(
        len(TEMPLATES), size=CAPTIONS_PER_CLIP, replace=False)
    captions = []
    for index in templates:
        words = dict(
            size=size_word(radius_fraction),
            colour=colour_name(hue),
            shape=_pick(SHAPE_WORDS[shape], rng),
            verb=_pick(VERBS, rng),
            direction=_pick(DIRECTION_PHRASES[direction_name], rng),
            adverb=_pick(SPEED_ADVERBS[band], rng),
            adjective=_pick(SPEED_ADJECTIVES[band], rng))
        captions.append(_with_articles(TEMPLATES[index].format(**words)))
    return captions


def _pick(options: Sequence[str], rng: np.random.Generator) -> str:
    return options[rng.integers(len(options))]


def _with_articles(text: str) -> str:
    """Turn 'a' into 'an' before a vowel."""
    words = text.split(' ')
    for i, word in enumerate(words[:-1]):
        if word == 'a' and words[i + 1][0] in 'aeiou':
            words[i] = 'an'
    return ' '.join(words)


def write_captions(entries: Sequence[Tuple[str, int]],
                   captions: Dict[str, List[str]], json_path: str,
                   jsonl_path: str) -> None:
    """Write the captions of a split in the two annotation formats.

    ``json_path`` is mmaction2's ``VideoTextDataset`` format,
    ``{"train_00000.mp4": ["caption", ...], ...}``; ``jsonl_path`` has one
    line per video, ``{"filename": ..., "text": [...], "label": ...}``.

    Args:
        entries (Sequence[tuple[str, int]]): ``(video name, label)`` pairs,
            in list order.
        captions (dict[str, list[str]]): The captions of each video name.
        json_path (str): The VideoTextDataset JSON to write.
        jsonl_path (str): The JSONL file to write.
    """
    with open(json_path, 'w') as f:
        json.dump({name: captions[name]
                   for name, _ in entries}, f, indent=2)
    with open(jsonl_path, 'w') as f:
        for name, label in entries:
            f.write(
                json.dumps(dict(filename=name, text=captions[name],
                                label=label)) + '\n')
