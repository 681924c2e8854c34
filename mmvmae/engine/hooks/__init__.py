"""Hooks."""
from .compile_modules_hook import CompileModulesHook
from .reconstruction_visualization_hook import ReconstructionVisualizationHook

__all__ = ['CompileModulesHook', 'ReconstructionVisualizationHook']
