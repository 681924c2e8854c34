"""Position embeddings: VideoMAE's 1-D sinusoid and MAE-ST's separable."""
import math
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn


def sinusoid_table(num_tokens: int, dims: int) -> torch.Tensor:
    """VideoMAE's 1-D sinusoid over flattened token positions.

    ``angle[p, j] = p / 10000 ** (2 * (j // 2) / dims)``; even dims take the
    sine and odd dims the cosine (interleaved, not concatenated).

    Returns:
        Tensor: float32 table of shape (1, num_tokens, dims).
    """
    pos = torch.arange(num_tokens, dtype=torch.float64)[:, None]
    j = torch.arange(dims, dtype=torch.float64)
    angle = pos / torch.pow(10000., 2 * torch.div(j, 2, rounding_mode='floor')
                            / dims)
    table = torch.where(j.long() % 2 == 0, torch.sin(angle), torch.cos(angle))
    return table.float()[None]


def interpolate_grid(table: torch.Tensor, src: Tuple[int, int, int],
                     dst: Tuple[int, int, int]) -> torch.Tensor:
    """Resample a (1, T*H*W, C) table laid out on grid ``src`` to ``dst``.

    Space is resampled bicubically (as mmaction2's ViT does) and time
    linearly, one after the other.
    """
    if tuple(src) == tuple(dst):
        return table
    if table.shape[1] != math.prod(src):
        raise ValueError(f'position table has {table.shape[1]} rows, '
                         f'not {math.prod(src)} for grid {tuple(src)}')
    c = table.shape[-1]
    x = table.reshape(src[0], src[1], src[2], c).permute(3, 0, 1, 2)
    if src[1:] != dst[1:]:
        x = F.interpolate(x, size=dst[1:], mode='bicubic',
                          align_corners=False)
    if src[0] != dst[0]:
        x = x.permute(0, 2, 3, 1).reshape(c, -1, src[0])
        x = F.interpolate(x, size=dst[0], mode='linear', align_corners=False)
        x = x.reshape(c, dst[1], dst[2], dst[0]).permute(0, 3, 1, 2)
    return x.permute(1, 2, 3, 0).reshape(1, -1, c)


def infer_grid(num_tokens: int, like: Tuple[int, int, int]) -> tuple:
    """Guess the grid of a saved table from its length and a reference grid.

    A grid with the reference's spatial size (other frame count) is tried
    first, then one with its frame count and a square spatial size.

    Raises:
        ValueError: If neither fits ``num_tokens``.
    """
    t, h, w = like
    if num_tokens % (h * w) == 0:
        return (num_tokens // (h * w), h, w)
    side = math.isqrt(num_tokens // t) if num_tokens % t == 0 else 0
    if side and t * side * side == num_tokens:
        return (t, side, side)
    raise ValueError(f'cannot infer the token grid of a position table with '
                     f'{num_tokens} rows (model grid {tuple(like)})')


class SeparablePosEmbed(nn.Module):
    """MAE-ST's learned position embedding: space (H'W') + time (T').

    Args:
        grid (tuple): Token grid (T', H', W') the tables are learned for.
        dims (int): Width.
    """

    def __init__(self, grid: Tuple[int, int, int], dims: int) -> None:
        super().__init__()
        self.grid = tuple(grid)
        self.pos_embed_spatial = nn.Parameter(
            torch.zeros(1, grid[1] * grid[2], dims))
        self.pos_embed_temporal = nn.Parameter(torch.zeros(1, grid[0], dims))
        nn.init.trunc_normal_(self.pos_embed_spatial, std=.02)
        nn.init.trunc_normal_(self.pos_embed_temporal, std=.02)

    def forward(self, grid: Tuple[int, int, int]) -> torch.Tensor:
        """Table (1, T'H'W', C) for ``grid``, resampled if it differs."""
        t, h, w = grid
        c = self.pos_embed_spatial.shape[-1]
        spatial = self.pos_embed_spatial
        if (h, w) != self.grid[1:]:
            spatial = spatial.reshape(1, *self.grid[1:], c).permute(0, 3, 1, 2)
            spatial = F.interpolate(spatial, size=(h, w), mode='bicubic',
                                    align_corners=False)
            spatial = spatial.permute(0, 2, 3, 1).reshape(1, h * w, c)
        temporal = self.pos_embed_temporal
        if t != self.grid[0]:
            temporal = F.interpolate(temporal.transpose(1, 2), size=t,
                                     mode='linear', align_corners=False)
            temporal = temporal.transpose(1, 2)
        return (spatial[:, None] + temporal[:, :, None]).reshape(1, -1, c)
