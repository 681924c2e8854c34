"""AdaMAE: masked video autoencoder with a learned, adaptive mask."""
from typing import Dict, List, Optional

import torch

from mmvmae.registry import MODELS
from .token_masks import TokenMasks
from .videomae import VideoMAE


@MODELS.register_module()
class AdaMAE(VideoMAE):
    """VideoMAE whose visible tokens are drawn by a learned sampler.

    The sampler (``AdaptiveTokenSampler``) turns the clip's patch embeddings
    into a distribution over tokens and draws the visible ones; the encoder
    and decoder then run as in VideoMAE (the decoder predicts every masked
    token). Two losses: ``loss_pix``, the mean reconstruction error of the
    masked tokens, and ``loss_sampling``, the sampler's REINFORCE-style
    loss with those errors as reward. As in AdaMAE, the sampler reads the
    encoder's own patch embeddings (not detached), so the sampling loss
    also reaches ``backbone.patch_embed``. The pipeline needs no mask
    generator.

    Args:
        backbone (dict): Encoder, e.g. ``VideoViT``.
        neck (dict): Decoder, e.g. ``MAEDecoder``.
        head (dict): Target and loss, e.g. ``PixelReconstructionHead``.
        sampler (dict): Token sampler, e.g. ``AdaptiveTokenSampler``; its
            ``embed_dims`` and ``grid`` default to the backbone's.
        data_preprocessor (dict, optional): See ``VideoMAE``.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 sampler: dict,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            backbone, neck, head, data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        sampler = dict(sampler)
        sampler.setdefault('embed_dims', self.backbone.embed_dims)
        sampler.setdefault('grid', self.backbone.grid)
        self.sampler = MODELS.build(sampler)

    def sample_masks(self, patches: torch.Tensor, grid: tuple) -> tuple:
        """Token log-probabilities (B, N) and the masks drawn from them."""
        log_probs = self.sampler(patches, grid)
        return log_probs, self.sampler.sample(log_probs)

    def token_masks(self, inputs: torch.Tensor, grid: tuple,
                    data_samples: Optional[List]) -> TokenMasks:
        """Masks drawn by the sampler (the data samples carry none)."""
        with torch.no_grad():
            return self.sample_masks(self.backbone.patch_embed(inputs),
                                     grid)[1]

    def loss(self, inputs: torch.Tensor,
             data_samples: List) -> Dict[str, torch.Tensor]:
        """Reconstruction and sampling losses of a batch."""
        grid = self.backbone.patch_embed.token_grid(inputs.shape)
        patches = self.backbone.patch_embed(inputs)
        log_probs, masks = self.sample_masks(patches, grid)
        tokens = patches + self.backbone.position_embedding(grid).to(
            patches.dtype)
        latent, _ = self.backbone.encode_tokens(tokens, masks.visible_ids)
        pred = self.neck(latent, masks.visible_ids, masks.masked_ids, grid)
        # Per-token errors once: their mean is the head's loss (every query
        # is masked, equal weights) and they are the sampler's reward.
        errors = self.head.token_errors(pred, inputs, masks.masked_ids)
        loss_pix = self.head.loss_module.loss_weight * errors.mean()
        return dict(
            loss_pix=loss_pix,
            loss_sampling=self.sampler.loss(log_probs, masks.masked_ids,
                                            errors))
