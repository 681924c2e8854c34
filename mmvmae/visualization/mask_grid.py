"""Render masks of several strategies on one clip as an image grid."""
from typing import Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw

GAP = 2  # white pixels between tiles and between rows
LABEL_HEIGHT = 14  # white strip above each row with its label
MASKED_GREY = 128  # masked tokens are washed towards this grey


def token_to_pixels(visible: np.ndarray, clip_shape: Tuple[int, int, int]
                    ) -> np.ndarray:
    """Per-pixel (T, H, W) map of a per-token (T', H', W') map."""
    t, h, w = clip_shape
    tt, hh, ww = visible.shape
    if t % tt or h % hh or w % ww:
        raise ValueError(f'token grid {visible.shape} does not divide the '
                         f'clip {clip_shape}')
    return visible.repeat(t // tt, 0).repeat(h // hh, 1).repeat(w // ww, 2)


def mask_grid(clip: np.ndarray,
              rows: Sequence[Tuple[str, np.ndarray]],
              dim: float = 0.25) -> np.ndarray:
    """One row per strategy, one column per frame.

    Visible tokens show the frame; masked tokens are dimmed towards grey
    (``dim`` of the pixel kept). Each row has its label above it.

    Args:
        clip (np.ndarray): uint8 frames (T, H, W, 3).
        rows (Sequence[tuple]): ``(label, visible)`` pairs, ``visible`` a
            bool token map (T', H', W').
        dim (float): Share of a masked pixel kept. Defaults to 0.25.

    Returns:
        np.ndarray: uint8 RGB image of height
        ``len(rows) * (LABEL_HEIGHT + H) + (len(rows) - 1) * GAP`` and width
        ``T * W + (T - 1) * GAP``.
    """
    t, h, w, _ = clip.shape
    width = t * w + (t - 1) * GAP
    height = len(rows) * (LABEL_HEIGHT + h) + (len(rows) - 1) * GAP
    canvas = Image.new('RGB', (width, height), 'white')
    draw = ImageDraw.Draw(canvas)
    frames = clip.astype(np.float32)
    washed = dim * frames + (1 - dim) * MASKED_GREY
    for index, (label, visible) in enumerate(rows):
        top = index * (LABEL_HEIGHT + h + GAP)
        draw.text((2, top + 1), label, fill='black')
        shown = token_to_pixels(visible.astype(bool), (t, h, w))[..., None]
        tiles = np.where(shown, frames, washed).round().astype(np.uint8)
        for frame in range(t):
            canvas.paste(Image.fromarray(tiles[frame]),
                         (frame * (w + GAP), top + LABEL_HEIGHT))
    return np.asarray(canvas)
