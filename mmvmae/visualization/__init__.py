"""Visualization helpers."""
from .mask_grid import mask_grid
from .reconstruction_grid import reconstruction_grid

__all__ = ['mask_grid', 'reconstruction_grid']
