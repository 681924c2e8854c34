"""Pretraining algorithms."""
from .token_masks import TokenMasks
from .videomae import VideoMAE

__all__ = ['TokenMasks', 'VideoMAE']
