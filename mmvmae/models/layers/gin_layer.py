"""Graph Isomorphism Network layer on dense (batched, small) graphs."""
import torch
from torch import nn

NORMS = ('bn', 'ln', 'none')
ACTIVATIONS = {'prelu': nn.PReLU, 'relu': nn.ReLU, 'gelu': nn.GELU}


class NodeBatchNorm(nn.BatchNorm1d):
    """BatchNorm over every node of every graph in the batch."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalize nodes (B, V, C) with statistics over B * V nodes."""
        return super().forward(x.flatten(0, 1)).reshape(x.shape)


def node_norm(kind: str, dims: int) -> nn.Module:
    """``'bn'`` (over all nodes), ``'ln'`` (per node) or ``'none'``."""
    if kind not in NORMS:
        raise ValueError(f'norm must be one of {NORMS}, got {kind!r}')
    if kind == 'bn':
        return NodeBatchNorm(dims)
    return nn.LayerNorm(dims) if kind == 'ln' else nn.Identity()


def activation(kind: str) -> nn.Module:
    """An activation module by name (``prelu``, ``relu``, ``gelu``)."""
    if kind not in ACTIVATIONS:
        raise ValueError(f'act must be one of {tuple(ACTIVATIONS)}, '
                         f'got {kind!r}')
    return ACTIVATIONS[kind]()


class GINLayer(nn.Module):
    """``h_v' = f(MLP((1 + eps) h_v + sum_u A[v, u] h_u))``.

    The graph is a dense (B, V, V) weight matrix ``A`` (``A[v, u]`` is the
    weight of the edge u -> v; sum aggregation as in GIN / DGL's
    ``GINConv``). The MLP is ``Linear -> norm -> act -> Linear``; ``f`` is
    ``norm -> act`` when ``apply_norm_act`` (GraphMAE's hidden and encoding
    layers) and the identity otherwise (its decoding layer).

    Args:
        in_dims (int): Input node width.
        out_dims (int): Output node width.
        hidden_dims (int, optional): MLP hidden width. Defaults to
            ``out_dims``.
        norm (str): ``'bn'``, ``'ln'`` or ``'none'``. Defaults to ``'bn'``.
        act (str): ``'prelu'``, ``'relu'`` or ``'gelu'``. Defaults to
            ``'prelu'``.
        eps (float): Initial self-weight offset. Defaults to 0.
        learn_eps (bool): Learn ``eps``. Defaults to False.
        apply_norm_act (bool): Norm and activation after the MLP.
            Defaults to True.
    """

    def __init__(self,
                 in_dims: int,
                 out_dims: int,
                 hidden_dims: int = None,
                 norm: str = 'bn',
                 act: str = 'prelu',
                 eps: float = 0.,
                 learn_eps: bool = False,
                 apply_norm_act: bool = True) -> None:
        super().__init__()
        hidden_dims = hidden_dims or out_dims
        eps = torch.tensor([float(eps)])
        if learn_eps:
            self.eps = nn.Parameter(eps)
        else:
            self.register_buffer('eps', eps)
        self.mlp = nn.Sequential(
            nn.Linear(in_dims, hidden_dims), node_norm(norm, hidden_dims),
            activation(act), nn.Linear(hidden_dims, out_dims))
        self.post = nn.Sequential(
            node_norm(norm, out_dims),
            activation(act)) if apply_norm_act else nn.Identity()

    def forward(self, h: torch.Tensor,
                adjacency: torch.Tensor) -> torch.Tensor:
        """Nodes (B, V, C_in) and edge weights (B or 1, V, V) ->
        (B, V, C_out)."""
        aggregated = (1 + self.eps) * h + adjacency.to(h.dtype) @ h
        return self.post(self.mlp(aggregated))
