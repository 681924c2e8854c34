"""Read a span of audio from a video's audio track or from an audio file."""
import math
from typing import NamedTuple, Optional

import av
import numpy as np
import soundfile

# Seconds decoded before a seek target and thrown away: after a seek, MP3
# and AAC decoders need a frame or two of history (bit reservoir, MDCT
# overlap) before their output matches a decode from the start.
SEEK_PREROLL = 0.2


class AudioChunk(NamedTuple):
    """Decoded audio at the source's own rate.

    Attributes:
        samples (np.ndarray): float32 (channels, samples) in [-1, 1].
        sample_rate (int): Samples per second of the source.
        start (float): Time of the first sample in seconds of video time.
    """

    samples: np.ndarray
    sample_rate: int
    start: float


def frame_samples(frame: av.AudioFrame) -> np.ndarray:
    """A decoded PyAV frame as float32 (channels, samples) in [-1, 1]."""
    data = frame.to_ndarray()
    if not frame.format.is_planar:
        data = data.reshape(-1, len(frame.layout.channels)).T
    if data.dtype.kind == 'u':
        return ((data.astype(np.float32) - 128) / 128).astype(np.float32)
    if data.dtype.kind == 'i':
        scale = float(2**(8 * data.dtype.itemsize - 1))
        return (data / scale).astype(np.float32)
    return data.astype(np.float32, copy=False)


def _decode_span(container, stream, origin: float, start: float, end: float,
                 seek: bool) -> AudioChunk:
    """Decode the frames of ``stream`` that overlap [start, end) seconds
    of video time; ``origin`` is the container time of video time 0."""
    if seek:
        container.seek(int((origin + start - SEEK_PREROLL) /
                           stream.time_base), stream=stream)
    rate = stream.codec_context.sample_rate
    pieces, first, clock = [], start, 0.
    for frame in container.decode(stream):
        begin = clock if frame.time is None else frame.time - origin
        clock = begin + frame.samples / rate
        if clock <= start:
            continue
        if begin >= end:
            break
        if not pieces:
            first = begin
        pieces.append(frame_samples(frame))
    if not pieces:
        channels = stream.codec_context.channels
        return AudioChunk(np.zeros((channels, 0), np.float32), rate, start)
    return AudioChunk(np.concatenate(pieces, 1), rate, first)


def read_track(path: str, start: float, end: float) -> Optional[AudioChunk]:
    """Decode [start, end) seconds of the first audio track of a video.

    Time 0 is the start of the first video stream, the frame time of
    ``frame_inds == 0``. Decoding seeks to ``start`` (minus
    :data:`SEEK_PREROLL`) and decodes from the beginning instead if the
    seek lands after ``start`` or finds nothing. The chunk is placed by its
    first frame's timestamp, so its precision is the container's: exact in
    MP4, MOV and AVI, 0.5 ms in Matroska (millisecond timestamps).

    Returns:
        AudioChunk | None: The decoded frames overlapping the span (they may
        cover less of it, or none), or None if the video has no audio
        track.

    Raises:
        RuntimeError: If the audio track cannot be decoded; names the file.
    """
    with av.open(path) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        origin = 0.
        if container.streams.video:
            video = container.streams.video[0]
            if video.start_time is not None:
                origin = float(video.start_time * video.time_base)
        seek = start - SEEK_PREROLL > 0
        try:
            chunk = _decode_span(container, stream, origin, start, end, seek)
            if seek and (chunk.start > start or not chunk.samples.size):
                container.seek(0)
                chunk = _decode_span(container, stream, origin, start, end,
                                     False)
        except av.FFmpegError as error:
            raise RuntimeError(
                f'cannot decode the audio track of {path}: {error}') from error
    return chunk


def read_file(path: str, start: float, end: float) -> AudioChunk:
    """Read [start, end) seconds of an audio file whose time 0 is the
    video's first frame (any format libsndfile reads: wav, flac, ogg, mp3).

    Returns:
        AudioChunk: The samples inside the span, possibly fewer than it
        asks for (none past the end of the file).
    """
    with soundfile.SoundFile(path) as audio:
        rate = audio.samplerate
        first = min(max(0, math.floor(start * rate)), audio.frames)
        last = min(max(first, math.ceil(end * rate)), audio.frames)
        audio.seek(first)
        data = audio.read(last - first, dtype='float32', always_2d=True)
    return AudioChunk(np.ascontiguousarray(data.T), rate, first / rate)
