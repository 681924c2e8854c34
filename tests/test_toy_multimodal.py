"""Tests of the toy generator's optional modalities: audio, IMU, captions.

The generator lives in the implicit namespace package ``data_preparation``;
:func:`load` imports it with the repository root on ``sys.path``.
"""
import csv
import hashlib
import importlib
import json
import os
import os.path as osp
import re
import subprocess
import sys

import av
import decord
import numpy as np
import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load(name):
    """Import ``data_preparation.<name>`` from this checkout."""
    if REPO_ROOT not in sys.path:
        sys.path.insert(0, REPO_ROOT)
    return importlib.import_module(f'data_preparation.{name}')


toy = load('toy.generate_toy_dataset')
toy_audio = load('toy.toy_audio')
toy_captions = load('toy.toy_captions')
toy_imu = load('toy.toy_imu')

FRAMES = 16
DURATION = FRAMES / toy.FPS
SR = toy_audio.SAMPLE_RATE
# One video per class in train, two in val.
ARGS = dict(num_train=4, num_val=2, size=32, frames=FRAMES, num_classes=4)
ALL = dict(audio='aac', audio_file=True, imu=True, captions=True)
DIRECTION_WORD = re.compile(r'\b(left|right|up|down)')


def make(out_dir, **kwargs):
    args = dict(ARGS, seed=0, progress=False)
    args.update(kwargs)
    return toy.generate(str(out_dir), **args)


def clips(paths):
    """``(video name, label)`` of every train and val clip."""
    entries = []
    for key in ('train_list', 'val_list'):
        with open(paths[key]) as f:
            entries += [(name, int(label))
                        for name, label in map(str.split, f)]
    return entries


def stem(name):
    return osp.splitext(name)[0]


def decode_frames(path):
    reader = decord.VideoReader(str(path))
    return reader.get_batch(list(range(len(reader)))).asnumpy()


def decode_audio_pyav(path):
    with av.open(str(path)) as container:
        return np.concatenate(
            [frame.to_ndarray() for frame in container.decode(audio=0)],
            axis=1)[0]


def decode_audio_decord(path):
    return decord.AudioReader(
        str(path), sample_rate=SR, mono=True)[:].asnumpy()[0]


def label_of_pitch(waveform):
    """The class whose nominal pitch is nearest the FFT peak (log scale)."""
    spectrum = np.abs(np.fft.rfft(waveform))
    peak = np.argmax(spectrum) * SR / waveform.size
    return int(round(2 * np.log2(peak / toy_audio.BASE_FREQUENCY)))


def read_imu(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    return rows[0], np.array(rows[1:], dtype=np.float64)


def files_under(root):
    return sorted(
        osp.relpath(osp.join(folder, name), root)
        for folder, _, names in os.walk(root) for name in names)


@pytest.fixture(scope='module')
def mm_set(tmp_path_factory):
    return make(tmp_path_factory.mktemp('toy_mm') / 'toy', **ALL)


@pytest.fixture(scope='module')
def plain_set(tmp_path_factory):
    return make(tmp_path_factory.mktemp('toy_plain') / 'toy')


def test_layout(mm_set, plain_set):
    names = [name for name, _ in clips(mm_set)]
    root = osp.dirname(mm_set['meta'])
    expected = sorted(
        ['classes.txt', 'meta.json', 'pretrain_list.txt', 'train_list.txt',
         'val_list.txt', 'imu/channels.json', 'imu/faults.json'] +
        [f'{split}_captions.{ext}' for split in ('train', 'val')
         for ext in ('json', 'jsonl')] + [f'videos/{n}' for n in names] +
        [f'audio/{stem(n)}.wav' for n in names] +
        [f'imu/{stem(n)}.csv' for n in names])
    assert files_under(root) == expected
    assert all(osp.exists(path) for path in mm_set.values())
    assert set(mm_set) - set(plain_set) == {
        'audio_dir', 'imu_dir', 'imu_channels', 'imu_faults',
        'train_captions', 'val_captions', 'train_captions_jsonl',
        'val_captions_jsonl'
    }
    with open(mm_set['meta']) as f:
        meta = json.load(f)
    assert meta['modalities'] == dict(
        ALL, imu_dead_prob=0.0, imu_backwards_prob=0.0,
        audio_sample_rate=SR, imu_rate=50, version=1)


def test_defaults_unchanged(mm_set, plain_set):
    root = osp.dirname(plain_set['meta'])
    names = [name for name, _ in clips(plain_set)]
    assert files_under(root) == sorted(
        ['classes.txt', 'meta.json', 'pretrain_list.txt', 'train_list.txt',
         'val_list.txt'] + [f'videos/{n}' for n in names])
    with open(plain_set['meta']) as f:
        assert 'modalities' not in json.load(f)
    for key in ('train_list', 'val_list', 'pretrain_list', 'classes'):
        with open(plain_set[key], 'rb') as f1, open(mm_set[key], 'rb') as f2:
            assert f1.read() == f2.read()
    for name in names:
        plain = osp.join(plain_set['video_dir'], name)
        with av.open(plain) as container:
            assert not container.streams.audio
        assert np.array_equal(
            decode_frames(plain),
            decode_frames(osp.join(mm_set['video_dir'], name)))


def test_audio_pitch_is_class(mm_set):
    for name, label in clips(mm_set):
        video = osp.join(mm_set['video_dir'], name)
        wav = osp.join(mm_set['audio_dir'], stem(name) + '.wav')
        for waveform in (decode_audio_pyav(video), decode_audio_decord(video),
                         decode_audio_decord(wav)):
            assert label_of_pitch(waveform) == label, name


@pytest.mark.parametrize('label', range(8))
def test_synthesized_pitch_every_class(label):
    for seed in range(3):
        rng = np.random.default_rng(seed)
        waveform = toy_audio.synthesize_audio(label, 0.5 + seed / 4,
                                              DURATION, rng)
        assert waveform.dtype == np.float32
        assert waveform.size == round(DURATION * SR)
        assert label_of_pitch(waveform) == label


def test_audio_duration_and_alignment(mm_set):
    samples = round(DURATION * SR)
    for name, _ in clips(mm_set):
        video = osp.join(mm_set['video_dir'], name)
        with av.open(video) as container:
            stream = container.streams.video[0]
            audio = container.streams.audio[0]
            video_s = float(stream.duration * stream.time_base)
            audio_s = float(audio.duration * audio.time_base)
            assert (audio.codec_context.name, audio.sample_rate,
                    audio.layout.name) == ('aac', SR, 'mono')
        assert abs(video_s - DURATION) < 1 / toy.FPS
        assert abs(audio_s - video_s) < 1 / toy.FPS
        wav = decode_audio_decord(
            osp.join(mm_set['audio_dir'], stem(name) + '.wav'))
        assert wav.size == samples
        for decoded in (decode_audio_pyav(video), decode_audio_decord(video)):
            # Whole AAC frames: the padding after the clip is silence.
            assert samples <= decoded.size < samples + 1024
            assert np.abs(decoded[samples:]).max() < 0.02
            # Starts in sync with the wav: best lag 0.
            lags = range(-50, 51)
            scores = [
                np.dot(wav[max(0, -lag):samples - max(0, lag)],
                       decoded[max(0, lag):samples - max(0, -lag)])
                for lag in lags
            ]
            assert lags[int(np.argmax(scores))] == 0, name


def test_mp3_track(tmp_path):
    paths = make(tmp_path, num_train=2, num_val=0, audio='mp3')
    assert not osp.exists(osp.join(str(tmp_path), 'audio'))
    for name, label in clips(paths):
        video = osp.join(paths['video_dir'], name)
        with av.open(video) as container:
            assert container.streams.audio[0].codec_context.name.startswith(
                'mp3')
        waveform = decode_audio_decord(video)
        assert abs(waveform.size / SR - DURATION) < 1152 / SR
        assert label_of_pitch(waveform) == label
        assert len(decord.VideoReader(video)) == FRAMES


def test_imu_velocity_follows_motion(mm_set):
    with open(mm_set['imu_channels']) as f:
        spec = json.load(f)
    assert spec['sample_rate'] == 50 and spec['timestamp'] == 'timestamp'
    assert list(spec['devices']) == ['imu0', 'imu1', 'imu2']
    columns = ['timestamp'] + [
        column for device in spec['devices'].values()
        for column in device['columns']
    ]
    with open(mm_set['imu_faults']) as f:
        assert json.load(f) == {}
    for name, label in clips(mm_set):
        header, rows = read_imu(
            osp.join(mm_set['imu_dir'], stem(name) + '.csv'))
        assert header == columns
        assert np.allclose(rows[:, 0], np.arange(27) / 50)  # 0 to 0.52 s
        assert rows[-1, 0] < DURATION
        true = toy.direction(label)
        for device, info in spec['devices'].items():
            values = rows[:, [header.index(c) for c in info['columns']]]
            velocity, acceleration = values[:, :2].mean(0), values[:, 2:]
            assert np.array_equal(np.sign(np.round(velocity, 1)), true), (
                name, device, velocity)
            # Gain times a speed of 0.5 to 1 frame width per clip.
            speed = np.linalg.norm(velocity) / info['gain'] * DURATION
            assert 0.45 < speed < 1.05, (name, device, speed)
            assert np.abs(acceleration.mean(0)).max() < 0.1


def test_imu_faults(mm_set, tmp_path):
    paths = make(
        tmp_path, imu=True, imu_dead_prob=1.0, imu_backwards_prob=1.0)
    with open(paths['imu_faults']) as f:
        faults = json.load(f)
    names = [name for name, _ in clips(paths)]
    assert sorted(faults) == sorted(stem(n) + '.csv' for n in names)
    for csv_name, fault in faults.items():
        header, rows = read_imu(osp.join(paths['imu_dir'], csv_name))
        _, clean = read_imu(osp.join(mm_set['imu_dir'], csv_name))
        (dead, ), (k, k1) = fault['dead_devices'], fault['swapped_rows']
        assert k1 == k + 1
        steps = np.diff(rows[:, 0])
        assert np.flatnonzero(steps <= 0).tolist() == [k]
        dead_columns = [c.startswith(dead + '_') for c in header]
        assert np.isnan(rows[:, dead_columns]).all()
        assert not np.isnan(rows[:, np.logical_not(dead_columns)]).any()
        # Sorting by timestamp gives back the clean readings.
        rows = rows[np.argsort(rows[:, 0])]
        live = np.logical_not(dead_columns)
        assert np.array_equal(rows[:, live], clean[:, live])


def test_captions_mention_direction(mm_set):
    classes = toy.class_names(ARGS['num_classes'])
    for split in ('train', 'val'):
        with open(mm_set[f'{split}_captions']) as f:
            captions = json.load(f)
        with open(mm_set[f'{split}_captions_jsonl']) as f:
            lines = [json.loads(line) for line in f]
        entries = [(n, label) for n, label in clips(mm_set)
                   if n.startswith(split)]
        assert list(captions) == [name for name, _ in entries]
        assert lines == [
            dict(filename=name, text=captions[name], label=label)
            for name, label in entries
        ]
        for name, label in entries:
            texts = captions[name]
            assert len(set(texts)) == toy_captions.CAPTIONS_PER_CLIP
            for text in texts:
                words = set(DIRECTION_WORD.findall(text))
                assert words == set(classes[label].split('_')), text


@pytest.mark.parametrize('direction_name', toy.class_names(8))
def test_caption_grammar_every_direction(direction_name):
    rng = np.random.default_rng(0)
    for _ in range(20):
        shape = toy.SHAPES[rng.integers(3)]
        hue, radius, speed = rng.uniform(), rng.uniform(.12, .2), rng.uniform(
            .5, 1)
        for text in toy_captions.make_captions(shape, hue, radius,
                                               direction_name, speed, rng):
            assert set(DIRECTION_WORD.findall(text)) == set(
                direction_name.split('_'))
            assert toy_captions.colour_name(hue) in text or text.startswith(
                toy_captions.SPEED_ADVERBS[toy_captions.speed_band(speed)])
            assert ' a o' not in text and not text.startswith('a o')


def test_captions_load_in_video_text_dataset(mm_set):
    from mmaction.datasets import VideoTextDataset
    dataset = VideoTextDataset(
        ann_file=mm_set['train_captions'],
        pipeline=[],
        data_prefix=dict(video=mm_set['video_dir']))
    assert len(dataset) == ARGS['num_train'] * 3
    sample = dataset[0]
    assert osp.isfile(sample['filename'])
    assert isinstance(sample['text'], str) and sample['text']


def file_digests(paths):
    digest = {}
    for key in ('audio_dir', 'imu_dir'):
        for name in sorted(os.listdir(paths[key])):
            with open(osp.join(paths[key], name), 'rb') as f:
                digest[name] = hashlib.sha256(f.read()).hexdigest()
    for key in ('train_captions', 'val_captions_jsonl'):
        with open(paths[key], 'rb') as f:
            digest[key] = hashlib.sha256(f.read()).hexdigest()
    return digest


def test_deterministic(mm_set, tmp_path):
    again = make(tmp_path / 'again', **ALL)
    assert file_digests(again) == file_digests(mm_set)
    name = 'val_00001.mp4'
    assert np.array_equal(
        decode_audio_pyav(osp.join(again['video_dir'], name)),
        decode_audio_pyav(osp.join(mm_set['video_dir'], name)))
    other = file_digests(make(tmp_path / 'other', seed=1, **ALL))
    mine = file_digests(mm_set)
    # Every clip file and caption file changes; the spec does not.
    assert [key for key in mine if mine[key] == other[key]
            ] == ['channels.json', 'faults.json']


def test_skip_and_switch_modalities(tmp_path, capsys):
    make(tmp_path, num_train=2, num_val=0, **ALL)
    make(tmp_path, num_train=2, num_val=0, progress=True, **ALL)
    assert 'skipping' in capsys.readouterr().out
    paths = make(tmp_path, num_train=2, num_val=0, imu=True)
    assert files_under(str(tmp_path)) == sorted([
        'classes.txt', 'meta.json', 'pretrain_list.txt', 'train_list.txt',
        'val_list.txt', 'imu/channels.json', 'imu/faults.json',
        'imu/train_00000.csv', 'imu/train_00001.csv',
        'videos/train_00000.mp4', 'videos/train_00001.mp4'
    ])
    with av.open(osp.join(paths['video_dir'], 'train_00000.mp4')) as video:
        assert not video.streams.audio
    os.remove(osp.join(paths['imu_dir'], 'train_00001.csv'))
    make(tmp_path, num_train=2, num_val=0, imu=True)
    assert osp.isfile(osp.join(paths['imu_dir'], 'train_00001.csv'))


@pytest.mark.parametrize('kwargs, match', [
    (dict(audio='flac'), 'audio must be'),
    (dict(imu_dead_prob=0.5), 'imu_dead_prob=0.5 needs imu=True'),
    (dict(imu=True, imu_backwards_prob=1.5), r'imu_backwards_prob .*\[0, 1\]'),
])
def test_bad_modality_args(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make(tmp_path, **kwargs)
    assert not os.listdir(tmp_path)


def test_command_line_flags(tmp_path):
    script = osp.join(REPO_ROOT, 'data_preparation', 'toy',
                      'generate_toy_dataset.py')
    result = subprocess.run([
        sys.executable, script, '--out-dir',
        str(tmp_path), '--num-train', '2', '--num-val', '1', '--size', '32',
        '--frames', '8', '--audio', '--audio-file', '--imu', '--captions',
        '--imu-dead-prob', '1'
    ],
                            cwd=str(tmp_path),
                            capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert 'Muxed aac audio (16000 Hz, mono) into 3 videos' in result.stdout
    assert 'Wrote 3 IMU CSVs (3 devices, 50 Hz)' in result.stdout
    assert '3 dead devices, 0 with backwards timestamps' in result.stdout
    with open(tmp_path / 'meta.json') as f:
        modalities = json.load(f)['modalities']
    assert modalities['audio'] == 'aac' and modalities['imu_dead_prob'] == 1
    assert len(os.listdir(tmp_path / 'audio')) == 3
