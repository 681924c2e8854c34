"""Load the audio that spans a sampled video clip."""
import logging
import math
import os.path as osp
from typing import Dict, Optional, Tuple

import numpy as np
import torch
import torchaudio.functional as audio_functional
from mmcv.transforms import BaseTransform
from mmengine.logging import print_log

from mmvmae.registry import TRANSFORMS
from .audio_sources import AudioChunk, read_file, read_track
from .companion_files import clip_spans, companion_path

MISSING_POLICIES = ('error', 'fill')
SHORT_POLICIES = ('error', 'pad')
# Seconds read on each side of a window: context for the resampling filter.
RESAMPLE_CONTEXT = 0.05


def _choice(name: str, value: str, choices: Tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f'{name} must be one of {choices}, got {value!r}')
    return value


@TRANSFORMS.register_module()
class LoadAudioWindow(BaseTransform):
    """Cut the audio of a sampled clip, mix it to mono and resample it.

    Required keys: ``filename``, ``frame_inds`` and the frame rate
    (``avg_fps`` from ``DecordInit``, or ``fps``); ``total_frames`` keeps a
    fixed ``duration`` window inside the video. Added keys:
    ``audio_waveform``, float32 (1, samples), ``audio_sample_rate`` (int)
    and ``audios_present`` (bool); with ``num_clips > 1`` the waveform is
    (num_clips, 1, samples) and the flag (num_clips,).

    The clip spans ``t0 = frame_inds[0] / fps`` to
    ``t1 = (frame_inds[-1] + 1) / fps`` seconds of video time. The audio
    window is that span, ``round((t1 - t0) * sample_rate)`` samples, or,
    with ``duration``, a window of that length centred on the clip and
    shifted to lie inside the video (it starts at 0 when the video is
    shorter). The audio comes from the video's first audio track (PyAV,
    time 0 = the first video frame) or, with ``path_template``, from a
    separate file that starts with the video (soundfile); the video is
    opened once for all its clips. Channels are averaged to mono,
    resampled with ``torchaudio.functional.resample`` so that the output
    samples lie on the ``sample_rate`` grid from video time 0 (a window of
    a long recording equals the same span of the whole recording
    resampled), and the mean of the audio samples is removed (CAV-MAE,
    Audio-MAE).

    Policies (never silent: every fill and pad is counted in an attribute
    of this transform, per loader process, and logged with the file name):

    - A source whose sample rate or channel count differs from
      ``expect_sample_rate`` / ``expect_channels`` is always an error
      naming the file and both values.
    - ``on_missing``: no audio track, or no audio file, is an error naming
      the file (``'error'``), or a zero waveform with
      ``audios_present=False`` (``'fill'``, counted in :attr:`missing`).
    - ``on_short``: audio that leaves more than ``tolerance`` seconds of
      the window uncovered is an error naming the file and both spans
      (``'error'``), or the gap is zero-padded (``'pad'``, counted in
      :attr:`short`; ``audios_present`` is False only when nothing of the
      window is covered). Gaps up to ``tolerance`` (audio and video
      streams rarely end on the same sample) are zero-padded without a
      count.

    Args:
        sample_rate (int): Output samples per second. Defaults to 16000.
        path_template (str, optional): Audio file of a video, formatted with
            the video's ``{dirname}``, ``{stem}`` (file name without
            extension) and ``{basename}``, e.g. ``'{dirname}/{stem}.wav'``
            or ``'{dirname}/../audio/{stem}.flac'``. None reads the
            video's own audio track. Defaults to None.
        duration (float, optional): Fixed window length in seconds (e.g.
            10 for AudioSet-style clips); None takes the clip's span.
            Defaults to None.
        expect_sample_rate (int, optional): Required sample rate of the
            source. Defaults to None (any).
        expect_channels (int, optional): Required channel count of the
            source. Defaults to None (any).
        remove_mean (bool): Subtract the mean of the audio samples.
            Defaults to True.
        on_missing (str): ``'error'`` or ``'fill'``. Defaults to ``'error'``.
        on_short (str): ``'error'`` or ``'pad'``. Defaults to ``'error'``.
        tolerance (float): Seconds of a window that may lack audio before
            ``on_short`` applies. Defaults to 0.1.
    """

    def __init__(self,
                 sample_rate: int = 16000,
                 path_template: Optional[str] = None,
                 duration: Optional[float] = None,
                 expect_sample_rate: Optional[int] = None,
                 expect_channels: Optional[int] = None,
                 remove_mean: bool = True,
                 on_missing: str = 'error',
                 on_short: str = 'error',
                 tolerance: float = 0.1) -> None:
        if int(sample_rate) != sample_rate or sample_rate <= 0:
            raise ValueError(
                f'sample_rate must be a positive integer, got {sample_rate}')
        if duration is not None and duration <= 0:
            raise ValueError(f'duration must be > 0 or None, got {duration}')
        if tolerance < 0:
            raise ValueError(f'tolerance must be >= 0, got {tolerance}')
        self.sample_rate = int(sample_rate)
        self.path_template = path_template
        self.duration = duration
        self.expect_sample_rate = expect_sample_rate
        self.expect_channels = expect_channels
        self.remove_mean = remove_mean
        self.on_missing = _choice('on_missing', on_missing, MISSING_POLICIES)
        self.on_short = _choice('on_short', on_short, SHORT_POLICIES)
        self.tolerance = tolerance
        self.missing = 0
        self.short = 0

    def window(self, span: Tuple[float, float],
               results: Dict) -> Tuple[float, float]:
        """The audio window (start, end) in seconds of a clip span."""
        if self.duration is None:
            return span
        start = (span[0] + span[1] - self.duration) / 2
        if results.get('total_frames'):
            fps = results.get('avg_fps', results.get('fps'))
            start = min(start, results['total_frames'] / fps - self.duration)
        start = max(start, 0.)
        return start, start + self.duration

    def check_format(self, source: str, chunk: AudioChunk) -> None:
        """Fail if the source's rate or channels differ from the config."""
        channels = chunk.samples.shape[0]
        if ((self.expect_sample_rate is not None
             and chunk.sample_rate != self.expect_sample_rate)
                or (self.expect_channels is not None
                    and channels != self.expect_channels)):
            raise ValueError(
                f'{source}: audio has {chunk.sample_rate} Hz and {channels} '
                f'channels; the config expects expect_sample_rate='
                f'{self.expect_sample_rate} and expect_channels='
                f'{self.expect_channels}')

    def read(self, results: Dict, start: float,
             end: float) -> Tuple[str, Optional[AudioChunk]]:
        """The source's name and its audio in [start, end) seconds, or None
        when it is missing (after applying ``on_missing``)."""
        video = results['filename']
        if self.path_template is None:
            chunk = read_track(video, start, end)
            source, reason = video, 'the video has no audio track'
        else:
            source = companion_path(self.path_template, video)
            exists = osp.isfile(source)
            chunk = read_file(source, start, end) if exists else None
            reason = f'audio file of {video} does not exist'
        if chunk is None:
            if self.on_missing == 'error':
                raise FileNotFoundError(
                    f"{source}: {reason}; set on_missing='fill' to zero-fill "
                    'it and mark it absent in audios_present')
            self.missing += 1
            print_log(
                f'{source}: {reason}; zero-filled and marked absent '
                f'({self.missing} in this loader process)',
                logger='current', level=logging.WARNING)
            return source, None
        self.check_format(source, chunk)
        return source, chunk

    def check_coverage(self, source: str, chunk: AudioChunk, start: float,
                       end: float, gap: float) -> None:
        """Apply ``on_short`` if ``gap`` seconds of the window lack audio."""
        if gap <= self.tolerance:
            return
        stop = chunk.start + chunk.samples.shape[1] / chunk.sample_rate
        message = (f'{source}: audio covers {chunk.start:.3f} to {stop:.3f} '
                   f's of the window {start:.3f} to {end:.3f} s, {gap:.3f} s '
                   f'short (tolerance {self.tolerance} s)')
        if self.on_short == 'error':
            raise ValueError(f"{message}; set on_short='pad' to zero-pad it")
        self.short += 1
        print_log(f'{message}; zero-padded ({self.short} in this loader '
                  'process)', logger='current', level=logging.WARNING)

    def resampled(self, chunk: AudioChunk) -> Tuple[np.ndarray, float]:
        """Mono samples of ``chunk`` at ``sample_rate`` and the time of the
        first; they lie on the output rate's grid from video time 0."""
        mono, begin = chunk.samples.mean(0), chunk.start
        if chunk.sample_rate == self.sample_rate:
            return mono, begin
        # start at an instant on both rates' grids (every 1 / gcd seconds)
        step = chunk.sample_rate // math.gcd(chunk.sample_rate,
                                             self.sample_rate)
        skip = -round(begin * chunk.sample_rate) % step
        mono, begin = mono[skip:], begin + skip / chunk.sample_rate
        if mono.size:
            mono = audio_functional.resample(
                torch.from_numpy(mono), chunk.sample_rate,
                self.sample_rate).numpy()
        return mono, begin

    def cut(self, mono: np.ndarray, begin: float, start: float,
            num_samples: int) -> Tuple[np.ndarray, int]:
        """``num_samples`` of ``mono`` (first sample at ``begin`` seconds)
        from ``start`` seconds, zero-padded where it does not reach, and
        how many of them it covers."""
        offset = int(round((start - begin) * self.sample_rate))
        first = min(max(0, -offset), num_samples)
        last = max(first, min(num_samples, mono.size - offset))
        wave = np.zeros(num_samples, np.float32)
        wave[first:last] = mono[offset + first:offset + last]
        if self.remove_mean and last > first:
            wave[first:last] -= wave[first:last].mean()
        return wave, last - first

    def transform(self, results: Dict) -> Dict:
        """Add the clip's waveform, its sample rate and presence flag."""
        spans = clip_spans(results, 'LoadAudioWindow', 'audio')
        windows = [self.window(span, results) for span in spans]
        lengths = {round((end - start) * self.sample_rate)
                   for start, end in windows}
        if len(lengths) > 1:
            raise ValueError(
                f"{results['filename']}: the clips span different durations "
                f'({sorted(lengths)} samples); set duration for equal audio '
                'windows')
        num_samples = lengths.pop()
        source, chunk = self.read(
            results, min(start for start, _ in windows) - RESAMPLE_CONTEXT,
            max(end for _, end in windows) + RESAMPLE_CONTEXT)
        waves = np.zeros((len(windows), 1, num_samples), np.float32)
        present = np.zeros(len(windows), bool)
        if chunk is not None:
            mono, begin = self.resampled(chunk)
            for i, (start, _) in enumerate(windows):
                waves[i, 0], covered = self.cut(mono, begin, start,
                                                num_samples)
                present[i] = covered > 0
                self.check_coverage(
                    source, chunk, start,
                    start + num_samples / self.sample_rate,
                    (num_samples - covered) / self.sample_rate)
        single = len(windows) == 1
        results['audio_waveform'] = waves[0] if single else waves
        results['audios_present'] = bool(present[0]) if single else present
        results['audio_sample_rate'] = self.sample_rate
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(sample_rate={self.sample_rate}, '
                f'path_template={self.path_template!r}, '
                f'duration={self.duration}, on_missing={self.on_missing!r}, '
                f'on_short={self.on_short!r})')
