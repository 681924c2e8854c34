"""Audio of the toy clips: a pulsed tone whose pitch gives the motion class.

Class ``k`` sounds at :func:`class_frequency` ``(k) = 300 * 2 ** (k / 2)``
Hz (half an octave apart: 300, 424, 600, ... 3394 Hz), detuned by at most
3 % per clip. The tone pulses at :func:`pulse_rate` beats per second, which
grows with the clip's speed, and carries a little white noise. It is mono,
sampled at :data:`SAMPLE_RATE` and lasts as long as the video.
"""
import wave

import av
import numpy as np

SAMPLE_RATE = 16000
BASE_FREQUENCY = 300.0
# Relative detuning of a clip's pitch, drawn uniformly in +-PITCH_JITTER.
PITCH_JITTER = 0.03
NOISE_STD = 0.01
# Raised-cosine fade at both ends, in seconds (no clicks at the cuts).
FADE = 0.005
# The --audio choices and the FFmpeg encoders that write them.
AUDIO_CODECS = {'aac': 'aac', 'mp3': 'libmp3lame'}


def class_frequency(label: int) -> float:
    """Return the nominal pitch of a class, in Hz.

    Args:
        label (int): The class label.

    Returns:
        float: ``300 * 2 ** (label / 2)``.
    """
    return BASE_FREQUENCY * 2**(label / 2)


def pulse_rate(speed: float) -> float:
    """Return the beats per second of a clip's tone.

    Args:
        speed (float): The frame widths the shape crosses during the clip,
            0.5 to 1.

    Returns:
        float: ``8 * speed``, 4 to 8 beats per second.
    """
    return 8.0 * speed


def num_samples(duration: float) -> int:
    """Return the number of audio samples of a clip of ``duration`` s."""
    return int(round(duration * SAMPLE_RATE))


def synthesize_audio(label: int, speed: float, duration: float,
                     rng: np.random.Generator) -> np.ndarray:
    """Synthesize the audio of one clip.

    Args:
        label (int): The class label; it sets the pitch.
        speed (float): The frame widths the shape crosses during the clip;
            it sets the pulse rate.
        duration (float): The clip length in seconds.
        rng (np.random.Generator): The random generator.

    Returns:
        np.ndarray: Mono waveform in [-1, 1], float32, shape
        (:func:`num_samples` (duration), ).
    """
    frequency = class_frequency(label) * (
        1 + rng.uniform(-PITCH_JITTER, PITCH_JITTER))
    amplitude = rng.uniform(0.3, 0.5)
    phase, pulse_phase = rng.uniform(0, 2 * np.pi, size=2)
    t = np.arange(num_samples(duration)) / SAMPLE_RATE
    envelope = 0.75 + 0.25 * np.cos(2 * np.pi * pulse_rate(speed) * t +
                                    pulse_phase)
    fade = np.clip(np.minimum(t, duration - t) / FADE, 0, 1)
    envelope *= 0.5 - 0.5 * np.cos(np.pi * fade)
    tone = amplitude * envelope * np.sin(2 * np.pi * frequency * t + phase)
    noise = rng.normal(0, NOISE_STD, size=t.shape)
    return np.clip(tone + noise, -1, 1).astype(np.float32)


def add_audio_stream(container: av.container.OutputContainer,
                     codec: str) -> av.audio.stream.AudioStream:
    """Add a mono :data:`SAMPLE_RATE` audio stream to an output container.

    Args:
        container (av.container.OutputContainer): The open container, before
            any packet is muxed.
        codec (str): A key of :data:`AUDIO_CODECS`.

    Returns:
        av.audio.stream.AudioStream: The new stream.
    """
    stream = container.add_stream(
        AUDIO_CODECS[codec], rate=SAMPLE_RATE, options={'threads': '1'})
    stream.layout = 'mono'
    return stream


def mux_audio(container: av.container.OutputContainer,
              stream: av.audio.stream.AudioStream,
              waveform: np.ndarray) -> None:
    """Encode a mono waveform into ``stream`` and flush the encoder.

    AAC and MP3 code whole frames (1024 and 1152 samples), so decoders
    return up to one frame of trailing silence after ``waveform``; the
    stream's duration in the container is that of ``waveform``.

    Args:
        container (av.container.OutputContainer): The open container.
        stream (av.audio.stream.AudioStream): From :func:`add_audio_stream`.
        waveform (np.ndarray): Float32 samples in [-1, 1], shape (N, ).
    """
    frame = av.AudioFrame.from_ndarray(
        waveform[None], format='fltp', layout='mono')
    frame.sample_rate = SAMPLE_RATE
    frame.pts = 0
    container.mux(stream.encode(frame))
    container.mux(stream.encode())


def write_wav(path: str, waveform: np.ndarray) -> None:
    """Write a mono waveform as a 16-bit PCM wav file at SAMPLE_RATE.

    Args:
        path (str): The output file.
        waveform (np.ndarray): Float samples in [-1, 1], shape (N, ).
    """
    pcm = np.rint(np.clip(waveform, -1, 1) * 32767).astype('<i2')
    with wave.open(path, 'wb') as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(SAMPLE_RATE)
        f.writeframes(pcm.tobytes())
