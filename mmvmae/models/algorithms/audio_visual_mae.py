"""Audio-visual masked autoencoder (CAV-MAE / AV-MAE designs)."""
from typing import Dict, List, Optional, Union

import numpy as np
import torch
from mmengine.model import BaseModel
from torch import nn

from mmvmae.registry import MODELS
from .token_masks import TokenMasks, stack_ids
from .videomae import VideoMAE

VIDEO, AUDIO = 'imgs', 'audios'
MODALITIES = (VIDEO, AUDIO)
AUDIO_MASK_KEYS = ('audio_visible_ids', 'audio_masked_ids')
FUSIONS = ('none', 'shared')


def per_modality(value: dict, what: str) -> dict:
    """Check that a config dict has exactly one entry per modality."""
    if not isinstance(value, dict) or set(value) != set(MODALITIES):
        keys = sorted(value) if isinstance(value, dict) else value
        raise ValueError(f'{what} must be a dict with keys {MODALITIES}, '
                         f'got {keys}')
    return value


@MODELS.register_module()
class AudioVisualMAE(BaseModel):
    """Masked autoencoder over a video clip and its audio fbank.

    Each modality has its own encoder (``imgs``: ``VideoViT``, ``audios``:
    ``AudioViT``) that sees only its visible tokens: the video mask comes
    from the pipeline (``visible_ids`` / ``masked_ids``, e.g.
    ``TubeMaskGenerator``), the audio mask too (``audio_visible_ids`` /
    ``audio_masked_ids`` from a spectrogram mask generator), so each
    modality has its own mask ratio. Then:

    - ``fusion``: ``'none'`` (late fusion, AV-MAE ``separate_encoders``),
      ``'shared'`` (the audio encoder's blocks and final norm *are* the
      video encoder's: one set of weights applied to each modality, AV-MAE
      ``same_encoder``) or a mid-fusion neck config, e.g.
      ``dict(type='MidFusion', depth=1)``: joint blocks over the
      concatenated visible tokens (CAV-MAE's unified block, AV-MAE
      ``separate_encoders_and_concat``).
    - ``decoder``: a joint decoder config (``JointMAEDecoder``: one
      decoder over both modalities' tokens, per-modality prediction heads,
      as CAV-MAE) or a dict with one ``MAEDecoder`` config per modality
      (separate decoders).
    - losses: ``loss_video`` (``heads['imgs']``, e.g.
      ``PixelReconstructionHead``), ``loss_audio`` (``heads['audios']``,
      ``SpectrogramReconstructionHead``) on the masked tokens, and with
      ``contrastive`` the InfoNCE ``loss_contrast`` between the
      mean-pooled visible tokens of each modality (taken from the mid
      fusion run on each modality alone, else from the encoders), through
      optional ``projectors``. Weights are the losses' ``loss_weight``
      (CAV-MAE: 1, 1 and 0.01).

    Samples whose data sample has ``audios_present=False`` (the audio
    loader's fill policy) have their fbank replaced by zeros before the
    encoder, so their video stream sees the same input whatever the file
    held, and get weight 0 in ``loss_audio`` and ``loss_contrast``.

    Args:
        encoders (dict): Encoder config per modality, keys ``'imgs'`` and
            ``'audios'``; pretraining encoders use
            ``use_mean_pooling=False`` (their final norm is used).
        decoder (dict): A joint decoder config (has ``type``) or one
            decoder config per modality.
        heads (dict): Target-and-loss config per modality.
        fusion (str | dict): ``'none'``, ``'shared'`` or a mid-fusion
            neck config. Defaults to ``'none'``.
        modality_embed (bool): Add a learned embedding per modality to its
            tokens before the encoder (CAV-MAE). Defaults to True.
        contrastive (dict, optional): Contrastive loss config, e.g.
            ``InfoNCELoss``; called with (video, audio) features and the
            audio presence as weight. Defaults to None (no contrastive
            term).
        projectors (dict, optional): ``Projector`` config per modality for
            the contrastive features; None uses the pooled tokens as they
            are (equal widths needed). Defaults to None.
        data_preprocessor (dict, optional): Defaults to mmaction2's
            ``MultiModalDataPreprocessor`` with ImageNet mean / std for
            ``imgs`` (NCTHW) and a float cast for ``audios``.
        init_cfg (dict, optional): mmengine init config.
    """

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
                    VIDEO: dict(
                        type='ActionDataPreprocessor',
                        mean=[123.675, 116.28, 103.53],
                        std=[58.395, 57.12, 57.375],
                        format_shape='NCTHW'),
                    AUDIO: dict(type='ActionDataPreprocessor'),
                })
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.encoders = nn.ModuleDict({
            name: MODELS.build(cfg)
            for name, cfg in per_modality(encoders, 'encoders').items()
        })
        self.fusion_mode = self.build_fusion(fusion)
        if modality_embed:
            self.modality_embed = nn.ParameterDict({
                name: nn.Parameter(
                    torch.zeros(1, 1, self.encoders[name].embed_dims))
                for name in MODALITIES
            })
            for param in self.modality_embed.values():
                nn.init.trunc_normal_(param, std=.02)
        else:
            self.modality_embed = None
        if 'type' in decoder:
            self.decoder = MODELS.build(decoder)
        else:
            self.decoder = nn.ModuleDict({
                name: MODELS.build(cfg)
                for name, cfg in per_modality(
                    decoder, "decoder (without 'type': one decoder config "
                    'per modality)').items()
            })
        self.heads = nn.ModuleDict({
            name: MODELS.build(cfg)
            for name, cfg in per_modality(heads, 'heads').items()
        })
        self.build_contrastive(contrastive, projectors)

    def build_fusion(self, fusion: Union[str, dict]) -> str:
        """Build or tie the fusion part; returns ``'none'``, ``'shared'``
        or ``'mid'``."""
        video, audio = self.encoders[VIDEO], self.encoders[AUDIO]
        if isinstance(fusion, dict):
            self.fusion = MODELS.build(fusion)
            widths = {video.embed_dims, audio.embed_dims,
                      self.fusion.embed_dims}
            if len(widths) != 1:
                raise ValueError(
                    f'mid fusion needs one width: video encoder '
                    f'{video.embed_dims}, audio encoder {audio.embed_dims}, '
                    f'fusion {self.fusion.embed_dims}')
            if set(self.fusion.modalities) != set(MODALITIES):
                raise ValueError(f'fusion.modalities must be {MODALITIES}, '
                                 f'got {self.fusion.modalities}')
            return 'mid'
        self.fusion = None
        if fusion not in FUSIONS:
            raise ValueError(f"fusion must be 'none', 'shared' or a fusion "
                             f'neck config, got {fusion!r}')
        if fusion == 'shared':
            shapes = [[p.shape for p in enc.blocks.parameters()]
                      for enc in (video, audio)]
            if shapes[0] != shapes[1] or video.embed_dims != audio.embed_dims:
                raise ValueError(
                    "fusion='shared' ties the audio encoder's blocks to the "
                    "video encoder's: their arch (width, depth, heads) must "
                    'be equal')
            audio.blocks = video.blocks
            audio.norm = video.norm
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
        self.projectors = nn.ModuleDict({
            name: MODELS.build(cfg)
            for name, cfg in per_modality(projectors, 'projectors').items()
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
            return {name: self.encoders[name](inputs[name])
                    for name in MODALITIES}
        raise ValueError(f"mode must be 'loss' or 'tensor', got {mode!r}")

    @staticmethod
    def split_inputs(inputs: Dict[str, torch.Tensor]) -> dict:
        """Check the input dict; video (B, 1, C, T, H, W) -> one view."""
        if not isinstance(inputs, dict) or not set(MODALITIES) <= set(inputs):
            keys = sorted(inputs) if isinstance(inputs, dict) else type(
                inputs).__name__
            raise KeyError(
                f'AudioVisualMAE needs inputs {MODALITIES} (pack with '
                f'PackActionInputs(collect_keys={MODALITIES})), got {keys}')
        return {VIDEO: VideoMAE.single_view(inputs[VIDEO]),
                AUDIO: inputs[AUDIO]}

    @staticmethod
    def audio_presence(data_samples: List,
                       device: torch.device) -> torch.Tensor:
        """(B,) float: 1 where the sample has audio (``audios_present``
        missing counts as present), 0 where the loader filled it."""
        flags = [bool(np.asarray(sample.get('audios_present', True)))
                 for sample in data_samples]
        return torch.tensor(flags, dtype=torch.float32, device=device)

    @staticmethod
    def audio_masks(data_samples: List, device: torch.device) -> TokenMasks:
        """Audio masks of the batch; the decoder predicts masked tokens."""
        if data_samples[0].get(AUDIO_MASK_KEYS[0]) is None:
            raise KeyError(
                f'data sample lacks {AUDIO_MASK_KEYS[0]!r}: add a '
                'spectrogram mask generator (e.g. '
                'SpectrogramRandomMaskGenerator) to the pipeline and list '
                f'{AUDIO_MASK_KEYS} in PackActionInputs(algorithm_keys=...)')
        visible, masked = (stack_ids(data_samples, key, device)
                           for key in AUDIO_MASK_KEYS)
        return TokenMasks(visible, masked, masked)

    def token_grids(self, inputs: dict, masks: dict) -> dict:
        """Token grid per modality; the masks must cover it exactly."""
        grids = {}
        for name in MODALITIES:
            grid = self.encoders[name].patch_embed.token_grid(
                inputs[name].shape)
            count = masks[name].visible_ids.shape[1] + masks[
                name].masked_ids.shape[1]
            if count != int(np.prod(grid)):
                raise ValueError(
                    f'{name} masks cover {count} tokens but the input has '
                    f'{int(np.prod(grid))} (grid {grid}): check the mask '
                    'generator sizes')
            grids[name] = grid
        return grids

    def encode(self, inputs: dict, masks: dict) -> dict:
        """Visible tokens of each modality through its encoder."""
        latents = {}
        for name in MODALITIES:
            encoder = self.encoders[name]
            tokens = encoder.embed(inputs[name])
            if self.modality_embed is not None:
                tokens = tokens + self.modality_embed[name].to(tokens.dtype)
            latents[name], _ = encoder.encode_tokens(tokens,
                                                     masks[name].visible_ids)
        return latents

    def decode(self, latents: dict, masks: dict, grids: dict) -> dict:
        """Predictions of each modality's query tokens."""
        if not isinstance(self.decoder, nn.ModuleDict):
            return self.decoder(
                latents, {k: m.visible_ids for k, m in masks.items()},
                {k: m.query_ids for k, m in masks.items()}, grids)
        # MAEDecoder takes a 3-D grid: a spectrogram grid becomes (1, R, C)
        return {
            name: self.decoder[name](latents[name], masks[name].visible_ids,
                                     masks[name].query_ids,
                                     (1, ) * (3 - len(grids[name])) +
                                     tuple(grids[name]))
            for name in MODALITIES
        }

    def contrastive_features(self, latents: dict) -> dict:
        """Mean-pooled (and projected) visible tokens per modality."""
        if self.fusion_mode == 'mid':
            latents = self.fusion.encode_each(latents)
        pooled = {name: latents[name].mean(1) for name in MODALITIES}
        if self.projectors is not None:
            pooled = {name: self.projectors[name](pooled[name])
                      for name in MODALITIES}
        return pooled

    def loss(self, inputs: dict,
             data_samples: List) -> Dict[str, torch.Tensor]:
        """Reconstruction losses per modality (+ contrastive) of a batch."""
        video, audio = inputs[VIDEO], inputs[AUDIO]
        present = self.audio_presence(data_samples, audio.device)
        audio = audio * present.view(-1, *(1, ) * (audio.dim() - 1)).to(
            audio.dtype)
        inputs = {VIDEO: video, AUDIO: audio}
        masks = {
            VIDEO: TokenMasks.from_data_samples(data_samples, video.device),
            AUDIO: self.audio_masks(data_samples, audio.device),
        }
        grids = self.token_grids(inputs, masks)
        latents = self.encode(inputs, masks)
        fused = self.fusion(latents) if self.fusion_mode == 'mid' else latents
        preds = self.decode(fused, masks, grids)
        audio_weight = present[:, None].expand_as(masks[AUDIO].query_ids)
        losses = dict(
            loss_video=self.heads[VIDEO].loss(preds[VIDEO], video,
                                              masks[VIDEO].query_ids,
                                              masks[VIDEO].query_weight),
            loss_audio=self.heads[AUDIO].loss(preds[AUDIO], audio,
                                              masks[AUDIO].query_ids,
                                              audio_weight))
        if self.contrastive is not None:
            feats = self.contrastive_features(latents)
            losses['loss_contrast'] = self.contrastive(
                feats[VIDEO], feats[AUDIO], present)
        return losses
