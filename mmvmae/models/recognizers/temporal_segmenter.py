"""Video ViT fine-tuned for per-frame action segmentation (Ego-Only)."""
from typing import Dict, List, Optional

import torch
from mmengine.model import BaseModel

from mmvmae.registry import MODELS
from ..algorithms.multimodal_mae import IMAGENET_VIDEO

MODES = ('loss', 'predict', 'tensor')


@MODELS.register_module()
class TemporalSegmenter(BaseModel):
    """Score every frame of a clip for K (possibly overlapping) actions.

    Stage 2 of Ego-Only: the pretrained ``VideoViT`` encodes all tokens of
    the clip (B, C, T, H, W); a ``TemporalSegmentationHead`` turns them into
    logits per temporal slice (B, T', K) and repeats them over the
    ``tubelet_size`` frames of each slice. Training minimises per-frame
    sigmoid BCE against the ``frame_labels`` (T, K) of each data sample
    (``TemporalSegmentationDataset``); ``predict`` stores the per-frame
    probabilities as ``pred_frame_scores`` (T, K) on each data sample,
    averaged over its views (crops) when it has several.

    The encoder keeps its pretraining layout, ``use_mean_pooling=False``:
    tokens go through its final ``norm`` (which the pretraining checkpoint
    holds, so ``init_cfg=dict(type='Pretrained', checkpoint=...,
    prefix='backbone.')`` loads every encoder weight) and no ``fc_norm``
    sits unused.

    Args:
        backbone (dict): A ``VideoViT`` config with
            ``use_mean_pooling=False``.
        head (dict): A ``TemporalSegmentationHead`` config; its
            ``in_channels`` and ``tubelet_size`` must equal the encoder's.
        data_preprocessor (dict, optional): Defaults to mmaction2's
            ``ActionDataPreprocessor`` with the ImageNet mean / std (NCTHW).
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor or IMAGENET_VIDEO,
            init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.head = MODELS.build(head)
        if getattr(self.backbone, 'fc_norm', None) is not None:
            raise ValueError(
                'TemporalSegmenter pools tokens per temporal slice and '
                "never uses the encoder's fc_norm: build it with "
                'use_mean_pooling=False (its final norm, as in pretraining)')
        widths = (self.backbone.embed_dims, self.head.in_channels)
        tubelets = (self.backbone.patch_embed.tubelet_size,
                    self.head.tubelet_size)
        if widths[0] != widths[1] or tubelets[0] != tubelets[1]:
            raise ValueError(
                f'head (in_channels={widths[1]}, tubelet_size={tubelets[1]})'
                f' does not fit the encoder (embed_dims={widths[0]}, '
                f'tubelet_size={tubelets[0]})')

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List] = None,
                mode: str = 'tensor'):
        """``'loss'``: dict of losses; ``'predict'``: data samples with
        ``pred_frame_scores``; ``'tensor'``: slice logits (B * V, T', K)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_logits(inputs)
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')

    def extract_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """Slice logits (B * V, T', K) of clips (B, [V,] C, T, H, W),
        sample-major."""
        if inputs.dim() not in (5, 6):
            raise ValueError('inputs must be clips (B, [views,] C, T, H, W),'
                             f' got shape {tuple(inputs.shape)}')
        clips = inputs.flatten(0, 1) if inputs.dim() == 6 else inputs
        grid = self.backbone.patch_embed.token_grid(clips.shape)
        tokens, _ = self.backbone.encode_tokens(self.backbone.embed(clips))
        return self.head(tokens, grid)

    def loss(self, inputs: torch.Tensor,
             data_samples: List) -> Dict[str, torch.Tensor]:
        """Per-frame BCE of a batch with one view per sample."""
        logits = self.extract_logits(inputs)
        if logits.shape[0] != len(data_samples):
            raise ValueError(
                f'training takes one view per sample, got {logits.shape[0]} '
                f'views for {len(data_samples)} samples')
        return self.head.loss(logits, self.frame_labels(data_samples,
                                                        logits.device))

    def predict(self, inputs: torch.Tensor, data_samples: List) -> List:
        """Data samples with ``pred_frame_scores`` (T, K), view-averaged."""
        scores = self.head.predict(self.extract_logits(inputs))
        scores = scores.unflatten(0, (len(data_samples), -1)).mean(1)
        for sample, score in zip(data_samples, scores):
            sample.set_field(score.detach(), 'pred_frame_scores')
        return data_samples

    @staticmethod
    def frame_labels(data_samples: List,
                     device: torch.device) -> torch.Tensor:
        """The stacked ``frame_labels`` (B, T, K) of the data samples."""
        missing = [i for i, s in enumerate(data_samples)
                   if s.get('frame_labels') is None]
        if missing:
            raise KeyError(
                f'data samples {missing} have no frame_labels: pack them '
                "with PackActionInputs(algorithm_keys=('frame_labels', ))")
        labels = [torch.as_tensor(s.frame_labels) for s in data_samples]
        return torch.stack(labels).to(device=device, dtype=torch.float32)
