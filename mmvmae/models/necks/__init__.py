"""Necks: decoders and fusion modules."""
from .feature_generator import FeatureGenerator
from .mae_decoder import MAEDecoder

__all__ = ['FeatureGenerator', 'MAEDecoder']
from .projector import Projector  # noqa: E402

__all__ += ['Projector']
