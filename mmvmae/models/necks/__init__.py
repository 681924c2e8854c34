"""Necks: decoders and fusion modules."""
from .mae_decoder import MAEDecoder

__all__ = ['MAEDecoder']
