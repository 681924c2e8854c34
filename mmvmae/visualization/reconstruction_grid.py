"""Render clip / mask / reconstruction as one image grid."""
from typing import Dict

import numpy as np
import torch

ROWS = ('clip', 'masked', 'recon')


def reconstruction_grid(outputs: Dict[str, torch.Tensor],
                        sample: int = 0,
                        max_frames: int = 8) -> np.ndarray:
    """Tile one sample's frames: rows input, masked input, reconstruction.

    Args:
        outputs (dict): ``VideoMAE.reconstruct`` outputs, each
            (B, C, T, H, W) in [0, 1].
        sample (int): Which sample of the batch. Defaults to 0.
        max_frames (int): Frames shown, evenly spaced. Defaults to 8.

    Returns:
        np.ndarray: uint8 RGB image (3 * H + 2 gaps, n * W + gaps, 3).
    """
    frames = outputs['clip'].shape[2]
    index = np.linspace(0, frames - 1, min(frames, max_frames)).round()
    rows = []
    for key in ROWS:
        clip = outputs[key][sample].float().clamp(0, 1).cpu()
        tiles = [clip[:, int(i)].permute(1, 2, 0).numpy() for i in index]
        gap = np.ones((tiles[0].shape[0], 2, 3))
        rows.append(np.concatenate(sum(([t, gap] for t in tiles), [])[:-1],
                                   axis=1))
    gap = np.ones((2, rows[0].shape[1], 3))
    grid = np.concatenate([rows[0], gap, rows[1], gap, rows[2]], axis=0)
    return (grid * 255).round().astype(np.uint8)
