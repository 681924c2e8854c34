"""Recognizers: fine-tuning and testing on labels."""
from .audio_visual_recognizer import AudioVisualRecognizer

__all__ = ['AudioVisualRecognizer']
from .temporal_segmenter import TemporalSegmenter  # noqa: E402

__all__ += ['TemporalSegmenter']
