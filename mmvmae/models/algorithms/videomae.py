"""VideoMAE: V1 (tube masking), V2 (dual masking) and MAE-ST."""
import math
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel

from mmvmae.registry import MODELS
from .token_masks import TokenMasks


@MODELS.register_module()
class VideoMAE(BaseModel):
    """Masked video autoencoder.

    The encoder sees the visible tokens of the data pipeline's mask, the
    decoder predicts the query tokens (encoder-masked ones for V1 / MAE-ST,
    decoder-kept ones for V2) and the head scores them against the pixel
    target, counting only encoder-masked queries.

    Args:
        backbone (dict): Encoder, e.g. ``VideoViT``.
        neck (dict): Decoder, e.g. ``MAEDecoder``.
        head (dict): Target and loss, e.g. ``PixelReconstructionHead``.
        masker (dict, optional): Model-side masker (a ``BaseTokenMasker``,
            e.g. ``FlowGuidedMasker``) used instead of the pipeline's
            masks. Defaults to None (masks come with the data samples).
        data_preprocessor (dict, optional): Defaults to mmaction2's
            ``ActionDataPreprocessor`` with ImageNet mean / std, NCTHW.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 masker: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(
                type='ActionDataPreprocessor',
                mean=[123.675, 116.28, 103.53],
                std=[58.395, 57.12, 57.375],
                format_shape='NCTHW')
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.head = MODELS.build(head)
        self.masker = MODELS.build(masker) if masker is not None else None

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List] = None,
                mode: str = 'tensor'):
        """``'loss'``: dict of losses; ``'tensor'``: encoder features of the
        whole clip; ``'predict'``: reconstructions for visualization."""
        inputs = self.single_view(inputs)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'tensor':
            return self.backbone(inputs)
        if mode == 'predict':
            return self.reconstruct(inputs, data_samples)
        raise ValueError(f"mode must be 'loss', 'tensor' or 'predict', got "
                         f'{mode!r}')

    @staticmethod
    def single_view(inputs: torch.Tensor) -> torch.Tensor:
        """(B, 1, C, T, H, W) from ``FormatShape`` -> (B, C, T, H, W)."""
        if inputs.dim() == 6:
            if inputs.shape[1] != 1:
                raise ValueError(
                    f'pretraining takes one view per sample, got inputs of '
                    f'shape {tuple(inputs.shape)}')
            inputs = inputs[:, 0]
        return inputs

    def token_masks(self, inputs: torch.Tensor, grid: tuple,
                    data_samples: Optional[List]) -> TokenMasks:
        """Masks from the model-side masker, else from the data samples."""
        if self.masker is not None:
            with torch.no_grad():
                return self.masker(inputs, grid, data_samples)
        return TokenMasks.from_data_samples(data_samples, inputs.device)

    def loss(self, inputs: torch.Tensor,
             data_samples: List) -> Dict[str, torch.Tensor]:
        """Reconstruction loss of a batch."""
        grid = self.backbone.patch_embed.token_grid(inputs.shape)
        masks = self.token_masks(inputs, grid, data_samples)
        latent = self.backbone(inputs, masks.visible_ids)
        pred = self.neck(latent, masks.visible_ids, masks.query_ids, grid)
        loss = self.head.loss(pred, inputs, masks.query_ids,
                              masks.query_weight)
        return dict(loss_pix=loss)

    @torch.no_grad()
    def reconstruct(self, inputs: torch.Tensor,
                    data_samples: List) -> Dict[str, torch.Tensor]:
        """Clip, masked clip and reconstruction, each (B, C, T, H, W) in
        [0, 1]; the decoder predicts every encoder-masked token."""
        grid = self.backbone.patch_embed.token_grid(inputs.shape)
        masks = self.token_masks(inputs, grid, data_samples)
        latent = self.backbone(inputs, masks.visible_ids)
        pred = self.neck(latent, masks.visible_ids, masks.masked_ids, grid)
        clip, recon = self.head.reconstruct(pred, inputs, masks.masked_ids)
        visible = torch.zeros(clip.shape[0], math.prod(grid),
                              device=clip.device)
        visible.scatter_(1, masks.visible_ids, 1.)
        visible = F.interpolate(
            visible.reshape(-1, 1, *grid), size=clip.shape[2:],
            mode='nearest')
        return dict(clip=clip, masked=clip * visible, recon=recon)
