"""IMU data (LoadIMUWindow) and IMU encoders (tokenizers, ViT, GIN)."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from conftest import FIXTURES, load_toy_generator
from torch import nn

from mmvmae.datasets.transforms import LoadIMUWindow
from mmvmae.datasets.transforms import load_imu_window as imu_module
from mmvmae.models.encoders import DeviceGraphEncoder, IMUEncoder
from mmvmae.models.encoders.device_graph_encoder import random_node_mask
from mmvmae.models.layers import (GINLayer, IMUPatchEmbed,
                                  IMUSpectrogramEmbed)
from mmvmae.registry import DATASETS, MODELS, TRANSFORMS

CHANNELS = dict(left=['lx', 'ly', 'lz'], right=['rx', 'ry', 'rz'])
SLOPES = np.array([[1., 2., -1.], [0.5, -3., 4.]])  # (device, channel)
BIASES = np.array([[0., 1., 2.], [3., -4., 5.]])


def linear_rows(times: np.ndarray) -> np.ndarray:
    """Rows ``[t, lx, ly, lz, rx, ry, rz]`` of a linear signal a*t + b."""
    values = SLOPES.reshape(1, -1) * times[:, None] + BIASES.reshape(1, -1)
    return np.concatenate([times[:, None], values], 1)


def write_csv(path: str, rows: np.ndarray,
              header=('timestamp', 'lx', 'ly', 'lz', 'rx', 'ry', 'rz')):
    with open(path, 'w') as file:
        file.write(','.join(header) + '\n')
        for row in rows:
            file.write(','.join('' if np.isnan(v) else repr(float(v))
                                for v in row) + '\n')
    return path


def clip(tmp_path, frame_inds, fps=30., **extra) -> dict:
    return dict(filename=str(tmp_path / 'clip.mp4'),
                frame_inds=np.asarray(frame_inds), avg_fps=fps, **extra)


def loader(**kwargs) -> LoadIMUWindow:
    options = dict(path_template='{dirname}/{stem}.csv', channels=CHANNELS,
                   num_samples=32)
    options.update(kwargs)
    return TRANSFORMS.build(dict(type='LoadIMUWindow', **options))


def expected_linear(times: np.ndarray) -> np.ndarray:
    return SLOPES[..., None] * times + BIASES[..., None]


@pytest.fixture
def recorded(tmp_path):
    """10 s of the linear signal at 50 Hz next to ``clip.mp4``."""
    write_csv(str(tmp_path / 'clip.csv'), linear_rows(np.arange(500) / 50))
    return tmp_path


@pytest.fixture
def logs(monkeypatch):
    messages = []
    monkeypatch.setattr(imu_module, 'print_log',
                        lambda msg, **kwargs: messages.append(msg))
    return messages


# ------------------------------------------------------------- the loader
def test_linear_signal_resampled_exactly(recorded):
    results = loader()(clip(recorded, np.arange(30, 46)))
    t0, t1 = 30 / 30, 46 / 30
    times = t0 + (t1 - t0) * np.arange(32) / 32
    assert results['imu'].dtype == np.float32
    assert results['imu'].shape == (2, 3, 32)
    np.testing.assert_allclose(results['imu'], expected_linear(times),
                               rtol=1e-6, atol=1e-6)
    assert results['imu_presence'].dtype == bool
    assert results['imu_presence'].tolist() == [True, True]


def test_offset_arg_and_key_shift_the_window(recorded):
    frames = np.arange(30, 46, 2)
    results = loader(offset=0.5, offset_key='imu_offset')(
        clip(recorded, frames, imu_offset=0.25))
    t0, t1 = 30 / 30 + 0.75, 45 / 30 + 0.75
    times = t0 + (t1 - t0) * np.arange(32) / 32
    np.testing.assert_allclose(results['imu'], expected_linear(times),
                               rtol=1e-6, atol=1e-6)
    with pytest.raises(KeyError, match='imu_offset'):
        loader(offset_key='imu_offset')(clip(recorded, frames))


def test_sample_rate_window_matches_clip_span(recorded):
    results = loader(num_samples=None, sample_rate=50.)(
        clip(recorded, np.arange(60, 120, 4), fps=25.))
    t0, t1 = 60 / 25, 117 / 25
    count = round((t1 - t0) * 50)
    assert results['imu'].shape == (2, 3, count)
    np.testing.assert_allclose(
        results['imu'], expected_linear(t0 + np.arange(count) / 50),
        rtol=1e-6, atol=1e-6)


@pytest.mark.skipif(not osp.isfile(osp.join(FIXTURES, 'test.mp4')),
                    reason='shared fixtures absent')
def test_window_of_a_real_video_matches_its_sampled_frames(tmp_path):
    video = osp.join(FIXTURES, 'test.mp4')
    write_csv(str(tmp_path / 'test.csv'), linear_rows(np.arange(3000) / 100))
    pipeline = [TRANSFORMS.build(t) for t in (
        dict(type='DecordInit'),
        dict(type='SampleFrames', clip_len=8, frame_interval=2,
             num_clips=1),
        dict(type='LoadIMUWindow', path_template=str(tmp_path) + '/{stem}'
             '.csv', channels=CHANNELS, num_samples=40))]
    np.random.seed(0)
    results = dict(filename=video, start_index=0, modality='RGB')
    for transform in pipeline:
        results = transform(results)
    fps, inds = results['avg_fps'], results['frame_inds']
    t0, t1 = inds[0] / fps, (inds[-1] + 1) / fps
    np.testing.assert_allclose(
        results['imu'], expected_linear(t0 + (t1 - t0) * np.arange(40) / 40),
        rtol=1e-5, atol=1e-5)


def test_npy_tables_equal_the_csv(recorded):
    rows = linear_rows(np.arange(500) / 50)
    names = ('timestamp', 'lx', 'ly', 'lz', 'rx', 'ry', 'rz')
    structured = np.zeros(len(rows), [(n, 'f8') for n in names])
    for i, name in enumerate(names):
        structured[name] = rows[:, i]
    np.save(recorded / 'clip_named.npy', structured)
    np.save(recorded / 'clip_plain.npy', rows)
    sample = clip(recorded, np.arange(30, 46))
    reference = loader()(dict(sample))['imu']
    named = loader(path_template='{dirname}/{stem}_named.npy')(dict(sample))
    plain = loader(path_template='{dirname}/{stem}_plain.npy',
                   timestamp_column=0,
                   channels=dict(left=[1, 2, 3], right=[4, 5, 6]))(
                       dict(sample))
    np.testing.assert_array_equal(named['imu'], reference)
    np.testing.assert_array_equal(plain['imu'], reference)
    with pytest.raises(ValueError, match='no names'):
        loader(path_template='{dirname}/{stem}_plain.npy',
               timestamp_column=0)(dict(sample))


def test_milliseconds_and_multiple_clips(tmp_path):
    rows = linear_rows(np.arange(500) / 50)
    rows[:, 0] *= 1000
    write_csv(str(tmp_path / 'clip.csv'), rows)
    results = loader(time_unit='ms')(
        clip(tmp_path, np.concatenate([np.arange(0, 16),
                                       np.arange(60, 76)]), num_clips=2))
    assert results['imu'].shape == (2, 2, 3, 32)
    assert results['imu_presence'].shape == (2, 2)
    for index, start in enumerate((0, 60)):
        t0, t1 = start / 30, (start + 16) / 30
        np.testing.assert_allclose(
            results['imu'][index],
            expected_linear(t0 + (t1 - t0) * np.arange(32) / 32),
            rtol=1e-6, atol=1e-6)


def test_backwards_timestamps_error_names_file_and_row(tmp_path, logs):
    rows = linear_rows(np.arange(500) / 50)
    clean = loader()(clip(write_csv_dir(tmp_path, 'clean', rows),
                          np.arange(30, 46)))['imu']
    rows[[5, 6]] = rows[[6, 5]]
    folder = write_csv_dir(tmp_path, 'swapped', rows)
    path = str(folder / 'clip.csv')
    with pytest.raises(ValueError) as error:
        loader()(clip(folder, np.arange(30, 46)))
    assert path in str(error.value)
    assert 'data row 6 (line 8)' in str(error.value)
    sorting = loader(on_unsorted='sort')
    np.testing.assert_array_equal(
        sorting(clip(folder, np.arange(30, 46)))['imu'], clean)
    assert sorting.unsorted == 1
    assert any(path in m and 'backwards' in m for m in logs)


def write_csv_dir(tmp_path, name, rows):
    folder = tmp_path / name
    folder.mkdir()
    write_csv(str(folder / 'clip.csv'), rows)
    return folder


def test_duplicate_timestamps_are_dropped_and_counted(tmp_path, logs):
    rows = linear_rows(np.arange(500) / 50)
    clean = loader()(clip(write_csv_dir(tmp_path, 'clean', rows),
                          np.arange(30, 46)))['imu']
    repeated = rows[[52, 52, 52]].copy()
    repeated[:, 1:] += 100.  # values that must not be used (first kept)
    duplicated = np.concatenate([rows[:53], repeated, rows[53:]])
    folder = write_csv_dir(tmp_path, 'dup', duplicated)
    transform = loader()
    np.testing.assert_array_equal(
        transform(clip(folder, np.arange(30, 46)))['imu'], clean)
    assert transform.duplicates == 3
    assert any('3 rows repeating a timestamp' in m for m in logs)


def test_non_finite_timestamp_names_the_row(tmp_path):
    rows = linear_rows(np.arange(500) / 50)
    rows[7, 0] = np.nan
    folder = write_csv_dir(tmp_path, 'nan', rows)
    with pytest.raises(ValueError, match=r'data row 7 \(line 9\)'):
        loader()(clip(folder, np.arange(30, 46)))


@pytest.mark.parametrize('fault', ['nan', 'constant', 'columns'])
def test_dead_device_policy(tmp_path, logs, fault):
    rows = linear_rows(np.arange(500) / 50)
    header = ['timestamp', 'lx', 'ly', 'lz', 'rx', 'ry', 'rz']
    if fault == 'nan':
        rows[:, 4:] = np.nan
    elif fault == 'constant':
        rows[:, 4:] = 9.81
    else:
        rows, header = rows[:, :5], header[:5]
    folder = tmp_path / fault
    folder.mkdir()
    write_csv(str(folder / 'clip.csv'), rows, header)
    sample = clip(folder, np.arange(30, 46))
    with pytest.raises(ValueError) as error:
        loader()(dict(sample))
    assert str(folder / 'clip.csv') in str(error.value)
    assert "'right'" in str(error.value)
    filling = loader(on_missing='fill', normalize='window')
    results = filling(dict(sample))
    assert results['imu_presence'].tolist() == [True, False]
    assert not results['imu'][1].any()
    assert results['imu'][0].any()
    assert filling.missing == 1
    assert any("'right' is dead" in m and 'clip.csv' in m for m in logs)


def test_channel_spec_errors_name_the_missing_columns(recorded):
    spec = dict(left=['lx', 'ly', 'lz'], right=['rx', 'r_why', 'rz'])
    with pytest.raises(ValueError, match=r"columns \['r_why'\] not found"):
        loader(channels=spec)(clip(recorded, np.arange(30, 46)))
    with pytest.raises(ValueError, match="no timestamp column 'time'"):
        loader(timestamp_column='time')(clip(recorded, np.arange(30, 46)))


@pytest.mark.parametrize('options, match', [
    (dict(channels=dict(a=['x', 'y'], b=['x'])), 'same number of channels'),
    (dict(channels={}), 'non-empty dict'),
    (dict(channels=dict(a='x')), 'non-empty list'),
    (dict(sample_rate=50.), 'exactly one of num_samples'),
    (dict(normalize='stats'), 'needs mean and std'),
    (dict(normalize='stats', mean=0., std=[1., 0., 1.]), 'positive'),
    (dict(normalize='stats', mean=[0., 1.], std=1.), 'does not broadcast'),
    (dict(mean=0.), "only used with normalize='stats'"),
    (dict(on_missing='skip'), 'on_missing must be one of'),
    (dict(time_unit='min'), 'time_unit must be one of'),
])
def test_bad_configs_fail_at_build_time(options, match):
    with pytest.raises(ValueError, match=match):
        loader(**options)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='clip.csv'):
        loader()(clip(tmp_path, np.arange(16)))


def test_short_recording_policy(tmp_path, logs):
    rows = linear_rows(np.arange(100) / 50)  # 0 .. 1.98 s
    folder = write_csv_dir(tmp_path, 'short', rows)
    sample = clip(folder, np.arange(45, 61))  # 1.5 .. 2.033 s
    with pytest.raises(ValueError, match='needs 1.500 to'):
        loader(tolerance=0.)(dict(sample))
    padding = loader(tolerance=0., on_short='pad')
    results = padding(dict(sample))
    times = 1.5 + (61 / 30 - 1.5) * np.arange(32) / 32
    np.testing.assert_allclose(results['imu'],
                               expected_linear(np.minimum(times, 1.98)),
                               rtol=1e-6, atol=1e-6)
    assert padding.short == 2  # both devices
    # within the tolerance the edge value is used without a policy
    loader(tolerance=0.1)(dict(sample))


def test_normalization(recorded):
    sample = clip(recorded, np.arange(30, 46))
    raw = loader()(dict(sample))['imu'].astype(np.float64)
    mean = [[1., 2., 3.], [4., 5., 6.]]
    stats = loader(normalize='stats', mean=mean, std=[2., 4., 8.])(
        dict(sample))['imu']
    np.testing.assert_allclose(
        stats, (raw - np.array(mean)[..., None]) /
        np.array([2., 4., 8.])[None, :, None], rtol=1e-5, atol=1e-5)
    window = loader(normalize='window')(dict(sample))['imu']
    np.testing.assert_allclose(window.mean(-1), 0, atol=1e-5)
    np.testing.assert_allclose(window.std(-1), 1, atol=1e-5)


def test_toy_imu_through_the_dataset_with_fill_and_sort(tmp_path, logs):
    root = str(tmp_path / 'toy')
    load_toy_generator().generate(
        root, num_train=6, num_val=1, frames=16, seed=0, progress=False,
        imu=True, imu_dead_prob=0.5, imu_backwards_prob=0.5)
    with open(osp.join(root, 'imu', 'channels.json')) as file:
        spec = json.load(file)
    with open(osp.join(root, 'imu', 'faults.json')) as file:
        faults = json.load(file)
    transform = dict(
        type='LoadIMUWindow', path_template='{dirname}/../imu/{stem}.csv',
        channels={name: device['columns']
                  for name, device in spec['devices'].items()},
        num_samples=16, on_missing='fill', on_unsorted='sort')
    dataset = DATASETS.build(dict(
        type='VideoClipDataset', ann_file=osp.join(root, 'train_list.txt'),
        data_prefix=dict(video=osp.join(root, 'videos')),
        sampler=dict(type='SampleFrames', clip_len=8, frame_interval=2),
        pipeline=[transform]))
    loading = dataset.pipeline.transforms[0]
    gains = np.array([d['gain'] for d in spec['devices'].values()])
    for index in range(len(dataset)):
        results = dataset[index]
        stem = osp.splitext(osp.basename(results['filename']))[0]
        dead = faults.get(stem + '.csv', {}).get('dead_devices', [])
        assert results['imu'].shape == (3, 4, 16)
        assert results['imu_presence'].tolist() == [
            name not in dead for name in spec['devices']]
        # the velocity channels of the live devices agree after their gain
        live = results['imu_presence']
        velocity = results['imu'][live, :2].mean(-1) / gains[live, None]
        assert np.abs(velocity - velocity.mean(0)).max() < 0.1
    assert loading.missing == sum(
        len(f['dead_devices']) for n, f in faults.items()
        if n.startswith('train'))
    assert loading.unsorted == sum(
        f['swapped_rows'] is not None for n, f in faults.items()
        if n.startswith('train'))
    assert loading.missing and loading.unsorted  # the faults were met
    assert len(logs) == loading.missing + loading.unsorted


# ------------------------------------------------------------ tokenizers
def test_patch_embed_tokens_are_local():
    torch.manual_seed(0)
    embed = IMUPatchEmbed(in_channels=3, embed_dims=8, patch_size=4)
    x = torch.randn(2, 4, 3, 32)
    tokens = embed(x)
    assert tokens.shape == (2, 4, 8, 8)
    changed = x.clone()
    changed[:, :, :, 8:12] += 1.  # patch 2 of every device
    diff = (embed(changed) - tokens).abs().sum(-1)
    assert diff[:, :, 2].min() > 0
    assert diff[:, :, [0, 1, 3, 4, 5, 6, 7]].max() == 0
    with pytest.raises(ValueError, match='not divisible by patch_size=4'):
        embed(torch.randn(1, 4, 3, 30))
    with pytest.raises(ValueError, match=r'\(B, devices, 3, samples\)'):
        embed(torch.randn(1, 4, 6, 32))


def test_spectrogram_matches_torchaudio():
    torchaudio = pytest.importorskip('torchaudio')
    torch.manual_seed(0)
    embed = IMUSpectrogramEmbed(in_channels=3, embed_dims=8, patch_size=16,
                                db_mean=0., db_std=1.)
    x = torch.randn(1, 2, 3, 320, dtype=torch.float64).float()
    image = embed.spectrogram(x)
    assert image.shape == (1, 2, 3, 128, 320)
    signal = x[0, 1, 2] - x[0, 1, 2].mean()
    spec = torchaudio.transforms.Spectrogram(
        n_fft=256, win_length=24, hop_length=1,
        window_fn=torch.hann_window)(signal[None])
    db = torchaudio.transforms.AmplitudeToDB()(spec)[0, :128, :320]
    torch.testing.assert_close(image[0, 1, 2], db, rtol=1e-4, atol=1e-3)
    assert embed(x).shape == (1, 2, 8 * 20, 8)
    assert embed.num_tokens(320) == 160


# --------------------------------------------------------------- encoder
def tiny_encoder(**kwargs) -> IMUEncoder:
    options = dict(type='IMUEncoder', arch=dict(embed_dims=16, depth=2,
                                                num_heads=2),
                   num_devices=3, in_channels=3, num_samples=32,
                   tokenizer=dict(type='IMUPatchEmbed', patch_size=8))
    options.update(kwargs)
    return MODELS.build(options)


@pytest.mark.parametrize('fusion, tokens', [('mean', 4), ('concat', 12)])
def test_encoder_shapes(fusion, tokens):
    torch.manual_seed(0)
    encoder = tiny_encoder(device_fusion=fusion)
    x = torch.randn(2, 3, 3, 32)
    assert encoder.num_tokens == tokens
    assert encoder(x).shape == (2, 16)
    assert encoder.embed(x).shape == (2, tokens, 16)
    ids = torch.tensor([[0, 2], [1, 3]])
    assert encoder(x, ids).shape == (2, 2, 16)
    assert encoder.device_features(x).shape == (2, 3, 16)
    with pytest.raises(ValueError, match=r'expected IMU input \(B, 3, 3, 32'):
        encoder(torch.randn(2, 4, 3, 32))


def test_spectrogram_encoder_shapes():
    encoder = tiny_encoder(
        num_samples=64, tokenizer=dict(type='IMUSpectrogramEmbed',
                                       patch_size=8, n_fft=32,
                                       win_length=8, num_freqs=16))
    assert encoder.num_tokens == 2 * 8
    assert encoder(torch.randn(2, 3, 3, 64), torch.tensor(
        [[0, 5, 9], [1, 2, 3]])).shape == (2, 3, 16)


def test_visible_only_forward():
    torch.manual_seed(0)
    encoder = tiny_encoder(device_fusion='concat', out_type='tokens').eval()
    x = torch.randn(2, 3, 3, 32)
    full = encoder(x)
    every = torch.arange(12).expand(2, -1)
    torch.testing.assert_close(encoder(x, every), full)
    ids = torch.tensor([[0, 5, 6, 11], [1, 2, 8, 9]])
    visible = encoder(x, ids)
    expected, _ = encoder.encode_tokens(
        torch.gather(encoder.embed(x), 1, ids[..., None].expand(-1, -1, 16)))
    torch.testing.assert_close(visible, expected)
    # 1-D patches are local: the data of hidden tokens cannot matter
    changed = x.clone()
    changed[0, 0, :, 8:16] += 5.  # token 1 (hidden in sample 0)
    changed[1, 2, :, 24:32] -= 5.  # token 11 (hidden in sample 1)
    torch.testing.assert_close(encoder(changed, ids), visible)
    assert not torch.allclose(encoder(changed), full)


@pytest.mark.parametrize('fusion', ['mean', 'concat'])
def test_absent_device_data_does_not_change_outputs(fusion):
    torch.manual_seed(0)
    encoder = tiny_encoder(device_fusion=fusion).eval()
    x = torch.randn(2, 3, 3, 32)
    presence = torch.tensor([[True, False, True], [True, True, True]])
    changed = x.clone()
    changed[0, 1] = torch.randn(3, 32) * 10
    pooled = encoder(x, presence=presence)
    torch.testing.assert_close(encoder(changed, presence=presence), pooled)
    ids = torch.tensor([[0, 2, 3], [1, 2, 3]])
    torch.testing.assert_close(encoder(changed, ids, presence),
                               encoder(x, ids, presence))
    features = encoder.device_features(changed, presence)
    assert not features[0, 1].any()
    torch.testing.assert_close(features,
                               encoder.device_features(x, presence))
    # the present sample is unaffected by its neighbour's absent device
    torch.testing.assert_close(pooled[1], encoder(x)[1])


def test_concat_pooling_leaves_out_absent_devices():
    torch.manual_seed(0)
    encoder = tiny_encoder(device_fusion='concat', out_type='tokens').eval()
    x = torch.randn(1, 3, 3, 32)
    presence = torch.tensor([[True, False, True]])
    tokens = encoder(x, presence=presence)
    expected = tokens[:, [0, 1, 2, 3, 8, 9, 10, 11]].mean(1)
    torch.testing.assert_close(encoder.pool(tokens, presence), expected)
    ids = torch.tensor([[1, 4, 5, 9]])
    torch.testing.assert_close(
        encoder.pool(tokens[:, ids[0]], presence, ids),
        tokens[:, [1, 9]].mean(1))


# ----------------------------------------------------------- device graph
def test_gin_layer_equals_hand_computation():
    torch.manual_seed(0)
    layer = GINLayer(2, 2, hidden_dims=3, norm='none', act='relu', eps=0.5,
                     apply_norm_act=False)
    h = torch.tensor([[[1., 2.], [-1., 0.5], [3., -2.]]])
    adjacency = torch.tensor([[[0., 1., 1.], [1., 0., 1.], [1., 1., 0.]]])
    first, second = layer.mlp[0], layer.mlp[3]
    expected = []
    for v in range(3):
        aggregated = 1.5 * h[0, v] + sum(h[0, u] for u in range(3) if u != v)
        hidden = torch.relu(first.weight @ aggregated + first.bias)
        expected.append(second.weight @ hidden + second.bias)
    torch.testing.assert_close(layer(h, adjacency)[0], torch.stack(expected))


def test_device_graph_equals_hand_computation_on_three_nodes():
    torch.manual_seed(0)
    graph = DeviceGraphEncoder(2, hidden_dims=3, out_dims=2, num_layers=1,
                               dropout=0., norm='none', act='relu',
                               last_norm_act=False)
    layer = graph.layers[0]
    with torch.no_grad():
        layer.mlp[0].weight.copy_(torch.tensor([[1., 0.], [0., 1.],
                                                [1., -1.]]))
        layer.mlp[0].bias.copy_(torch.tensor([0., -1., 0.5]))
        layer.mlp[3].weight.copy_(torch.tensor([[1., 1., 0.],
                                                [0., 2., -1.]]))
        layer.mlp[3].bias.zero_()
    x = torch.tensor([[[1., 2.], [-1., 0.5], [3., -2.]]])
    # node 0: [1,2] + [-1,.5] + [3,-2] = [3, .5] -> relu([3, -.5, 3]) ->
    # [3, 0, 3] -> [3, -3]; every node sums the same three vectors here.
    torch.testing.assert_close(graph(x), torch.tensor([[[3., -3.]] * 3]))
    # node 1 absent: nodes 0 and 2 sum [4, 0] -> relu([4, -1, 4.5]) ->
    # [4, 0, 4.5] -> [4, -4.5]; node 1 outputs zeros.
    presence = torch.tensor([[True, False, True]])
    torch.testing.assert_close(
        graph(x, presence),
        torch.tensor([[[4., -4.5], [0., 0.], [4., -4.5]]]))
    torch.testing.assert_close(graph.pool(graph(x, presence), presence),
                               torch.tensor([[4., -4.5]]))


def test_node_masking_uses_the_mask_embedding():
    torch.manual_seed(0)
    graph = DeviceGraphEncoder(4, hidden_dims=8, dropout=0.).eval()
    with torch.no_grad():
        graph.mask_token.normal_()
    x = torch.randn(2, 4, 4)
    node_mask = torch.tensor([[False, True, False, False],
                              [True, False, False, True]])
    replaced = torch.where(node_mask[..., None], graph.mask_token, x)
    masked = graph(x, node_mask=node_mask)
    torch.testing.assert_close(masked, graph(replaced))
    changed = x + node_mask[..., None] * 7.
    torch.testing.assert_close(graph(changed, node_mask=node_mask), masked)
    zeros = DeviceGraphEncoder(4, hidden_dims=8, dropout=0.,
                               mask_token=False).eval()
    torch.testing.assert_close(
        zeros(x, node_mask=node_mask),
        zeros(torch.where(node_mask[..., None], 0., x)))


def test_random_node_mask_counts_and_skips_absent_devices():
    presence = torch.tensor([[True] * 4, [True, False, True, True],
                             [False] * 4])
    generator = torch.Generator().manual_seed(0)
    mask = random_node_mask(presence, 0.5, generator)
    assert mask.sum(1).tolist() == [2, 1, 0]
    assert not (mask & ~presence).any()
    again = random_node_mask(presence, 0.5,
                             torch.Generator().manual_seed(0))
    assert torch.equal(mask, again)
    with pytest.raises(ValueError, match='ratio'):
        random_node_mask(presence, 1.5)


def test_absent_node_data_does_not_change_graph_outputs():
    torch.manual_seed(0)
    graph = DeviceGraphEncoder(4, hidden_dims=8, dropout=0.)  # train: BN
    x = torch.randn(3, 4, 4)
    presence = torch.tensor([[True, True, False, True]] * 3)
    changed = x.clone()
    changed[:, 2] = 50.
    out = graph(x, presence)
    torch.testing.assert_close(graph(changed, presence), out)
    assert not out[:, 2].any()
    with pytest.raises(ValueError, match='does not match nodes'):
        graph(x, presence[:, :3])


def test_gradients_reach_every_parameter():
    torch.manual_seed(0)
    encoder = tiny_encoder(device_fusion='concat')
    spectro = tiny_encoder(
        num_samples=64, tokenizer=dict(type='IMUSpectrogramEmbed',
                                       patch_size=8, n_fft=32,
                                       win_length=8, num_freqs=16))
    graph = DeviceGraphEncoder(16, hidden_dims=8, learn_eps=True)
    decoder = DeviceGraphEncoder(8, hidden_dims=8, out_dims=16,
                                 num_layers=1, last_norm_act=False,
                                 mask_token=False)
    presence = torch.tensor([[True, False, True], [True, True, True]])
    node_mask = torch.tensor([[True, False, False], [False, True, False]])
    x = torch.randn(2, 3, 3, 32)
    nodes = encoder.device_features(x, presence)
    latent = graph(nodes, presence, node_mask)
    recon = decoder(latent, presence, node_mask)
    loss = (encoder(x, torch.tensor([[0, 5, 8], [1, 5, 9]]), presence)
            * torch.randn(2, 3, 16)).sum()
    loss = loss + (recon * torch.randn_like(recon)).sum()
    loss = loss + (graph.pool(latent, presence) ** 2).sum()
    loss = loss + (spectro(torch.randn(2, 3, 3, 64)) *
                   torch.randn(2, 16)).sum()
    loss.backward()
    modules = dict(encoder=encoder, spectro=spectro, graph=graph,
                   decoder=decoder)
    for prefix, module in modules.items():
        for name, param in module.named_parameters():
            assert param.grad is not None, f'{prefix}.{name}'
            assert param.grad.abs().sum() > 0, f'{prefix}.{name}'


def test_modules_build_on_meta():
    with torch.device('meta'):
        encoder = tiny_encoder(tokenizer=dict(
            type='IMUSpectrogramEmbed', patch_size=8, n_fft=32,
            win_length=8, num_freqs=16), num_samples=64)
        graph = DeviceGraphEncoder(16, hidden_dims=8)
        x = torch.empty(2, 3, 3, 64)
        assert encoder(x).shape == (2, 16)
        assert graph(encoder.device_features(x)).shape == (2, 3, 8)
    assert isinstance(encoder.tokenizer, nn.Module)
