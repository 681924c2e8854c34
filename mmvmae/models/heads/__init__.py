"""Heads: targets and losses."""
from .pixel_reconstruction_head import PixelReconstructionHead

__all__ = ['PixelReconstructionHead']
