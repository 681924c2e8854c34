"""Model-side maskers: masks computed on the training device."""
from .adaptive_token_sampler import AdaptiveTokenSampler
from .base_token_masker import BaseTokenMasker, masks_from_visible

__all__ = ['AdaptiveTokenSampler', 'BaseTokenMasker', 'masks_from_visible']
