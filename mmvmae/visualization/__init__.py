"""Visualization helpers."""
from .reconstruction_grid import reconstruction_grid

__all__ = ['reconstruction_grid']
