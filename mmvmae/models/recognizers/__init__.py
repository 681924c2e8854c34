"""Recognizers: fine-tuning and testing on labels."""
from .audio_visual_recognizer import AudioVisualRecognizer

__all__ = ['AudioVisualRecognizer']
