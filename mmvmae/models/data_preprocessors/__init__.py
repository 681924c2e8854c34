"""Data preprocessors."""
from .temporal_feature_preprocessor import TemporalFeaturePreprocessor

__all__ = ['TemporalFeaturePreprocessor']
