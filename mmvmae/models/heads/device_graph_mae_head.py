"""Masked node-feature autoencoder over a sample's IMU devices."""
from typing import Optional

import torch
from mmengine.model import BaseModule
from torch import nn

from mmvmae.registry import MODELS
from ..encoders.device_graph_encoder import (DeviceGraphEncoder,
                                             random_node_mask)


@MODELS.register_module()
class DeviceGraphMAEHead(BaseModule):
    """GraphMAE over the device graph (EVI-MAE's graph branch).

    Per sample, ``floor(mask_ratio * present devices)`` present nodes are
    drawn at random (``torch`` RNG) and replaced by a learned mask
    embedding; a GIN encoder (``DeviceGraphEncoder``) encodes the graph, a
    bias-free linear layer maps it to the decoder, the masked nodes are
    zeroed again (GraphMAE's re-masking) and a one-layer GIN decoder
    reconstructs the node features. The loss (``SCELoss``: EVI-MAE uses
    ``alpha=1`` and weight 10) is taken on the masked nodes only. Absent
    devices are never masked, send nothing and output zeros; a sample with
    fewer than ``1 / mask_ratio`` present devices has no masked node and no
    loss term (a batch without any gives 0).

    Args:
        in_dims (int): Node feature width (the IMU encoder's).
        hidden_dims (int): GIN width. Defaults to 512.
        num_layers (int): Encoder GIN layers. Defaults to 2.
        dropout (float): Dropout before each GIN layer. Defaults to 0.2.
        norm (str): ``'bn'``, ``'ln'`` or ``'none'``. Defaults to ``'bn'``.
        act (str): ``'prelu'``, ``'relu'`` or ``'gelu'``. Defaults to
            ``'prelu'``.
        mask_ratio (float): Fraction of present nodes masked, in (0, 1].
            Defaults to 0.5.
        detach_target (bool): Stop gradients through the target node
            features. EVI-MAE does not (its targets are the IMU encoder's
            features, trained by this loss too). Defaults to False.
        loss (dict): Loss config. Defaults to ``SCELoss`` with ``alpha=1``
            and ``loss_weight=10``.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 in_dims: int,
                 hidden_dims: int = 512,
                 num_layers: int = 2,
                 dropout: float = 0.2,
                 norm: str = 'bn',
                 act: str = 'prelu',
                 mask_ratio: float = 0.5,
                 detach_target: bool = False,
                 loss: dict = dict(type='SCELoss', alpha=1.,
                                   loss_weight=10.),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0 < mask_ratio <= 1:
            raise ValueError(f'mask_ratio must be in (0, 1], got '
                             f'{mask_ratio}')
        self.in_dims = in_dims
        self.mask_ratio = mask_ratio
        self.detach_target = detach_target
        self.encoder = DeviceGraphEncoder(
            in_dims, hidden_dims, num_layers=num_layers, dropout=dropout,
            norm=norm, act=act)
        self.encoder_to_decoder = nn.Linear(
            hidden_dims, hidden_dims, bias=False)
        self.decoder = DeviceGraphEncoder(
            hidden_dims, hidden_dims, out_dims=in_dims, num_layers=1,
            dropout=dropout, norm=norm, act=act, last_norm_act=False,
            mask_token=False)
        self.loss_module = MODELS.build(loss)

    def forward(self, nodes: torch.Tensor,
                presence: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Graph feature (B, hidden_dims): the encoder's output on the
        unmasked graph, mean-pooled over the present devices."""
        return self.encoder.pool(self.encoder(nodes, presence), presence)

    def loss(self, nodes: torch.Tensor,
             presence: torch.Tensor) -> torch.Tensor:
        """Reconstruction loss of randomly masked nodes.

        Args:
            nodes (Tensor): (B, D, in_dims) node features, e.g.
                ``IMUEncoder.device_features``.
            presence (Tensor): (B, D) bool, False for absent devices.
        """
        if nodes.dim() != 3 or nodes.shape[-1] != self.in_dims:
            raise ValueError(f'expected node features (B, devices, '
                             f'{self.in_dims}), got {tuple(nodes.shape)}')
        node_mask = random_node_mask(presence, self.mask_ratio)
        hidden = self.encoder(nodes, presence, node_mask)
        recon = self.decoder(
            self.encoder_to_decoder(hidden), presence, node_mask)
        target = nodes.detach() if self.detach_target else nodes
        return self.loss_module(recon, target, node_mask)
