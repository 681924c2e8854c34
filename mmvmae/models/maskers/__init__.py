"""Model-side maskers: masks computed on the training device."""
from .adaptive_token_sampler import AdaptiveTokenSampler
from .base_token_masker import BaseTokenMasker, masks_from_visible
from .flow_guided_masker import FlowGuidedMasker

__all__ = [
    'AdaptiveTokenSampler', 'BaseTokenMasker', 'FlowGuidedMasker',
    'masks_from_visible'
]
