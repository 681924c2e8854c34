"""Classifier over a video clip and its audio, or the audio alone."""
from typing import Dict, List, Optional, Union

import numpy as np
import torch
from mmengine.model import BaseModel, ModuleDict
from torch import nn

from mmvmae.registry import MODELS
from ..algorithms.audio_visual_mae import AUDIO
from ..algorithms.multimodal_mae import IMAGENET_VIDEO, VIDEO

MODALITIES = (VIDEO, AUDIO)
# Input dims of one view: video (C, T, H, W), audio fbank (T, F).
VIEW_DIMS = {VIDEO: 4, AUDIO: 2}
MODES = ('loss', 'predict', 'tensor')


@MODELS.register_module()
class AudioVisualRecognizer(BaseModel):
    """Fine-tune and test encoders of a video and its audio on labels.

    ``encoders`` holds a ``VideoViT`` (``imgs``), an ``AudioViT``
    (``audios``) or both: ``dict(audios=...)`` alone is an audio
    classifier. Each encoder sees all its tokens (plus a learned modality
    embedding, as in pretraining); then ``fusion``:

    - ``'concat'``: each modality's tokens are mean-pooled (through the
      encoder's ``fc_norm`` when it has one, ``use_mean_pooling=True``)
      and the pooled features concatenated (AV-MAE's late fusion; one
      modality: its pooled feature);
    - a ``MidFusion`` config: joint blocks over the concatenated tokens of
      both modalities, then the mean of all fused tokens (CAV-MAE's
      fine-tuning). Encoders then keep their final norm
      (``use_mean_pooling=False``, as in pretraining) and the fusion has
      no modality norms (``modality_norms=False``): those serve only the
      pretraining contrastive features.

    ``cls_head`` (an mmaction2 head such as ``TimeSformerHead``: linear,
    cross-entropy, label smoothing, ``average_clips``) scores the feature.
    ``predict`` gives mmaction2's ``ActionDataSample`` predictions
    (``pred_score``, ``pred_label``), so ``AccMetric`` evaluates it.

    **Views.** Inputs may carry several views per sample: video
    (B, V, C, T, H, W), audio (B, A, T, F) (``LoadAudioWindow`` with
    ``num_clips`` > 1 gives one window per clip). mmaction2's
    ``FormatShape`` orders video views crop-major (crop 0 of every clip,
    then crop 1, ...), so video view ``v`` is paired with audio window
    ``v % A``; ``V`` must be a multiple of ``A``. The head averages the
    ``V`` scores per sample (``average_clips='prob'``: softmax, then
    mean).

    **Absent audio.** A sample whose ``audios_present`` flag (from the
    audio loader's ``on_missing='fill'``; per window with several clips)
    is False gets every output token of its audio encoder replaced by one
    learned embedding, ``missing_audio``: the classifier sees a fixed "no
    audio" input, whatever the filled fbank holds, and learns what to make
    of it from the training videos without audio. Without video (audio
    only) such a sample is classified from that embedding alone, i.e. by
    the class prior the model learned for it. The embedding stays in the
    graph (zero gradient) in batches where every sample has audio.

    Parameter names equal ``MultiModalMAE``'s (``encoders.<modality>``,
    ``fusion``, ``modality_embed.<modality>``), so
    ``init_cfg=dict(type='Pretrained', checkpoint=...)`` on this model
    loads them all from an ``AudioVisualMAE`` checkpoint (decoder and heads
    are reported as unused); one encoder alone loads with
    ``init_cfg=dict(type='Pretrained', checkpoint=...,
    prefix='encoders.audios.')`` in its own config.

    Args:
        encoders (dict): Encoder config per modality: ``imgs``, ``audios``
            or both.
        cls_head (dict): Head config; its ``in_channels`` must equal the
            feature width (sum of the encoder widths for ``'concat'``, the
            fusion width for mid fusion).
        fusion (str | dict): ``'concat'`` or a ``MidFusion`` config over
            both modalities. Defaults to ``'concat'``.
        modality_embed (bool): Add a learned embedding per modality to its
            tokens before the encoder (keep as in pretraining). Defaults to
            True.
        data_preprocessor (dict, optional): Defaults to mmaction2's
            ``MultiModalDataPreprocessor`` with ImageNet mean / std for
            ``imgs`` (NCTHW) and a float cast for ``audios``.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 encoders: dict,
                 cls_head: dict,
                 fusion: Union[str, dict] = 'concat',
                 modality_embed: bool = True,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if not isinstance(encoders, dict) or not encoders or set(
                encoders) - set(MODALITIES):
            keys = sorted(encoders) if isinstance(encoders, dict) else encoders
            raise ValueError(f'encoders must be a dict with keys among '
                             f'{MODALITIES}, got {keys}')
        modalities = tuple(name for name in MODALITIES if name in encoders)
        if data_preprocessor is None:
            data_preprocessor = dict(
                type='MultiModalDataPreprocessor',
                preprocessors={
                    name: IMAGENET_VIDEO if name == VIDEO else dict(
                        type='ActionDataPreprocessor')
                    for name in modalities
                })
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.modalities = modalities
        # mmengine's ModuleDict: init_weights reaches the encoders' init_cfg
        self.encoders = ModuleDict(
            {name: MODELS.build(encoders[name]) for name in modalities})
        widths = {name: enc.embed_dims for name, enc in self.encoders.items()}
        self.fusion = self.build_fusion(fusion, widths)
        self.modality_embed = nn.ParameterDict({
            name: nn.Parameter(torch.zeros(1, 1, widths[name]))
            for name in modalities
        }) if modality_embed else None
        self.missing_audio = nn.Parameter(torch.zeros(
            1, 1, widths[AUDIO])) if AUDIO in modalities else None
        for param in self.extra_embeddings():
            nn.init.trunc_normal_(param, std=.02)
        self.cls_head = MODELS.build(cls_head)
        width = (self.fusion.embed_dims
                 if self.fusion is not None else sum(widths.values()))
        if self.cls_head.in_channels != width:
            raise ValueError(
                f'cls_head.in_channels is {self.cls_head.in_channels} but '
                f'the {"fused" if self.fusion else "concatenated"} feature '
                f'has width {width} (encoders {widths})')

    def build_fusion(self, fusion: Union[str, dict],
                     widths: Dict[str, int]) -> Optional[nn.Module]:
        """The mid-fusion neck, or None for ``'concat'``; checks both."""
        if fusion == 'concat':
            return None
        if not isinstance(fusion, dict):
            raise ValueError("fusion must be 'concat' or a MidFusion "
                             f'config, got {fusion!r}')
        neck = MODELS.build(fusion)
        if tuple(neck.modalities) != self.modalities:
            raise ValueError(f'mid fusion needs encoders for '
                             f'{tuple(neck.modalities)} in that order, '
                             f'got encoders for {self.modalities}')
        if len(set(widths.values()) | {neck.embed_dims}) != 1:
            raise ValueError(f'mid fusion needs one width: encoders '
                             f'{widths}, fusion {neck.embed_dims}')
        if neck.modality_norms:
            raise ValueError(
                'set fusion.modality_norms=False: the modality norms serve '
                'only the pretraining contrastive features and would get no '
                'gradient here')
        pooled = [name for name, enc in self.encoders.items()
                  if getattr(enc, 'fc_norm', None) is not None]
        if pooled:
            raise ValueError(
                f'encoders {pooled} have use_mean_pooling=True, whose '
                'fc_norm the mid fusion never uses: set '
                'use_mean_pooling=False (their final norm, as in '
                'pretraining)')
        return neck

    def extra_embeddings(self) -> List[nn.Parameter]:
        """The modality embeddings and the missing-audio embedding."""
        params = list(self.modality_embed.values()
                      ) if self.modality_embed is not None else []
        return params + ([self.missing_audio]
                         if self.missing_audio is not None else [])

    def forward(self,
                inputs: Dict[str, torch.Tensor],
                data_samples: Optional[List] = None,
                mode: str = 'tensor'):
        """``'loss'``: dict of losses; ``'predict'``: data samples with
        ``pred_score``; ``'tensor'``: features (B * views, C)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs, data_samples)
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')

    def loss(self, inputs: Dict[str, torch.Tensor],
             data_samples: List) -> Dict[str, torch.Tensor]:
        """Classification loss of a batch with one view per sample."""
        feats = self.extract_feat(inputs, data_samples)
        if feats.shape[0] != len(data_samples):
            raise ValueError(
                f'training takes one view per sample, got '
                f'{feats.shape[0]} views for {len(data_samples)} samples '
                '(set num_clips=1 and no multi-crop in the train pipeline)')
        return self.cls_head.loss(feats, data_samples)

    def predict(self, inputs: Dict[str, torch.Tensor],
                data_samples: List) -> List:
        """Data samples with the view-averaged ``pred_score``."""
        return self.cls_head.predict(
            self.extract_feat(inputs, data_samples), data_samples)

    def split_views(self, inputs: Dict[str, torch.Tensor]) -> dict:
        """Check the input dict; each input as (B, views, ...)."""
        if not isinstance(inputs, dict) or not set(
                self.modalities) <= set(inputs):
            keys = sorted(inputs) if isinstance(inputs, dict) else type(
                inputs).__name__
            raise KeyError(
                f'{type(self).__name__} needs inputs {self.modalities} (pack'
                f' with PackActionInputs(collect_keys={self.modalities})), '
                f'got {keys}')
        views = {}
        for name in self.modalities:
            x, dims = inputs[name], VIEW_DIMS[name]
            if x.dim() not in (dims + 1, dims + 2):
                raise ValueError(
                    f'{name} input must be (B, [views,] {dims} dims), got '
                    f'shape {tuple(x.shape)}')
            views[name] = x if x.dim() == dims + 2 else x.unsqueeze(1)
        return views

    def audio_presence(self, data_samples: Optional[List], batch: int,
                       windows: int, device: torch.device) -> torch.Tensor:
        """(B, windows) bool ``audios_present`` (missing flag: present)."""
        if data_samples is None:
            return torch.ones(batch, windows, dtype=torch.bool, device=device)
        flags = []
        for sample in data_samples:
            flag = np.asarray(sample.get('audios_present', True),
                              bool).reshape(-1)
            if flag.size not in (1, windows):
                raise ValueError(f'audios_present has {flag.size} flags for '
                                 f'{windows} audio windows')
            flags.append(np.broadcast_to(flag, (windows, )))
        return torch.from_numpy(np.stack(flags)).to(device)

    def encode(self, name: str, x: torch.Tensor) -> torch.Tensor:
        """Tokens (B, V, N, C) of a modality's views (B, V, ...)."""
        encoder = self.encoders[name]
        tokens = encoder.embed(x.flatten(0, 1))
        if self.modality_embed is not None:
            tokens = tokens + self.modality_embed[name].to(tokens.dtype)
        tokens, _ = encoder.encode_tokens(tokens)
        return tokens.unflatten(0, x.shape[:2])

    def extract_feat(self,
                     inputs: Dict[str, torch.Tensor],
                     data_samples: Optional[List] = None) -> torch.Tensor:
        """Feature (B * V, C) of every view, sample-major."""
        views = self.split_views(inputs)
        batch = next(iter(views.values())).shape[0]
        counts = {name: x.shape[1] for name, x in views.items()}
        num_views = max(counts.values())
        if any(num_views % count for count in counts.values()):
            raise ValueError(f'video views must be a multiple of the audio '
                             f'windows, got {counts}')
        tokens = {name: self.encode(name, x) for name, x in views.items()}
        if AUDIO in tokens:
            present = self.audio_presence(data_samples, batch, counts[AUDIO],
                                          tokens[AUDIO].device)
            tokens[AUDIO] = torch.where(
                present[..., None, None], tokens[AUDIO],
                self.missing_audio.to(tokens[AUDIO].dtype))
        pairs = torch.arange(num_views, device=views[self.modalities[0]]
                             .device)
        tokens = {
            name: x[:, pairs % counts[name]].flatten(0, 1)
            for name, x in tokens.items()
        }
        if self.fusion is not None:
            fused = self.fusion(tokens)
            return torch.cat([fused[name] for name in self.modalities],
                             dim=1).mean(1)
        feats = []
        for name in self.modalities:
            pooled = tokens[name].mean(1)
            fc_norm = self.encoders[name].fc_norm
            feats.append(fc_norm(pooled) if fc_norm is not None else pooled)
        return torch.cat(feats, dim=-1)
