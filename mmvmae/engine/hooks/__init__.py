"""Hooks."""
from .reconstruction_visualization_hook import ReconstructionVisualizationHook

__all__ = ['ReconstructionVisualizationHook']
