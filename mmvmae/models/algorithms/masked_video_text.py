"""Masked video modeling + masked video-text contrast (UMT, InternVideo,
TGM)."""
from typing import Dict, List, Optional

import torch
from mmengine.model import BaseModel
from mmengine.structures import InstanceData
from torch import nn

from mmvmae.registry import MODELS
from ..encoders.text_encoder import captions_of
from .token_masks import TokenMasks
from .videomae import VideoMAE

DEFAULT_CONTRASTIVE = dict(
    type='InfoNCELoss', temperature=0.07, learnable_temperature=True)


@MODELS.register_module()
class MaskedVideoText(BaseModel):
    """Video MAE and video-text contrastive learning on the masked clip.

    The video encoder sees only the visible tokens (masks from the data
    pipeline, or from ``masker``, e.g. TGM's text-guided
    ``ScoreGuidedMasker``). Two terms, each switched on by a positive
    weight:

    - ``loss_pix = mae_weight * head.loss(...)``: the decoder (``neck``)
      predicts the masked tokens' pixels, as ``VideoMAE``.
    - ``loss_contrast = contrastive_weight * contrastive(v, t, present)``:
      ``v`` is the mean of the visible output tokens through
      ``video_projector``, ``t`` the caption through ``text_encoder``
      (frozen or not) and ``text_projector``; a symmetric InfoNCE with a
      learnable temperature (0.07) by default, as UMT and InternVideo's
      video-text contrast (VTC) on masked video. Samples whose caption is
      absent (``text_present`` False) get weight 0: neither anchor nor
      negative.

    A weight of 0 removes its term, and the parts only that term uses must
    then be left out (``neck=None, head=None`` for pure contrastive
    learning; ``text_encoder=None`` and no projectors for pure MAE), so
    that no parameter goes untrained. mmengine sums the two terms (keys
    starting with ``loss``); the loss modules' own ``loss_weight``
    multiplies as well.

    ``mode='predict'`` embeds the whole (unmasked) clip and the caption of
    each sample for retrieval: it sets ``data_sample.features =
    InstanceData(video_feature, text_feature)``, what mmaction2's
    ``RetrievalMetric`` reads. ``mode='tensor'`` returns the pooled video
    features (B, C) of the whole clip.

    Args:
        backbone (dict): Video encoder, e.g. ``VideoViT`` with
            ``use_mean_pooling=False``.
        text_encoder (dict, optional): ``TextEncoder`` config; needed when
            ``contrastive_weight > 0``. Defaults to None.
        neck (dict, optional): MAE decoder, e.g. ``MAEDecoder``; needed
            when ``mae_weight > 0``. Defaults to None.
        head (dict, optional): Pixel target and loss, e.g.
            ``PixelReconstructionHead``; with ``neck``. Defaults to None.
        video_projector (dict, optional): ``Projector`` config for the
            pooled video features; ``in_dims`` defaults to the encoder
            width. None uses them as they are. Defaults to None.
        text_projector (dict, optional): ``Projector`` config for the
            caption features; ``in_dims`` defaults to the text encoder's
            ``out_dims``. Defaults to None.
        contrastive (dict, optional): Contrastive loss, called with (video,
            text, presence). Defaults to a symmetric ``InfoNCELoss`` with
            a learnable temperature starting at 0.07.
        mae_weight (float): Weight of ``loss_pix``; 0 switches MAE off.
            Defaults to 1.
        contrastive_weight (float): Weight of ``loss_contrast``; 0
            switches the text side off. Defaults to 1.
        masker (dict, optional): Model-side masker (a ``BaseTokenMasker``)
            used instead of the pipeline's masks. Defaults to None.
        data_preprocessor (dict, optional): Defaults to mmaction2's
            ``ActionDataPreprocessor`` with ImageNet mean / std, NCTHW.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 backbone: dict,
                 text_encoder: Optional[dict] = None,
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 video_projector: Optional[dict] = None,
                 text_projector: Optional[dict] = None,
                 contrastive: Optional[dict] = None,
                 mae_weight: float = 1.,
                 contrastive_weight: float = 1.,
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
        check_weights(mae_weight, contrastive_weight)
        self.mae_weight = mae_weight
        self.contrastive_weight = contrastive_weight
        self.backbone = MODELS.build(backbone)
        self.masker = MODELS.build(masker) if masker is not None else None
        self.build_mae(neck, head)
        self.build_text_side(text_encoder, video_projector, text_projector,
                             contrastive)

    def build_mae(self, neck: Optional[dict], head: Optional[dict]) -> None:
        """Decoder and head, present exactly when ``mae_weight > 0``."""
        parts = {'neck': neck, 'head': head}
        if self.mae_weight > 0:
            missing = [name for name, cfg in parts.items() if cfg is None]
            if missing:
                raise ValueError(f'mae_weight={self.mae_weight} needs '
                                 f'{" and ".join(missing)} (the MAE decoder '
                                 'and pixel head)')
            self.neck = MODELS.build(neck)
            self.head = MODELS.build(head)
            return
        given = [name for name, cfg in parts.items() if cfg is not None]
        if given:
            raise ValueError(
                f'mae_weight=0 switches MAE off, but {" and ".join(given)} '
                'would be built and never trained: set them to None')
        self.neck = self.head = None

    def build_text_side(self, text_encoder: Optional[dict],
                        video_projector: Optional[dict],
                        text_projector: Optional[dict],
                        contrastive: Optional[dict]) -> None:
        """Text tower, projectors and loss, present exactly when
        ``contrastive_weight > 0``; projector widths are checked."""
        parts = dict(text_encoder=text_encoder,
                     video_projector=video_projector,
                     text_projector=text_projector, contrastive=contrastive)
        if self.contrastive_weight == 0:
            given = [name for name, cfg in parts.items() if cfg is not None]
            if given:
                raise ValueError(
                    'contrastive_weight=0 switches the text side off, but '
                    f'{", ".join(given)} would be built and never trained: '
                    'set them to None')
            self.text_encoder = self.contrastive = None
            self.video_projector = self.text_projector = None
            return
        if text_encoder is None:
            raise ValueError(f'contrastive_weight={self.contrastive_weight} '
                             'needs a text_encoder (e.g. TextEncoder)')
        self.text_encoder = MODELS.build(text_encoder)
        self.video_projector = build_projector(
            video_projector, self.backbone.embed_dims, 'video_projector')
        self.text_projector = build_projector(
            text_projector, self.text_encoder.out_dims, 'text_projector')
        widths = (out_width(self.video_projector, self.backbone.embed_dims),
                  out_width(self.text_projector, self.text_encoder.out_dims))
        if widths[0] != widths[1]:
            raise ValueError(
                f'video embeddings are {widths[0]} wide, text embeddings '
                f'{widths[1]}: give projectors to one width')
        self.contrastive = MODELS.build(contrastive or DEFAULT_CONTRASTIVE)

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List] = None,
                mode: str = 'tensor'):
        """``'loss'``: dict of losses; ``'predict'``: data samples with
        retrieval features; ``'tensor'``: pooled video features (B, C) of
        the whole clip."""
        inputs = VideoMAE.single_view(inputs)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.pooled_video(inputs)
        raise ValueError(f"mode must be 'loss', 'predict' or 'tensor', got "
                         f'{mode!r}')

    def token_masks(self, inputs: torch.Tensor, grid: tuple,
                    data_samples: List) -> TokenMasks:
        """Masks from the model-side masker, else from the data samples."""
        if self.masker is not None:
            with torch.no_grad():
                return self.masker(inputs, grid, data_samples)
        return TokenMasks.from_data_samples(data_samples, inputs.device)

    def pooled_video(self,
                     inputs: torch.Tensor,
                     visible_ids: Optional[torch.Tensor] = None
                     ) -> torch.Tensor:
        """Mean of the encoder's output tokens (B, C): the visible ones, or
        all without ``visible_ids``."""
        tokens, _ = self.backbone.encode_tokens(
            self.backbone.embed(inputs, visible_ids))
        return tokens.mean(1)

    def embed_video(self, pooled: torch.Tensor) -> torch.Tensor:
        """Contrastive video embeddings of pooled features."""
        if self.video_projector is None:
            return pooled
        return self.video_projector(pooled)

    def embed_text(self, data_samples: List) -> tuple:
        """Contrastive caption embeddings (B, D) and presence (B,) bool."""
        texts, present = captions_of(data_samples)
        feats = self.text_encoder(texts, present)
        if self.text_projector is not None:
            feats = self.text_projector(feats)
        return feats, present.to(feats.device)

    def loss(self, inputs: torch.Tensor,
             data_samples: List) -> Dict[str, torch.Tensor]:
        """``loss_pix`` and / or ``loss_contrast`` of a batch."""
        grid = self.backbone.patch_embed.token_grid(inputs.shape)
        masks = self.token_masks(inputs, grid, data_samples)
        latent, _ = self.backbone.encode_tokens(
            self.backbone.embed(inputs, masks.visible_ids))
        losses = {}
        if self.neck is not None:
            pred = self.neck(latent, masks.visible_ids, masks.query_ids, grid)
            losses['loss_pix'] = self.mae_weight * self.head.loss(
                pred, inputs, masks.query_ids, masks.query_weight)
        if self.text_encoder is not None:
            video = self.embed_video(latent.mean(1))
            text, present = self.embed_text(data_samples)
            losses['loss_contrast'] = self.contrastive_weight * (
                self.contrastive(video, text, present.to(video.dtype)))
        return losses

    @torch.no_grad()
    def predict(self, inputs: torch.Tensor, data_samples: List) -> List:
        """Set ``features`` (video and text embeddings of the whole clip and
        its caption) on each data sample, for ``RetrievalMetric``."""
        if self.text_encoder is None:
            raise ValueError('retrieval needs the text side: this model was '
                             'built with contrastive_weight=0')
        text, present = self.embed_text(data_samples)
        if not bool(present.all()):
            absent = (~present).nonzero()[:, 0].tolist()
            raise ValueError(
                f'samples {absent} of the batch have no caption '
                '(text_present False); retrieval needs a caption for every '
                "video: load the test set with on_missing='error'")
        video = self.embed_video(self.pooled_video(inputs))
        for sample, video_feature, text_feature in zip(
                data_samples, video, text):
            sample.features = InstanceData(
                video_feature=video_feature, text_feature=text_feature)
        return data_samples


def check_weights(mae_weight: float, contrastive_weight: float) -> None:
    """Both weights non-negative, at least one positive."""
    for name, value in (('mae_weight', mae_weight),
                        ('contrastive_weight', contrastive_weight)):
        if not value >= 0:
            raise ValueError(f'{name} must be >= 0, got {value}')
    if mae_weight == 0 and contrastive_weight == 0:
        raise ValueError('mae_weight and contrastive_weight are both 0: '
                         'nothing to train')


def build_projector(cfg: Optional[dict], in_dims: int,
                    name: str) -> Optional[nn.Module]:
    """A projector whose ``in_dims`` defaults to (and must equal) the width
    of the features it takes."""
    if cfg is None:
        return None
    cfg = dict(cfg)
    given = cfg.setdefault('in_dims', in_dims)
    if given != in_dims:
        raise ValueError(f'{name}.in_dims={given}, but the features it '
                         f'projects are {in_dims} wide')
    return MODELS.build(cfg)


def out_width(projector: Optional[nn.Module], in_dims: int) -> int:
    """Width of the embeddings a projector (or none) gives."""
    return in_dims if projector is None else projector.out_dims
