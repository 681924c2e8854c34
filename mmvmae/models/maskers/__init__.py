"""Model-side maskers: masks computed on the training device."""
from .base_token_masker import BaseTokenMasker, masks_from_visible

__all__ = ['BaseTokenMasker', 'masks_from_visible']
