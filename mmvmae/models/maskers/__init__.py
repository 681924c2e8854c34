"""Model-side maskers: masks computed on the training device."""
from .adaptive_token_sampler import AdaptiveTokenSampler
from .base_token_masker import BaseTokenMasker, masks_from_visible
from .base_token_scorer import BaseTokenScorer
from .encoder_scorer import EncoderTokenScorer
from .flow_guided_masker import FlowGuidedMasker
from .frame_difference_scorer import FrameDifferenceScorer
from .score_guided_masker import ScoreGuidedMasker
from .text_similarity_scorer import TextSimilarityScorer

__all__ = [
    'AdaptiveTokenSampler', 'BaseTokenMasker', 'FlowGuidedMasker',
    'masks_from_visible', 'BaseTokenScorer', 'EncoderTokenScorer',
    'FrameDifferenceScorer', 'ScoreGuidedMasker', 'TextSimilarityScorer'
]
