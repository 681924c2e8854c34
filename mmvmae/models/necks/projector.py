"""Projection of pooled features into a contrastive embedding space."""
from itertools import pairwise
from typing import Optional, Sequence, Union

import torch
from mmengine.model import BaseModule
from torch import nn

from mmvmae.registry import MODELS

NORMS = {'none': None, 'bn': nn.BatchNorm1d, 'ln': nn.LayerNorm}
ACTIVATIONS = {'relu': nn.ReLU, 'gelu': nn.GELU}


@MODELS.register_module()
class Projector(BaseModule):
    """Linear layer or MLP from encoder features to embeddings.

    Without hidden layers it is one ``Linear`` (``norm='ln'`` puts a
    LayerNorm before it: UMT / InternVideo's LN + Linear). With hidden
    layers each is ``Linear -> norm -> activation``, then a last
    ``Linear``: ``hidden_dims=(4096, 4096), norm='bn'`` with ``out_dims=128``
    is ViC-MAE's BN-MLP (SimCLR style).

    Inputs may have any leading dimensions, ``(..., in_dims)``; BatchNorm
    normalizes over all of them.

    Args:
        in_dims (int): Input width.
        out_dims (int): Output width.
        hidden_dims (int | Sequence[int], optional): Hidden widths; None
            for a linear projection. Defaults to None.
        norm (str): ``'none'``, ``'bn'`` (BatchNorm1d) or ``'ln'``
            (LayerNorm). Defaults to ``'none'``.
        act (str): ``'relu'`` or ``'gelu'`` after each hidden layer.
            Defaults to ``'relu'``.
        init_cfg (dict | list, optional): mmengine init config.
    """

    def __init__(self,
                 in_dims: int,
                 out_dims: int,
                 hidden_dims: Optional[Union[int, Sequence[int]]] = None,
                 norm: str = 'none',
                 act: str = 'relu',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if norm not in NORMS:
            raise ValueError(f'norm must be one of {sorted(NORMS)}, got '
                             f'{norm!r}')
        if act not in ACTIVATIONS:
            raise ValueError(f'act must be one of {sorted(ACTIVATIONS)}, '
                             f'got {act!r}')
        if hidden_dims is None:
            hidden_dims = ()
        elif isinstance(hidden_dims, int):
            hidden_dims = (hidden_dims, )
        widths = [in_dims, *hidden_dims, out_dims]
        if any(not isinstance(w, int) or w < 1 for w in widths):
            raise ValueError(f'widths must be positive integers, got '
                             f'in_dims={in_dims}, hidden_dims={hidden_dims}, '
                             f'out_dims={out_dims}')
        self.in_dims = in_dims
        self.out_dims = out_dims
        layers = []
        if not hidden_dims and NORMS[norm] is not None:
            layers.append(NORMS[norm](in_dims))
        for width_in, width in pairwise(widths[:-1]):
            layers.append(nn.Linear(width_in, width))
            if NORMS[norm] is not None:
                layers.append(NORMS[norm](width))
            layers.append(ACTIVATIONS[act]())
        layers.append(nn.Linear(widths[-2], out_dims))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Embeddings (..., out_dims) of features (..., in_dims)."""
        if x.shape[-1] != self.in_dims:
            raise ValueError(f'Projector expects {self.in_dims} input '
                             f'channels, got shape {tuple(x.shape)}')
        lead = x.shape[:-1]
        return self.layers(x.reshape(-1, self.in_dims)).reshape(
            *lead, self.out_dims)
