"""GIN over a complete graph of IMU devices, with node masking."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from mmvmae.registry import MODELS
from ..layers.gin_layer import GINLayer


def complete_adjacency(presence: torch.Tensor) -> torch.Tensor:
    """Edge weights (B, V, V) of a complete graph without self-loops whose
    absent nodes send nothing: ``A[b, v, u] = presence[b, u]`` for u != v.
    """
    num_nodes = presence.shape[1]
    off_diagonal = 1 - torch.eye(num_nodes, device=presence.device)
    return off_diagonal[None] * presence[:, None, :].to(off_diagonal.dtype)


def random_node_mask(presence: torch.Tensor, ratio: float,
                     generator: Optional[torch.Generator] = None
                     ) -> torch.Tensor:
    """Mask ``floor(ratio * present)`` random present nodes per sample.

    Args:
        presence (Tensor): (B, V) bool, True where the device is present.
        ratio (float): Fraction of present nodes to mask, in [0, 1].
        generator (torch.Generator, optional): Random source.

    Returns:
        Tensor: (B, V) bool, True for masked nodes (never an absent one).
    """
    if not 0 <= ratio <= 1:
        raise ValueError(f'node mask ratio must be in [0, 1], got {ratio}')
    present = presence.bool()
    scores = torch.rand(present.shape, generator=generator,
                        device=present.device)
    scores = scores.masked_fill(~present, 2.)
    ranks = scores.argsort(1).argsort(1)
    count = torch.floor(present.sum(1) * ratio)
    return ranks < count[:, None]


@MODELS.register_module()
class DeviceGraphEncoder(BaseModule):
    """Stack of GIN layers over the devices of a sample (pure torch).

    Nodes are devices, with one feature vector each (EVI-MAE: a device's
    mean-pooled IMU-encoder tokens); edges join every pair of devices
    (EVI-MAE's 12 directed edges for 4 devices). Masked nodes
    (``node_mask``) enter as a learned mask embedding (GraphMAE's encoder)
    or as zeros (``mask_token=False``: GraphMAE's re-masking before its
    decoder). Absent devices (``presence`` False) are zeroed, send nothing
    to their neighbours, are left out of :meth:`pool` and output zeros, so
    their data never reaches an output. With ``norm='bn'`` their (zero)
    rows still count in the batch statistics.

    GraphMAE / EVI-MAE settings: encoder ``num_layers=2``,
    ``hidden_dims=512``, PReLU, batch norm, dropout 0.2; decoder
    ``num_layers=1``, ``last_norm_act=False``, ``mask_token=False``.

    Args:
        in_dims (int): Node feature width.
        hidden_dims (int): Hidden width. Defaults to 512.
        out_dims (int, optional): Output width. Defaults to
            ``hidden_dims``.
        num_layers (int): GIN layers. Defaults to 2.
        dropout (float): Dropout on each layer's input. Defaults to 0.2.
        norm (str): ``'bn'``, ``'ln'`` or ``'none'``. Defaults to ``'bn'``.
        act (str): ``'prelu'``, ``'relu'`` or ``'gelu'``. Defaults to
            ``'prelu'``.
        learn_eps (bool): Learn GIN's self-weight offset. Defaults to False.
        last_norm_act (bool): Norm + activation after the last layer
            (encoder) or not (decoder). Defaults to True.
        mask_token (bool): Learn a mask node embedding; False replaces
            masked nodes by zeros. Defaults to True.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 in_dims: int,
                 hidden_dims: int = 512,
                 out_dims: Optional[int] = None,
                 num_layers: int = 2,
                 dropout: float = 0.2,
                 norm: str = 'bn',
                 act: str = 'prelu',
                 learn_eps: bool = False,
                 last_norm_act: bool = True,
                 mask_token: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}')
        out_dims = out_dims or hidden_dims
        widths = [in_dims] + [hidden_dims] * (num_layers - 1) + [out_dims]
        self.layers = nn.ModuleList([
            GINLayer(widths[i], widths[i + 1], hidden_dims, norm, act,
                     learn_eps=learn_eps,
                     apply_norm_act=i < num_layers - 1 or last_norm_act)
            for i in range(num_layers)
        ])
        self.dropout = dropout
        self.mask_token = nn.Parameter(torch.zeros(
            1, 1, in_dims)) if mask_token else None

    def forward(self,
                x: torch.Tensor,
                presence: Optional[torch.Tensor] = None,
                node_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Encode node features.

        Args:
            x (Tensor): Node features (B, V, C).
            presence (Tensor, optional): (B, V) bool; None means all
                present.
            node_mask (Tensor, optional): (B, V) bool, True for nodes whose
                features are hidden.

        Returns:
            Tensor: Node features (B, V, out_dims), zero for absent nodes.
        """
        if x.dim() != 3:
            raise ValueError('expected node features (B, devices, C), got '
                             f'{tuple(x.shape)}')
        present = self._presence(x, presence)
        if node_mask is not None:
            hidden = (self.mask_token.to(x.dtype) if self.mask_token
                      is not None else torch.zeros_like(x))
            x = torch.where(node_mask.bool()[..., None], hidden, x)
        h = x * present[..., None].to(x.dtype)
        adjacency = complete_adjacency(present)
        for layer in self.layers:
            h = layer(F.dropout(h, self.dropout, self.training), adjacency)
        return h * present[..., None].to(h.dtype)

    def pool(self, h: torch.Tensor,
             presence: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Mean over present nodes (B, C); zeros where none is present."""
        weight = self._presence(h, presence)[..., None].to(h.dtype)
        return (h * weight).sum(1) / weight.sum(1).clamp(min=1)

    @staticmethod
    def _presence(x: torch.Tensor,
                  presence: Optional[torch.Tensor]) -> torch.Tensor:
        if presence is None:
            return torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
        if presence.shape != x.shape[:2]:
            raise ValueError(f'presence of shape {tuple(presence.shape)} does '
                             f'not match nodes {tuple(x.shape[:2])}')
        return presence.bool()
