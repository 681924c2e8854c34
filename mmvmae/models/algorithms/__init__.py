"""Pretraining algorithms."""
from .adamae import AdaMAE
from .token_masks import TokenMasks
from .videomae import VideoMAE

__all__ = ['AdaMAE', 'TokenMasks', 'VideoMAE']
