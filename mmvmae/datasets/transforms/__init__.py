"""Pipeline transforms: mask generators."""
from .mask_generator import BaseMaskGenerator
from .random_mask import RandomMaskGenerator
from .running_cell_mask import RunningCellDecoderMask
from .tube_mask import TubeMaskGenerator

__all__ = [
    'BaseMaskGenerator', 'RandomMaskGenerator', 'RunningCellDecoderMask',
    'TubeMaskGenerator'
]
