"""Fixed 2-D sin-cos position table (MAE, Audio-MAE, CAV-MAE)."""
from typing import Tuple

import torch


def sincos_1d(positions: torch.Tensor, dims: int) -> torch.Tensor:
    """``[sin(p * w_i), cos(p * w_i)]`` (concatenated) with
    ``w_i = 10000 ** (-i / (dims / 2))``, for positions (N,) -> (N, dims).
    """
    omega = torch.arange(dims // 2, dtype=torch.float64) / (dims / 2)
    angle = positions.double()[:, None] / torch.pow(10000., omega)[None]
    return torch.cat([torch.sin(angle), torch.cos(angle)], dim=1)


def sincos_table_2d(grid: Tuple[int, int], dims: int) -> torch.Tensor:
    """Table (1, R * C, dims) for a row-major grid of ``R x C`` tokens.

    The first half of the channels encodes the column (the fast axis of
    the flattened order), the second half the row, each as
    :func:`sincos_1d` -- the layout of MAE's ``get_2d_sincos_pos_embed``,
    which Audio-MAE (grid (T', F')) and CAV-MAE (grid (F', T')) use.

    Raises:
        ValueError: If ``dims`` is not divisible by 4.
    """
    if dims % 4:
        raise ValueError(f'a 2-D sin-cos table needs dims divisible by 4, '
                         f'got {dims}')
    rows, cols = grid
    row = torch.arange(rows).repeat_interleave(cols)
    col = torch.arange(cols).repeat(rows)
    table = torch.cat([sincos_1d(col, dims // 2),
                       sincos_1d(row, dims // 2)], dim=1)
    return table.float()[None]
