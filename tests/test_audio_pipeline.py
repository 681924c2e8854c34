"""Audio pipeline: clip-synchronized windows, fbank, policies, packing."""
import contextlib
import logging
import os.path as osp

import av
import numpy as np
import pytest
import soundfile
import torch
import torchaudio.functional as audio_functional
from conftest import FIXTURES, load_toy_generator
from mmengine.dataset import pseudo_collate
from mmengine.logging import MMLogger
from torchaudio.compliance import kaldi

from mmvmae.datasets.transforms.audio_sources import read_track
from mmvmae.registry import DATASETS, MODELS, TRANSFORMS

AVI = osp.join(FIXTURES, 'test.avi')  # mpeg4 video, 25 fps, mp3 stereo
WAV = osp.join(FIXTURES, 'test.wav')  # the same sound, 16 kHz stereo
needs_avi = pytest.mark.skipif(not osp.isfile(AVI), reason='no test.avi')
needs_wav = pytest.mark.skipif(not osp.isfile(WAV), reason='no test.wav')
KALDI_ARGS = dict(htk_compat=True, use_energy=False, window_type='hanning',
                  num_mel_bins=128, dither=0.0, frame_shift=10)


def build(cfg: dict):
    return TRANSFORMS.build(cfg)


def sampled(path: str, seed: int = 0, **sampler) -> dict:
    """DecordInit + SampleFrames results of a video."""
    np.random.seed(seed)
    sampler = dict(dict(clip_len=16, frame_interval=4), **sampler)
    results = build(dict(type='DecordInit'))(
        dict(filename=path, start_index=0, modality='RGB'))
    return build(dict(type='SampleFrames', **sampler))(results)


def clip(path: str, first: int, last: int, fps: float = 25.) -> dict:
    """Results of a clip of frames first..last of a video."""
    return dict(filename=path, frame_inds=np.arange(first, last + 1),
                avg_fps=fps, num_clips=1)


def whole_track(path: str) -> np.ndarray:
    """The mono (channel mean) audio track, decoded from the start."""
    with av.open(path) as container:
        frames = [f.to_ndarray() for f in container.decode(audio=0)]
    return np.concatenate(frames, 1).mean(0)


def write_video(path: str, frames: int = 10) -> str:
    """A 25 fps MPEG-4 video without an audio track."""
    with av.open(path, 'w') as container:
        video = container.add_stream('mpeg4', rate=25)
        video.width = video.height = 32
        video.pix_fmt = 'yuv420p'
        for i in range(frames):
            image = np.full((32, 32, 3), 20 * i % 255, np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format='rgb24')
            container.mux(video.encode(frame))
        container.mux(video.encode())
    return path


@contextlib.contextmanager
def warnings_logged():
    """Collect the messages of the current mmengine logger."""
    messages = []

    class Collect(logging.Handler):

        def emit(self, record):
            messages.append(record.getMessage())

    handler = Collect(logging.WARNING)
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


@needs_wav
def test_fbank_equals_torchaudio_kaldi_on_test_wav():
    samples, rate = soundfile.read(WAV, dtype='float32', always_2d=True)
    waveform = samples.T.mean(0, keepdims=True)
    expected = kaldi.fbank(torch.from_numpy(waveform), sample_frequency=rate,
                           **KALDI_ARGS)
    frames = len(expected)
    results = dict(audio_waveform=waveform, audio_sample_rate=rate)
    exact = build(dict(type='AudioFbank', norm='none',
                       target_length=frames))(dict(results))['audios']
    assert exact.dtype == np.float32 and exact.shape == (frames, 128)
    assert torch.equal(torch.from_numpy(exact), expected)
    padded = build(dict(type='AudioFbank', norm='none'))(
        dict(results))['audios']
    assert padded.shape == (1024, 128)
    assert np.array_equal(padded[:frames], exact)
    assert not padded[frames:].any()
    cropped = build(dict(type='AudioFbank', norm='none', target_length=100))(
        dict(results))['audios']
    assert np.array_equal(cropped, exact[:100])


@needs_avi
def test_mp3_track_of_test_avi_decodes():
    chunk = read_track(AVI, 0., 100.)
    assert chunk.sample_rate == 44100 and chunk.start == 0.
    assert chunk.samples.shape == (2, 289152)  # 6.557 s of stereo
    assert np.isfinite(chunk.samples).all() and chunk.samples.std() > 0.01
    if osp.isfile(WAV):  # test.wav holds the same sound at 16 kHz
        wav, _ = soundfile.read(WAV, dtype='float32', always_2d=True)
        ours = audio_functional.resample(
            torch.from_numpy(chunk.samples), 44100, 16000).numpy()
        assert ours.shape == wav.T.shape
        for channel in range(2):
            assert np.corrcoef(ours[channel], wav[:, channel])[0, 1] > 0.999


@needs_avi
@pytest.mark.parametrize('sampler', [
    dict(clip_len=16, frame_interval=4),
    dict(clip_len=8, frame_interval=2),
    dict(clip_len=5, frame_interval=3),
    dict(clip_len=1, frame_interval=1),
])
@pytest.mark.parametrize('sample_rate', [16000, 22050, 44100, 8000])
def test_window_duration_equals_sampled_clip(sampler, sample_rate):
    load = build(dict(type='LoadAudioWindow', sample_rate=sample_rate))
    for seed in range(3):
        results = load(sampled(AVI, seed, **sampler))
        inds, fps = results['frame_inds'], results['avg_fps']
        clip_seconds = (inds[-1] + 1 - inds[0]) / fps
        wave = results['audio_waveform']
        assert wave.dtype == np.float32 and wave.shape[0] == 1
        assert abs(wave.shape[1] / sample_rate - clip_seconds) <= \
            1 / sample_rate
        assert results['audio_sample_rate'] == sample_rate
        assert results['audios_present'] is True


@needs_avi
@pytest.mark.parametrize('first,last', [(0, 15), (25, 85), (100, 163)])
def test_track_window_is_the_clips_span_of_the_track(first, last):
    """At the track's own rate the window is exactly its slice of a decode
    from the start, though the reader seeks (MP3 needs a preroll)."""
    track = whole_track(AVI)
    results = build(dict(type='LoadAudioWindow', sample_rate=44100,
                         remove_mean=False))(clip(AVI, first, last))
    start = round(first / 25 * 44100)
    count = round((last + 1 - first) / 25 * 44100)
    expected = track[start:start + count]
    wave = results['audio_waveform'][0]
    assert wave.shape == (count, )
    assert np.array_equal(wave[:len(expected)], expected)
    # the track ends 3.3 ms before the video: padded within the tolerance
    assert not wave[len(expected):].any()


@needs_avi
def test_resampled_window_equals_resampled_track():
    track = audio_functional.resample(
        torch.from_numpy(whole_track(AVI)), 44100, 16000).numpy()
    for first, last in ((0, 15), (37, 99), (120, 150)):
        wave = build(dict(type='LoadAudioWindow', remove_mean=False))(
            clip(AVI, first, last))['audio_waveform'][0]
        expected = track[first * 640:(last + 1) * 640]
        np.testing.assert_allclose(wave, expected, atol=1e-5)


@needs_avi
@needs_wav
def test_track_and_separate_file_give_the_same_window():
    results = sampled(AVI, 1)
    track = build(dict(type='LoadAudioWindow'))(dict(results))
    separate = build(dict(type='LoadAudioWindow',
                          path_template='{dirname}/{stem}.wav',
                          expect_sample_rate=16000, expect_channels=2))(
                              dict(results))
    a, b = track['audio_waveform'][0], separate['audio_waveform'][0]
    assert a.shape == b.shape
    assert np.corrcoef(a, b)[0, 1] > 0.999
    assert abs(a.mean()) < 1e-6 and abs(b.mean()) < 1e-6  # mean removed


@pytest.mark.parametrize('codec', ['aac', 'mp3'])
def test_toy_track_window_is_its_span_and_matches_the_wav(tmp_path, codec):
    """MP4 with an AAC or MP3 track (30 fps, 16 kHz mono) and its wav."""
    load_toy_generator().generate(
        str(tmp_path), num_train=1, num_val=1, size=32, frames=24,
        progress=False, audio=codec, audio_file=True)
    video = str(tmp_path / 'videos' / 'train_00000.mp4')
    track = whole_track(video)
    from_track = build(dict(type='LoadAudioWindow', remove_mean=False,
                            expect_sample_rate=16000, expect_channels=1))
    from_wav = build(dict(type='LoadAudioWindow',
                          path_template='{dirname}/../audio/{stem}.wav',
                          remove_mean=False))
    for first, last in ((0, 7), (10, 20), (15, 23)):
        wave = from_track(clip(video, first, last, 30.))['audio_waveform'][0]
        start = round(first / 30 * 16000)
        assert wave.shape == (round((last + 1 - first) / 30 * 16000), )
        assert np.array_equal(wave, track[start:start + len(wave)])
        wav = from_wav(clip(video, first, last, 30.))['audio_waveform'][0]
        assert np.corrcoef(wave, wav)[0, 1] > 0.99


PCM = {  # sample format: (codec, dtype, scale, zero)
    's16': ('pcm_s16le', np.int16, 2.**15, 0),
    's32': ('pcm_s32le', np.int32, 2.**31, 0),
    'u8': ('pcm_u8', np.uint8, 128., 128),
    'flt': ('pcm_f32le', np.float32, 1., 0),
}


def write_pcm_video(path: str, sample_format: str) -> np.ndarray:
    """2 s of 25 fps video and 16 kHz stereo noise stored as packed PCM
    ``sample_format``; returns the stored sound as float (2, samples)."""
    codec, dtype, scale, zero = PCM[sample_format]
    sound = np.random.default_rng(0).uniform(-.5, .5, (2, 32000))
    stored = sound * scale + zero
    if np.issubdtype(dtype, np.integer):
        stored = np.round(stored)
    stored = stored.astype(dtype)
    with av.open(path, 'w') as container:
        video = container.add_stream('mpeg4', rate=25)
        video.width = video.height = 32
        video.pix_fmt = 'yuv420p'
        audio = container.add_stream(codec, rate=16000, layout='stereo')
        black = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8),
                                           format='rgb24')
        for _ in range(50):
            container.mux(video.encode(black))
        container.mux(video.encode())
        for start in range(0, 32000, 1000):
            packed = stored[:, start:start + 1000].T.reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(packed), format=sample_format,
                layout='stereo')
            frame.sample_rate, frame.pts = 16000, start
            container.mux(audio.encode(frame))
        container.mux(audio.encode())
    return ((stored.astype(np.float64) - zero) / scale).astype(np.float32)


@pytest.mark.parametrize('sample_format', sorted(PCM))
def test_integer_and_packed_pcm_tracks_are_scaled(tmp_path, sample_format):
    """MOV stores sample-exact timestamps: seeked windows are exact."""
    sound = write_pcm_video(str(tmp_path / 'pcm.mov'), sample_format)
    load = build(dict(type='LoadAudioWindow', remove_mean=False))
    for first in (0, 10, 27):
        wave = load(clip(str(tmp_path / 'pcm.mov'), first, first + 19))
        expected = sound.mean(0)[first * 640:first * 640 + 12800]
        assert expected.std() > 0.1
        np.testing.assert_allclose(wave['audio_waveform'][0], expected,
                                   atol=1e-6)


def test_millisecond_timestamps_place_windows_within_half_a_ms(tmp_path):
    """Matroska rounds timestamps to 1 ms, so a seeked window may start up
    to 0.5 ms (8 samples at 16 kHz) off; the samples themselves are
    intact."""
    path = str(tmp_path / 'pcm.mkv')
    sound = write_pcm_video(path, 'flt').mean(0)
    load = build(dict(type='LoadAudioWindow', remove_mean=False))
    for first in (0, 10, 27):
        wave = load(clip(path, first, first + 19))['audio_waveform'][0]
        start = first * 640
        lags = [
            lag for lag in range(-8, 9) if np.array_equal(
                wave[16:-16], sound[start + 16 + lag:start + 12784 + lag])
        ]
        assert len(lags) == 1


@needs_avi
def test_fixed_duration_window_is_centred_inside_the_video():
    load = build(dict(type='LoadAudioWindow', duration=2., sample_rate=8000,
                      remove_mean=False))
    track = audio_functional.resample(
        torch.from_numpy(whole_track(AVI)), 44100, 8000).numpy()
    for (first, last), start in (((50, 74), 1.5), ((0, 9), 0.),
                                 ((150, 163), 4.56)):
        results = clip(AVI, first, last)
        results['total_frames'] = 164
        wave = load(results)['audio_waveform'][0]
        assert wave.shape == (16000, )
        expected = track[round(start * 8000):round(start * 8000) + 16000]
        np.testing.assert_allclose(wave[:len(expected)], expected, atol=1e-5)
    longer = build(dict(type='LoadAudioWindow', duration=10.))
    with pytest.raises(ValueError, match='test.avi.*short'):
        longer(dict(clip(AVI, 0, 15), total_frames=164))


def test_video_without_audio_errors_naming_the_file(tmp_path):
    video = write_video(str(tmp_path / 'silent_film.mp4'))
    load = build(dict(type='LoadAudioWindow'))
    with pytest.raises(FileNotFoundError,
                       match='silent_film.mp4.*no audio track'):
        load(clip(video, 0, 7))


def test_video_without_audio_is_filled_flagged_counted(tmp_path):
    video = write_video(str(tmp_path / 'silent_film.mp4'))
    load = build(dict(type='LoadAudioWindow', on_missing='fill'))
    pipeline = [load, build(dict(type='AudioFbank', target_length=64))]
    with warnings_logged() as messages:
        for _ in range(2):
            results = clip(video, 0, 7)
            for transform in pipeline:
                results = transform(results)
    assert results['audios_present'] is False
    assert results['audio_waveform'].shape == (1, 5120)
    assert not results['audio_waveform'].any()
    assert np.isfinite(results['audios']).all()
    assert load.missing == 2 and load.short == 0
    assert sum('silent_film.mp4' in m and 'no audio track' in m
               for m in messages) == 2


def test_missing_audio_file_policy(tmp_path):
    video = write_video(str(tmp_path / 'v.mp4'))
    template = '{dirname}/../audio/{stem}.wav'
    with pytest.raises(FileNotFoundError, match=r'audio/v.wav'):
        build(dict(type='LoadAudioWindow', path_template=template))(
            clip(video, 0, 7))
    load = build(dict(type='LoadAudioWindow', path_template=template,
                      on_missing='fill'))
    results = load(clip(video, 0, 7))
    assert results['audios_present'] is False and load.missing == 1


def write_wav(path, seconds, rate=16000, channels=1, seed=0):
    noise = np.random.default_rng(seed).uniform(
        -.5, .5, (int(seconds * rate), channels)).astype(np.float32)
    soundfile.write(str(path), noise, rate, subtype='FLOAT')
    return noise


def test_sample_rate_or_channels_unlike_the_config_error(tmp_path):
    video = write_video(str(tmp_path / 'talk.mp4'), frames=50)
    write_wav(tmp_path / 'talk.wav', 2., rate=8000, channels=2)
    template = '{dirname}/{stem}.wav'
    with pytest.raises(ValueError, match=r'talk.wav: audio has 8000 Hz and 2 '
                       r'channels.*expect_sample_rate=16000'):
        build(dict(type='LoadAudioWindow', path_template=template,
                   expect_sample_rate=16000))(clip(video, 0, 24))
    with pytest.raises(ValueError, match=r'talk.wav.*expect_channels=1'):
        build(dict(type='LoadAudioWindow', path_template=template,
                   expect_channels=1))(clip(video, 0, 24))
    results = build(dict(type='LoadAudioWindow', path_template=template,
                         expect_sample_rate=8000, expect_channels=2))(
                             clip(video, 0, 24))
    assert results['audio_waveform'].shape == (1, 16000)


def test_short_audio_policy(tmp_path):
    video = write_video(str(tmp_path / 'clip.mp4'), frames=100)
    noise = write_wav(tmp_path / 'clip.wav', 1.)[:, 0]
    template = '{dirname}/{stem}.wav'
    with pytest.raises(ValueError, match=r'clip.wav: audio covers 0.000 to '
                       r'1.000 s of the window 0.000 to 2.000 s'):
        build(dict(type='LoadAudioWindow', path_template=template))(
            clip(video, 0, 49))
    load = build(dict(type='LoadAudioWindow', path_template=template,
                      on_short='pad', remove_mean=False))
    with warnings_logged() as messages:
        head = load(clip(video, 0, 49))
        after = load(clip(video, 50, 74))
    wave = head['audio_waveform'][0]
    assert np.array_equal(wave[:16000], noise) and not wave[16000:].any()
    assert head['audios_present'] is True
    assert after['audios_present'] is False and not after[
        'audio_waveform'].any()
    assert load.short == 2 and load.missing == 0
    assert len(messages) == 2 and all('clip.wav' in m for m in messages)
    # a gap within the tolerance is padded without a count
    write_wav(tmp_path / 'clip.wav', 1.95)
    tolerant = build(dict(type='LoadAudioWindow', path_template=template))
    tolerant(clip(video, 0, 49))
    assert tolerant.short == 0


@pytest.mark.parametrize('norm,mean,divisor', [
    ('audiomae', -4.2677393, 2 * 4.5689974),
    ('cavmae', -5.081, 4.4849),
    (dict(mean=-6.6268077, std=5.358466, std_scale=2.), -6.6268077,
     2 * 5.358466),
    (dict(mean=1., std=3.), 1., 3.),
])
def test_normalization_presets(norm, mean, divisor):
    waveform = np.random.default_rng(0).normal(
        0, .1, (1, 16000)).astype(np.float32)
    results = dict(audio_waveform=waveform, audio_sample_rate=16000)
    raw = build(dict(type='AudioFbank', norm='none'))(dict(results))['audios']
    normed = build(dict(type='AudioFbank', norm=norm))(dict(results))
    np.testing.assert_allclose(normed['audios'], (raw - mean) / divisor,
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize('norm', ['imagenet', dict(mean=0.), dict(
    mean=0., std=0.), dict(mean=0., std=1., scale=2)])
def test_bad_normalization_is_refused(norm):
    with pytest.raises(ValueError, match='norm'):
        build(dict(type='AudioFbank', norm=norm))


def test_spec_augment_masks_the_configured_widths():
    waveform = np.random.default_rng(0).normal(
        0, .1, (1, 16000)).astype(np.float32)  # 98 frames
    results = dict(audio_waveform=waveform, audio_sample_rate=16000)
    plain = build(dict(type='AudioFbank', norm='none',
                       target_length=98))(dict(results))['audios']
    assert np.all(plain != 0)
    augment = build(dict(type='AudioFbank', norm='none', target_length=98,
                         freq_mask=24, time_mask=40))
    np.random.seed(0)
    widths = {'freq': set(), 'time': set()}
    for _ in range(600):
        fbank = augment(dict(results))['audios']
        zero = fbank == 0
        # masked bins / frames are zero along the whole other axis
        cols, rows = np.flatnonzero(zero.all(0)), np.flatnonzero(zero.all(1))
        for name, band, limit in (('freq', cols, 24), ('time', rows, 40)):
            assert len(band) <= limit
            if len(band):
                assert np.array_equal(band, np.arange(band[0], band[-1] + 1))
            widths[name].add(len(band))
        expected = plain.copy()
        expected[:, cols] = 0
        expected[rows] = 0
        assert np.array_equal(fbank, expected)
    assert widths['freq'] == set(range(25))
    assert widths['time'] == set(range(41))


@needs_avi
def test_pipeline_is_deterministic_under_a_seed():
    pipeline = [
        build(dict(type='LoadAudioWindow')),
        build(dict(type='AudioFbank', target_length=256, freq_mask=16,
                   time_mask=32))
    ]
    outputs = []
    for _ in range(2):
        results = sampled(AVI, seed=3)
        for transform in pipeline:
            results = transform(results)
        outputs.append(results['audios'])
    assert np.array_equal(*outputs)


@pytest.mark.parametrize('cfg', [
    dict(sample_rate=0), dict(sample_rate=16000.5), dict(duration=0.),
    dict(on_missing='skip'), dict(on_short='fill'), dict(tolerance=-1)
])
def test_bad_arguments_are_refused(cfg):
    with pytest.raises(ValueError):
        build(dict(type='LoadAudioWindow', **cfg))


@needs_avi
def test_multi_clip_windows():
    results = build(dict(type='LoadAudioWindow', sample_rate=8000))(
        sampled(AVI, 0, clip_len=4, frame_interval=2, num_clips=3,
                test_mode=True))
    inds = results['frame_inds'].reshape(3, 4)
    assert len(set(inds[:, 0])) == 3
    assert results['audio_waveform'].shape == (3, 1, 7 * 320)  # 7 frames
    assert results['audios_present'].tolist() == [True] * 3
    audios = build(dict(type='AudioFbank', target_length=32))(
        results)['audios']
    assert audios.shape == (3, 32, 128)


@needs_avi
def test_video_clip_dataset_packs_audio_per_repeat(tmp_path):
    """Each repeat gets the audio of its own frames; a multimodal batch
    reaches the model through MultiModalDataPreprocessor."""
    ann = tmp_path / 'list.txt'
    ann.write_text(f'{AVI} 0\n')
    audio = [
        dict(type='LoadAudioWindow', on_missing='fill'),
        dict(type='AudioFbank', target_length=256),
    ]
    dataset = DATASETS.build(
        dict(type='VideoClipDataset', ann_file=str(ann),
             data_prefix=dict(video=''), num_repeats=3,
             sampler=dict(type='SampleFrames', clip_len=8, frame_interval=4),
             pipeline=audio + [
                 dict(type='Resize', scale=(32, 32), keep_ratio=False),
                 dict(type='FormatShape', input_format='NCTHW'),
                 dict(type='PackActionInputs', collect_keys=('imgs',
                                                             'audios'),
                      algorithm_keys=('audios_present', ))
             ]))
    np.random.seed(0)
    samples = dataset[0]
    np.random.seed(0)
    clips = dataset.load_clips(0)
    reference = [build(audio[1])(build(audio[0])(c))['audios']
                 for c in clips]
    starts = {int(c['frame_inds'][0]) for c in clips}
    assert len(starts) > 1  # the repeats sampled different frames
    for sample, expected in zip(samples, reference, strict=True):
        assert sample['inputs']['imgs'].shape == (1, 3, 8, 32, 32)
        assert sample['inputs']['audios'].shape == (256, 128)
        assert torch.equal(sample['inputs']['audios'],
                           torch.from_numpy(expected))
        assert sample['data_samples'].audios_present is True
    preprocessor = MODELS.build(
        dict(type='MultiModalDataPreprocessor',
             preprocessors=dict(
                 imgs=dict(type='ActionDataPreprocessor',
                           mean=[114.75] * 3, std=[57.375] * 3,
                           format_shape='NCTHW'),
                 audios=dict(type='ActionDataPreprocessor'))))
    batch = preprocessor(pseudo_collate(samples))
    assert batch['inputs']['imgs'].shape == (3, 1, 3, 8, 32, 32)
    assert batch['inputs']['audios'].shape == (3, 256, 128)
    assert batch['inputs']['audios'].dtype == torch.float32
    presence = torch.tensor(
        [s.audios_present for s in batch['data_samples']])
    assert presence.all()
