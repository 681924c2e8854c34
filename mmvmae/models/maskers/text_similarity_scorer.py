"""Token scores from a frozen video-text model: TGM's caption similarity."""
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.logging import print_log

from mmvmae.registry import MODELS
from mmvmae.utils.encoder_checkpoint import read_weights
from ..algorithms.masked_video_text import build_projector, out_width
from ..encoders.text_encoder import captions_of
from .base_token_scorer import BaseTokenScorer


@MODELS.register_module()
class TextSimilarityScorer(BaseTokenScorer):
    """Cosine similarity of every video token to the sample's caption.

    TGM (Fan et al., ECCV 2024) masks the patches that correspond most to
    the caption, measured in CLIP's image-text space; use this scorer in a
    ``ScoreGuidedMasker`` with ``keep='low'``. Without CLIP, the
    similarity model here is a **video-text model trained by mmvmae**
    (``MaskedVideoText`` with a contrastive term): its frozen video
    encoder encodes the whole clip, each output token goes through the
    video projector (the one that maps the pooled tokens during
    training), the caption through the text encoder and text projector,
    and the score is their cosine similarity. The parts carry the names
    of ``MaskedVideoText``'s (``backbone``, ``text_encoder``,
    ``video_projector``, ``text_projector``), so its checkpoint loads by
    key. With a linear video projector the token embeddings average to the
    clip embedding the model was trained on.

    Everything is frozen (no gradients, eval mode). A sample whose caption
    is absent (``text_present`` False) gets equal scores for all tokens:
    the masker's random tie-break then masks it at random.

    Args:
        backbone (dict): Video encoder config (``VideoViT``), the trained
            model's.
        text_encoder (dict): ``TextEncoder`` config (built frozen).
        checkpoint (str): Local checkpoint of the video-text model; every
            weight of the scorer is read from it in :meth:`init_weights`.
        video_projector (dict, optional): ``Projector`` config; ``in_dims``
            defaults to the encoder width. Defaults to None (identity).
        text_projector (dict, optional): ``Projector`` config; ``in_dims``
            defaults to the text width. Defaults to None (identity).
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 backbone: dict,
                 text_encoder: dict,
                 checkpoint: str,
                 video_projector: Optional[dict] = None,
                 text_projector: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.backbone = MODELS.build(dict(backbone, frozen=True))
        self.text_encoder = MODELS.build(dict(text_encoder, freeze=True))
        self.video_projector = build_projector(
            video_projector, self.backbone.embed_dims, 'video_projector')
        self.text_projector = build_projector(
            text_projector, self.text_encoder.out_dims, 'text_projector')
        widths = (out_width(self.video_projector, self.backbone.embed_dims),
                  out_width(self.text_projector, self.text_encoder.out_dims))
        if widths[0] != widths[1]:
            raise ValueError(f'video token embeddings are {widths[0]} wide, '
                             f'caption embeddings {widths[1]}')
        self.checkpoint = checkpoint
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> 'TextSimilarityScorer':
        """Stay in eval mode (frozen similarity model)."""
        return super().train(False)

    def init_weights(self) -> None:
        """Read every weight from ``checkpoint``, strictly."""
        super().init_weights()
        weights = read_weights(self.checkpoint, 'the text-similarity scorer')
        own = self.state_dict()
        problems = [f'missing {key}' for key in own if key not in weights]
        problems += [
            f'{key}: {tuple(weights[key].shape)} in the checkpoint, '
            f'{tuple(value.shape)} in the scorer'
            for key, value in own.items()
            if key in weights and weights[key].shape != value.shape
        ]
        if problems:
            shown = '\n  '.join(problems[:10])
            raise ValueError(
                f'{self.checkpoint} does not fit TextSimilarityScorer '
                f'({len(problems)} problems; it expects a MaskedVideoText '
                f'checkpoint of the same architecture):\n  {shown}')
        self.load_state_dict({key: weights[key] for key in own})
        print_log(f'TextSimilarityScorer: {len(own)} tensors from '
                  f'{self.checkpoint}', logger='current')

    def token_embeddings(self, inputs: torch.Tensor) -> torch.Tensor:
        """Projected output tokens (B, N, D) of the whole clip."""
        tokens, _ = self.backbone.encode_tokens(self.backbone.embed(inputs))
        if self.video_projector is None:
            return tokens
        return self.video_projector(tokens)

    def caption_embeddings(self, texts: List[str],
                           present: torch.Tensor) -> torch.Tensor:
        """Projected caption features (B, D)."""
        feats = self.text_encoder(texts, present)
        if self.text_projector is None:
            return feats
        return self.text_projector(feats)

    @torch.no_grad()
    def forward(self,
                inputs: torch.Tensor,
                grid: Tuple[int, int, int],
                data_samples: Optional[List] = None) -> torch.Tensor:
        """Scores (B, N): cosine similarity of each token to the caption;
        0 everywhere for a sample without a caption."""
        if data_samples is None:
            raise ValueError('TextSimilarityScorer reads the captions from '
                             "the data samples (algorithm_keys=('text', "
                             "'text_present'))")
        texts, present = captions_of(data_samples)
        tokens = self.token_embeddings(inputs).float()
        captions = self.caption_embeddings(texts, present).float()
        scores = F.cosine_similarity(tokens, captions[:, None], dim=-1)
        present = present.to(scores.device)[:, None]
        return torch.where(present, scores, torch.zeros_like(scores))
