"""Pretraining algorithms."""
from .adamae import AdaMAE
from .amd import AMD
from .token_masks import TokenMasks
from .videomae import VideoMAE

__all__ = ['AdaMAE', 'AMD', 'TokenMasks', 'VideoMAE']
