"""Shared wiring of masked autoencoders over a video and other modalities."""
from abc import abstractmethod
from typing import Dict, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.model import BaseModel, ModuleDict
from torch import nn

from mmvmae.registry import MODELS
from .token_masks import TokenMasks
from .videomae import VideoMAE

VIDEO = 'imgs'
FUSIONS = ('none', 'shared')
IMAGENET_VIDEO = dict(
    type='ActionDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    format_shape='NCTHW')


class MultiModalMAE(BaseModel):
    """Base of masked autoencoders over a video clip and more modalities.

    Subclasses name their modalities in :attr:`modalities` (the video,
    ``'imgs'``, first) and implement :meth:`loss`. This class builds and
    checks the shared parts, each config given per modality:

    - ``encoders`` (``VideoViT``-like: ``embed``, ``encode_tokens``,
      ``embed_dims``) that see only their visible tokens, with an optional
      learned embedding per modality added to the tokens;
    - ``fusion``: ``'none'`` (late fusion), ``'shared'`` (the other
      encoders' blocks and final norm *are* the video encoder's) or a
      mid-fusion neck config (``MidFusion``: joint blocks over the
      concatenated visible tokens);
    - ``decoder``: one joint decoder config (``JointMAEDecoder``) or one
      ``MAEDecoder`` config per modality;
    - ``heads``: the reconstruction target and loss per modality;
    - ``contrastive`` (e.g. ``InfoNCELoss``) between the first two
      modalities' mean-pooled visible tokens (through the mid fusion run on
      each modality alone, else from the encoders), via optional
      ``projectors``.

    Args:
        encoders (dict): Encoder config per modality.
        decoder (dict): A joint decoder config (has ``type``) or one
            decoder config per modality.
        heads (dict): Target-and-loss config per modality.
        fusion (str | dict): ``'none'``, ``'shared'`` or a mid-fusion neck
            config. Defaults to ``'none'``.
        modality_embed (bool): Add a learned embedding per modality to its
            tokens before the encoder (CAV-MAE). Defaults to True.
        contrastive (dict, optional): Contrastive loss config. Defaults to
            None (no contrastive term).
        projectors (dict, optional): ``Projector`` config per modality for
            the contrastive features; None uses the pooled tokens as they
            are (equal widths needed). Defaults to None.
        data_preprocessor (dict, optional): Defaults to mmaction2's
            ``MultiModalDataPreprocessor`` with ImageNet mean / std for
            ``imgs`` (NCTHW) and a float cast for the other modalities.
        init_cfg (dict, optional): mmengine init config.
    """

    modalities: Tuple[str, ...] = ()

    def __init__(self,
                 encoders: dict,
                 decoder: dict,
                 heads: dict,
                 fusion: Union[str, dict] = 'none',
                 modality_embed: bool = True,
                 contrastive: Optional[dict] = None,
                 projectors: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(
                type='MultiModalDataPreprocessor',
                preprocessors={
                    name: IMAGENET_VIDEO if name == VIDEO else dict(
                        type='ActionDataPreprocessor')
                    for name in self.modalities
                })
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.encoders = ModuleDict({
            name: MODELS.build(cfg)
            for name, cfg in self.per_modality(encoders, 'encoders').items()
        })
        self.fusion_mode = self.build_fusion(fusion)
        if modality_embed:
            self.modality_embed = nn.ParameterDict({
                name: nn.Parameter(
                    torch.zeros(1, 1, self.encoders[name].embed_dims))
                for name in self.modalities
            })
            for param in self.modality_embed.values():
                nn.init.trunc_normal_(param, std=.02)
        else:
            self.modality_embed = None
        if 'type' in decoder:
            self.decoder = MODELS.build(decoder)
        else:
            self.decoder = ModuleDict({
                name: MODELS.build(cfg)
                for name, cfg in self.per_modality(
                    decoder, "decoder (without 'type': one decoder config "
                    'per modality)').items()
            })
        self.heads = ModuleDict({
            name: MODELS.build(cfg)
            for name, cfg in self.per_modality(heads, 'heads').items()
        })
        self.build_contrastive(contrastive, projectors)

    def per_modality(self, value: dict, what: str) -> dict:
        """Check that a config dict has exactly one entry per modality."""
        if not isinstance(value, dict) or set(value) != set(self.modalities):
            keys = sorted(value) if isinstance(value, dict) else value
            raise ValueError(f'{what} must be a dict with keys '
                             f'{self.modalities}, got {keys}')
        return value

    def build_fusion(self, fusion: Union[str, dict]) -> str:
        """Build or tie the fusion part; returns ``'none'``, ``'shared'``
        or ``'mid'``."""
        widths = {name: enc.embed_dims for name, enc in self.encoders.items()}
        if isinstance(fusion, dict):
            self.fusion = MODELS.build(fusion)
            if len(set(widths.values()) | {self.fusion.embed_dims}) != 1:
                raise ValueError(
                    f'mid fusion needs one width: encoders {widths}, '
                    f'fusion {self.fusion.embed_dims}')
            if set(self.fusion.modalities) != set(self.modalities):
                raise ValueError(f'fusion.modalities must be '
                                 f'{self.modalities}, got '
                                 f'{self.fusion.modalities}')
            return 'mid'
        self.fusion = None
        if fusion not in FUSIONS:
            raise ValueError(f"fusion must be 'none', 'shared' or a fusion "
                             f'neck config, got {fusion!r}')
        if fusion == 'shared':
            video = self.encoders[VIDEO]
            shapes = [p.shape for p in video.blocks.parameters()]
            for name in self.modalities[1:]:
                other = self.encoders[name]
                if ([p.shape for p in other.blocks.parameters()] != shapes
                        or other.embed_dims != video.embed_dims):
                    raise ValueError(
                        f"fusion='shared' ties the {name} encoder's blocks to "
                        "the video encoder's: their arch (width, depth, "
                        'heads) must be equal')
                other.blocks = video.blocks
                other.norm = video.norm
        return fusion

    def build_contrastive(self, contrastive: Optional[dict],
                          projectors: Optional[dict]) -> None:
        """Contrastive loss and projectors, with build-time checks."""
        uses_modality_norms = getattr(self.fusion, 'modality_norms', False)
        if contrastive is None:
            if projectors is not None:
                raise ValueError('projectors are given but contrastive is '
                                 'None: they would never be used')
            if uses_modality_norms:
                raise ValueError(
                    "the mid fusion's modality-specific norms only serve "
                    'the contrastive features: set fusion.modality_norms='
                    'False or give a contrastive loss')
            self.contrastive = self.projectors = None
            return
        self.contrastive = MODELS.build(contrastive)
        if projectors is None:
            self.projectors = None
            widths = {enc.embed_dims for enc in self.encoders.values()}
            if len(widths) != 1:
                raise ValueError(f'encoder widths differ ({sorted(widths)}):'
                                 ' give projectors to a common width')
            return
        self.projectors = ModuleDict({
            name: MODELS.build(cfg)
            for name, cfg in self.per_modality(projectors,
                                               'projectors').items()
        })

    def forward(self,
                inputs: Dict[str, torch.Tensor],
                data_samples: Optional[List] = None,
                mode: str = 'tensor'):
        """``'loss'``: dict of losses; ``'tensor'``: each encoder's output
        on the whole input (dict keyed by modality)."""
        inputs = self.split_inputs(inputs)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs, data_samples)
        raise ValueError(f"mode must be 'loss' or 'tensor', got {mode!r}")

    def split_inputs(self, inputs: Dict[str, torch.Tensor]) -> dict:
        """Check the input dict; video (B, 1, C, T, H, W) -> one view."""
        if not isinstance(inputs, dict) or not set(
                self.modalities) <= set(inputs):
            keys = sorted(inputs) if isinstance(inputs, dict) else type(
                inputs).__name__
            raise KeyError(
                f'{type(self).__name__} needs inputs {self.modalities} (pack'
                f' with PackActionInputs(collect_keys={self.modalities})), '
                f'got {keys}')
        inputs = {name: inputs[name] for name in self.modalities}
        inputs[VIDEO] = VideoMAE.single_view(inputs[VIDEO])
        return inputs

    def extract_feat(self, inputs: dict,
                     data_samples: Optional[List]) -> dict:
        """Each encoder's output on its whole input."""
        return {name: self.encoders[name](inputs[name])
                for name in self.modalities}

    def token_grid(self, name: str, x: torch.Tensor) -> tuple:
        """Token grid of a modality's input (its patch embedding's)."""
        return self.encoders[name].patch_embed.token_grid(x.shape)

    def token_grids(self, inputs: dict, masks: Dict[str, TokenMasks]) -> dict:
        """Token grid per modality; the masks must cover it exactly."""
        grids = {}
        for name in self.modalities:
            grid = self.token_grid(name, inputs[name])
            count = masks[name].visible_ids.shape[1] + masks[
                name].masked_ids.shape[1]
            if count != int(np.prod(grid)):
                raise ValueError(
                    f'{name} masks cover {count} tokens but the input has '
                    f'{int(np.prod(grid))} (grid {grid}): check the mask '
                    'generator sizes')
            grids[name] = grid
        return grids

    def encode(self, tokens: dict) -> dict:
        """Embedded visible tokens (B, K, C) of each modality (plus its
        modality embedding) -> its encoder's output on them."""
        latents = {}
        for name in self.modalities:
            x = tokens[name]
            if self.modality_embed is not None:
                x = x + self.modality_embed[name].to(x.dtype)
            latents[name], _ = self.encoders[name].encode_tokens(x)
        return latents

    def fuse(self, latents: dict) -> dict:
        """The mid fusion's joint pass, or the latents as they are."""
        return self.fusion(latents) if self.fusion_mode == 'mid' else latents

    def decode(self, latents: dict, masks: Dict[str, TokenMasks],
               grids: dict) -> dict:
        """Predictions of each modality's query tokens."""
        if not isinstance(self.decoder, nn.ModuleDict):
            return self.decoder(
                latents, {k: m.visible_ids for k, m in masks.items()},
                {k: m.query_ids for k, m in masks.items()}, grids)
        # MAEDecoder takes a 3-D grid: a 1-D or 2-D grid becomes (1, .., N)
        return {
            name: self.decoder[name](latents[name], masks[name].visible_ids,
                                     masks[name].query_ids,
                                     (1, ) * (3 - len(grids[name])) +
                                     tuple(grids[name]))
            for name in self.modalities
        }

    def contrastive_features(
            self,
            latents: dict,
            token_weights: Optional[Dict[str, torch.Tensor]] = None
    ) -> dict:
        """Mean-pooled (and projected) visible tokens per modality.

        Args:
            latents (dict): Encoder output (B, K_m, C) per modality.
            token_weights (dict, optional): (B, K_m) weights of a
                modality's tokens in its mean (e.g. 0 for the tokens of an
                absent device). Unweighted where not given.
        """
        if self.fusion_mode == 'mid':
            latents = self.fusion.encode_each(latents)
        token_weights = token_weights or {}
        pooled = {}
        for name in self.modalities:
            weight = token_weights.get(name)
            if weight is None:
                pooled[name] = latents[name].mean(1)
                continue
            weight = weight[..., None].to(latents[name].dtype)
            pooled[name] = (latents[name] * weight).sum(1) / weight.sum(
                1).clamp(min=1)
        if self.projectors is not None:
            pooled = {name: self.projectors[name](pooled[name])
                      for name in self.modalities}
        return pooled

    @abstractmethod
    def loss(self, inputs: dict,
             data_samples: List) -> Dict[str, torch.Tensor]:
        """Dict of losses of a batch (``inputs`` from
        :meth:`split_inputs`)."""
