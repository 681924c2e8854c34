"""Kaldi log-mel filterbank of a waveform, the AST / Audio-MAE front end."""
from typing import Dict, Optional, Union

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from torchaudio.compliance import kaldi

from mmvmae.registry import TRANSFORMS

# AudioSet statistics of the 128-bin fbank and the scale of the std each
# codebase divides by; keep them next to the checkpoint they match.
NORM_PRESETS = {
    'audiomae': dict(mean=-4.2677393, std=4.5689974, std_scale=2.),
    'cavmae': dict(mean=-5.081, std=4.4849, std_scale=1.),
    'none': None,
}


def _norm_stats(norm: Union[str, dict]) -> Optional[dict]:
    """Resolve a preset name or an explicit ``dict(mean, std, std_scale)``.
    """
    if isinstance(norm, str):
        if norm not in NORM_PRESETS:
            raise ValueError(f'norm must be one of {tuple(NORM_PRESETS)} or '
                             f'dict(mean=..., std=..., std_scale=...), got '
                             f'{norm!r}')
        return NORM_PRESETS[norm]
    keys = set(norm) if isinstance(norm, dict) else set()
    if not {'mean', 'std'} <= keys <= {'mean', 'std', 'std_scale'}:
        raise ValueError('norm must be a preset name or dict(mean=..., '
                         f'std=..., std_scale=1.), got {norm!r}')
    stats = {'std_scale': 1., **norm}
    if stats['std'] <= 0 or stats['std_scale'] <= 0:
        raise ValueError(f'norm std and std_scale must be > 0, got {norm!r}')
    return stats


@TRANSFORMS.register_module()
class AudioFbank(BaseTransform):
    """Log-mel fbank of ``audio_waveform``, fixed length, normalized.

    Required keys: ``audio_waveform`` (1, samples) from
    :class:`LoadAudioWindow` (or (clips, 1, samples)) and
    ``audio_sample_rate``. Added key: ``audios``, float32
    (target_length, num_mel_bins) (or (clips, target_length,
    num_mel_bins)).

    Steps, in the order of the Audio-MAE / CAV-MAE data loaders:
    ``torchaudio.compliance.kaldi.fbank(htk_compat=True, window_type=
    'hanning', use_energy=False, dither=0)`` with 25 ms frames; zero-pad
    or crop the frames at the end to ``target_length``; SpecAugment (a
    frequency band and a time band set to 0, widths drawn uniformly up to
    ``freq_mask`` / ``time_mask`` with numpy's global generator) when
    configured; then ``(fbank - mean) / (std * std_scale)``. Masked and
    padded cells are therefore normalized too, as in those codebases.

    Args:
        num_mel_bins (int): Mel bins. Defaults to 128.
        frame_shift (float): Frame shift in ms. Defaults to 10.
        target_length (int): Frames after padding / cropping (10.24 s at a
            10 ms shift). Defaults to 1024.
        norm (str | dict): ``'audiomae'`` (AudioSet -4.2677393 / 4.5689974,
            std x 2), ``'cavmae'`` (AudioSet -5.081 / 4.4849, std x 1),
            ``'none'``, or ``dict(mean=..., std=..., std_scale=1.)``.
            Defaults to ``'audiomae'``.
        freq_mask (int): Largest SpecAugment frequency mask in bins; 0
            (default) for none. CAV-MAE fine-tuning uses 48.
        time_mask (int): Largest SpecAugment time mask in frames; 0
            (default) for none. CAV-MAE fine-tuning uses 192.
    """

    def __init__(self,
                 num_mel_bins: int = 128,
                 frame_shift: float = 10.,
                 target_length: int = 1024,
                 norm: Union[str, dict] = 'audiomae',
                 freq_mask: int = 0,
                 time_mask: int = 0) -> None:
        if target_length < 1:
            raise ValueError(
                f'target_length must be >= 1, got {target_length}')
        if not 0 <= freq_mask <= num_mel_bins:
            raise ValueError(f'freq_mask must be in [0, num_mel_bins='
                             f'{num_mel_bins}], got {freq_mask}')
        if not 0 <= time_mask <= target_length:
            raise ValueError(f'time_mask must be in [0, target_length='
                             f'{target_length}], got {time_mask}')
        self.num_mel_bins = num_mel_bins
        self.frame_shift = frame_shift
        self.target_length = target_length
        self.norm = norm
        self.stats = _norm_stats(norm)
        self.freq_mask = freq_mask
        self.time_mask = time_mask

    def fbank(self, waveform: np.ndarray, sample_rate: int) -> np.ndarray:
        """Kaldi fbank (frames, num_mel_bins) of a (1, samples) waveform."""
        return kaldi.fbank(
            torch.from_numpy(np.ascontiguousarray(waveform, np.float32)),
            htk_compat=True,
            sample_frequency=sample_rate,
            use_energy=False,
            window_type='hanning',
            num_mel_bins=self.num_mel_bins,
            dither=0.0,
            frame_shift=self.frame_shift).numpy()

    def fit_length(self, fbank: np.ndarray) -> np.ndarray:
        """Zero-pad or crop the frames at the end to ``target_length``."""
        fbank = fbank[:self.target_length]
        return np.pad(fbank, ((0, self.target_length - len(fbank)), (0, 0)))

    def spec_augment(self, fbank: np.ndarray) -> np.ndarray:
        """Zero one random frequency band and one random time band."""
        for axis, max_width in ((1, self.freq_mask), (0, self.time_mask)):
            if max_width:
                width = np.random.randint(0, max_width + 1)
                start = np.random.randint(0, fbank.shape[axis] - width + 1)
                index = [slice(None), slice(None)]
                index[axis] = slice(start, start + width)
                fbank[tuple(index)] = 0
        return fbank

    def features(self, waveform: np.ndarray, sample_rate: int) -> np.ndarray:
        """Normalized (target_length, num_mel_bins) of one waveform."""
        if waveform.ndim != 2 or waveform.shape[0] != 1:
            raise ValueError('AudioFbank needs a mono (1, samples) '
                             f'audio_waveform, got shape {waveform.shape}')
        fbank = self.spec_augment(self.fit_length(
            self.fbank(waveform, sample_rate)))
        if self.stats is not None:
            fbank = (fbank - self.stats['mean']) / (
                self.stats['std'] * self.stats['std_scale'])
        return fbank.astype(np.float32)

    def transform(self, results: Dict) -> Dict:
        """Add ``audios``."""
        waveform = np.asarray(results['audio_waveform'])
        rate = results['audio_sample_rate']
        if waveform.ndim == 3:
            results['audios'] = np.stack(
                [self.features(clip, rate) for clip in waveform])
        else:
            results['audios'] = self.features(waveform, rate)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_mel_bins={self.num_mel_bins}, '
                f'frame_shift={self.frame_shift}, '
                f'target_length={self.target_length}, norm={self.norm!r}, '
                f'freq_mask={self.freq_mask}, time_mask={self.time_mask})')
