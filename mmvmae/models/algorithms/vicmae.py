"""ViC-MAE: masked reconstruction plus a contrastive loss across views."""
from typing import Dict, List, Optional

import torch

from mmvmae.registry import MODELS
from .token_masks import TokenMasks
from .videomae import VideoMAE


@MODELS.register_module()
class ViCMAE(VideoMAE):
    """Contrastive masked autoencoder over two views of each video.

    Each sample carries two views (frames or clips of the same video, each
    augmented and masked on its own: ``SampleViewPair`` and
    ``PerViewTransforms`` in the pipeline), inputs ``(B, 2, C, T, H, W)``
    with masks ``(2, K)`` per sample. Every view is encoded (visible
    tokens only), decoded and scored like a VideoMAE clip; the head's loss
    over both views is the mean of the two views' reconstruction losses
    (equal token counts). The mean of a view's visible encoder tokens goes
    through the ``projector`` (one call per view, so BatchNorm sees one
    view's batch, as ViC-MAE) and ``contrastive`` (``NTXentLoss``) pulls
    the two views of a video together against all other views of the
    batch. ViC-MAE's ``0.03 * L_nce + 0.97 * L_rec`` is
    ``contrastive.loss_weight=0.03`` and the head's
    ``loss=dict(type='PixelReconstructionLoss', loss_weight=0.97)``.

    Args:
        backbone (dict): Encoder, e.g. ``VideoViT``.
        neck (dict): Decoder, e.g. ``MAEDecoder``.
        head (dict): Target and loss, e.g. ``PixelReconstructionHead``.
        projector (dict): Pooled feature -> embedding, e.g. ``Projector``
            with ``norm='bn'`` (ViC-MAE: 4096-4096-128).
        contrastive (dict): Loss of the two views' embeddings. Defaults to
            ``NTXentLoss`` with temperature 0.1 and weight 0.03.
        data_preprocessor (dict, optional): See ``VideoMAE``.
        init_cfg (dict, optional): mmengine init config.
    """

    num_views = 2

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 projector: dict,
                 contrastive: dict = dict(
                     type='NTXentLoss', temperature=0.1, loss_weight=0.03),
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            backbone,
            neck,
            head,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.projector = MODELS.build(projector)
        self.contrastive = MODELS.build(contrastive)

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List] = None,
                mode: str = 'tensor'):
        """``'loss'``: dict of losses; ``'tensor'``: encoder features of
        every view, sample-major ``(B * 2, ...)``; ``'predict'``:
        reconstructions of every view, sample-major."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        views = self.flatten_views(inputs)
        if mode == 'tensor':
            return self.backbone(views)
        if mode == 'predict':
            return self.reconstruct(views, data_samples)
        raise ValueError(f"mode must be 'loss', 'tensor' or 'predict', got "
                         f'{mode!r}')

    def flatten_views(self, inputs: torch.Tensor) -> torch.Tensor:
        """(B, 2, C, T, H, W) -> (B * 2, C, T, H, W), sample-major."""
        if inputs.dim() != 6 or inputs.shape[1] != self.num_views:
            raise ValueError(
                f'{type(self).__name__} takes {self.num_views} views per '
                f'sample, inputs (B, {self.num_views}, C, T, H, W) from '
                f'SampleViewPair + PerViewTransforms, got shape '
                f'{tuple(inputs.shape)}')
        return inputs.flatten(0, 1)

    def token_masks(self, inputs: torch.Tensor, grid: tuple,
                    data_samples: Optional[List]) -> TokenMasks:
        """Each view's own masks, sample-major ``(B * 2, K)``."""
        masks = TokenMasks.from_data_samples(data_samples, inputs.device)
        if masks.visible_ids.dim() != 3 or masks.visible_ids.shape[
                1] != self.num_views:
            raise ValueError(
                f'each of the {self.num_views} views needs its own mask '
                f'(visible_ids of shape ({self.num_views}, K) per sample: '
                'put the mask generator inside PerViewTransforms), got '
                f'{tuple(masks.visible_ids.shape[1:])}')
        weight = masks.query_weight
        return TokenMasks(
            masks.visible_ids.flatten(0, 1), masks.masked_ids.flatten(0, 1),
            masks.query_ids.flatten(0, 1),
            None if weight is None else weight.flatten(0, 1))

    def embed_views(self, latent: torch.Tensor) -> List[torch.Tensor]:
        """Projected mean of each view's visible tokens: one (B, D) per
        view."""
        pooled = latent.mean(1).unflatten(0, (-1, self.num_views))
        return [
            self.projector(pooled[:, view]) for view in range(self.num_views)
        ]

    def loss(self, inputs: torch.Tensor,
             data_samples: List) -> Dict[str, torch.Tensor]:
        """Reconstruction loss of both views and their contrastive loss."""
        views = self.flatten_views(inputs)
        grid = self.backbone.patch_embed.token_grid(views.shape)
        masks = self.token_masks(views, grid, data_samples)
        latent = self.backbone(views, masks.visible_ids)
        pred = self.neck(latent, masks.visible_ids, masks.query_ids, grid)
        loss_pix = self.head.loss(pred, views, masks.query_ids,
                                  masks.query_weight)
        return dict(
            loss_pix=loss_pix,
            loss_contrast=self.contrastive(*self.embed_views(latent)))
