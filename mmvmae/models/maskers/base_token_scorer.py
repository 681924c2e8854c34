"""Base of the networks that score tokens for ``ScoreGuidedMasker``."""
from abc import abstractmethod
from typing import List, Optional, Tuple

import torch
from mmengine.model import BaseModule


class BaseTokenScorer(BaseModule):
    """Maps a clip to one score per token for ``ScoreGuidedMasker``.

    The interface is ``forward(inputs, grid, data_samples) -> (B, N)``:
    ``inputs`` is the normalized clip batch (B, C, T, H, W) on the training
    device, ``grid`` its token grid (T', H', W') and the scores come in
    ``(t h w)`` token order, ``N = T' * H' * W'``. ``data_samples`` carries
    whatever else a scorer needs per sample: a text-guided scorer (TGM)
    reads each sample's caption or its precomputed text embedding from
    there (packed with ``PackActionInputs(algorithm_keys=...)``), embeds
    the patches with a frozen image-text model and returns the per-token
    text-patch similarity, which the masker then masks first
    (``keep='low'``).

    A scorer runs under ``torch.no_grad`` (``VideoMAE.token_masks``);
    networks inside it are frozen, with their parameters set to
    ``requires_grad=False``, and load their weights in ``init_weights``
    (called by the runner, after the model is built).
    """

    @abstractmethod
    def forward(self,
                inputs: torch.Tensor,
                grid: Tuple[int, int, int],
                data_samples: Optional[List] = None) -> torch.Tensor:
        """Scores (B, N) of a normalized clip batch on ``grid``."""
