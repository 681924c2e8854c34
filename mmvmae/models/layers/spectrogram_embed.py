"""Patch embedding of a spectrogram (fbank) in one of two token orders."""
from typing import Tuple

import torch
from torch import nn

LAYOUTS = ('tf', 'ft')


class SpectrogramPatchEmbed(nn.Module):
    """Embed non-overlapping ``patch x patch`` spectrogram patches (Conv2d).

    The input is an fbank (B, T, F) or (B, 1, T, F): time frames by mel
    bins. ``layout`` fixes the token order:

    - ``'tf'`` (Audio-MAE): time-major, grid (T', F'), token
      ``t * F' + f``.
    - ``'ft'`` (CAV-MAE): the fbank is transposed first, frequency-major,
      grid (F', T'), token ``f * T' + t``.

    Args:
        embed_dims (int): Output width. Defaults to 768.
        patch_size (int): Patch side in frames and bins. Defaults to 16.
        layout (str): ``'tf'`` or ``'ft'``. Defaults to ``'tf'``.
        in_channels (int): Input channels. Defaults to 1.
    """

    def __init__(self,
                 embed_dims: int = 768,
                 patch_size: int = 16,
                 layout: str = 'tf',
                 in_channels: int = 1) -> None:
        super().__init__()
        if layout not in LAYOUTS:
            raise ValueError(f'layout must be one of {LAYOUTS}, got '
                             f'{layout!r}')
        self.patch_size = patch_size
        self.layout = layout
        self.in_channels = in_channels
        self.projection = nn.Conv2d(in_channels, embed_dims, patch_size,
                                    stride=patch_size)

    def token_grid(self, shape: tuple) -> Tuple[int, int]:
        """Token grid of an fbank batch (B, T, F) / (B, 1, T, F):
        (T', F') for ``'tf'``, (F', T') for ``'ft'``.

        Raises:
            ValueError: If the shape has the wrong rank or channels, or
                T / F are not divisible by the patch size.
        """
        if len(shape) == 4 and shape[1] != self.in_channels:
            raise ValueError(f'fbank has {shape[1]} channels, expected '
                             f'{self.in_channels}: {tuple(shape)}')
        if len(shape) not in (3, 4) or (len(shape) == 3
                                        and self.in_channels != 1):
            raise ValueError(f'expected an fbank of shape (B, T, F) or '
                             f'(B, {self.in_channels}, T, F), got '
                             f'{tuple(shape)}')
        t, f = shape[-2:]
        if t % self.patch_size or f % self.patch_size:
            raise ValueError(f'fbank of {t} frames x {f} bins is not '
                             f'divisible by patch_size={self.patch_size}')
        grid = (t // self.patch_size, f // self.patch_size)
        return grid if self.layout == 'tf' else grid[::-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, [1,] T, F) -> tokens (B, N, C) in the layout's order."""
        self.token_grid(x.shape)
        if x.dim() == 3:
            x = x.unsqueeze(1)
        if self.layout == 'ft':
            x = x.transpose(-2, -1)
        return self.projection(x).flatten(2).transpose(1, 2)
