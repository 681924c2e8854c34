"""Sliding-window feature extraction (mmvmae.apis, extract_features tool)."""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import decord
import numpy as np
import pytest
import torch
from conftest import FIXTURES, REPO_ROOT, load_script, load_toy_generator
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmvmae.apis import (BadVideoError, FeatureExtractor, FeatureIndex,
                         SlidingWindows, collect_videos, extract_videos,
                         spatial_transform)
from mmvmae.registry import MODELS
from mmvmae.utils.checkpoint_convert import mmvmae_to_official

DEMO = osp.join(REPO_ROOT, 'configs', 'demo')
PRETRAIN = osp.join(DEMO, 'videomae_vit-tiny-p8_1xb8-toy_pretrain.py')
FINETUNE = osp.join(DEMO, 'videomae_vit-tiny-p8_1xb8-toy_finetune.py')
CAVMAE = osp.join(DEMO, 'cavmae_vit-tiny-p8_1xb8-toy_pretrain.py')
TOOL = osp.join(REPO_ROOT, 'tools', 'misc', 'extract_features.py')
# Demo encoder: 8 frames, 64x64, patch 8, tubelet 2; windows of 8 frames
# every 2nd frame (W = 16 source frames), a feature every 4 frames.
WINDOW_ARGS = dict(clip_len=8, frame_interval=2, stride=4)


def build_model(config: str) -> torch.nn.Module:
    """A randomly initialised model of a config (eval mode)."""
    init_default_scope('mmvmae')
    torch.manual_seed(0)
    return MODELS.build(Config.fromfile(config).model).eval()


def save_checkpoint(model: torch.nn.Module, path: str) -> str:
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


def write_video(path: str, frames: int, height: int = 48, width: int = 80,
                seed: int = 0) -> str:
    """Random RGB frames at 8 fps (mp4, libx264)."""
    video = np.random.default_rng(seed).integers(
        0, 256, (frames, height, width, 3), dtype=np.uint8)
    load_toy_generator().write_video(path, video, fps=8)
    return path


@pytest.fixture(scope='module')
def pretrain(tmp_path_factory):
    """The demo pretraining model and its checkpoint."""
    model = build_model(PRETRAIN)
    path = str(tmp_path_factory.mktemp('ckpt') / 'pretrain.pth')
    return model, save_checkpoint(model, path)


@pytest.fixture(scope='module')
def videos(tmp_path_factory) -> str:
    """a: 37 frames (48x80), b: 20 frames (72x56), short: 10 frames (< W)."""
    folder = tmp_path_factory.mktemp('videos')
    write_video(str(folder / 'a.mp4'), 37, seed=1)
    write_video(str(folder / 'b.mp4'), 20, height=72, width=56, seed=2)
    write_video(str(folder / 'short.mp4'), 10, seed=3)
    return str(folder)


def direct_features(model: torch.nn.Module, video: str, windows, size: int,
                    resize: str = 'crop', video_encoder=None) -> torch.Tensor:
    """Each window decoded on its own, through the model's own data
    preprocessor and video encoder (the reference)."""
    reader = decord.VideoReader(video)
    transform = spatial_transform(resize, size)
    encoder = video_encoder or model.backbone
    preprocessor = model.data_preprocessor
    if hasattr(preprocessor, 'preprocessors'):
        preprocessor = preprocessor.preprocessors['imgs']
    features = []
    for row in windows.frame_indices(len(reader)):
        frames = transform(list(reader.get_batch(list(row)).asnumpy()))
        clip = torch.from_numpy(np.stack(frames)).permute(3, 0, 1, 2)
        inputs, _ = preprocessor.preprocess([clip], None)
        with torch.no_grad():
            features.append(encoder(inputs)[0])
    return torch.stack(features)


@pytest.mark.parametrize('frames,tail,expected', [
    (37, 'drop', 6), (37, 'pad', 7), (36, 'drop', 6), (36, 'pad', 6),
    (16, 'drop', 1), (16, 'pad', 1), (10, 'drop', 0), (10, 'pad', 1),
    (0, 'pad', 0)])
def test_window_count(frames, tail, expected):
    windows = SlidingWindows(tail=tail, **WINDOW_ARGS)
    assert windows.window == 16
    assert windows.num_windows(frames) == expected
    indices = windows.frame_indices(frames)
    assert indices.shape == (expected, 8)
    if expected:
        np.testing.assert_array_equal(indices[:, 0],
                                      np.arange(expected) * 4)
        unclamped = np.arange(8) * 2 + indices[:, :1]
        np.testing.assert_array_equal(indices,
                                      np.minimum(unclamped, frames - 1))
    if tail == 'pad' and expected:  # the last window reaches the last frame
        assert indices[-1, 0] + windows.window >= frames


def test_window_arguments_are_checked():
    with pytest.raises(ValueError, match='stride'):
        SlidingWindows(clip_len=8, stride=0)
    with pytest.raises(ValueError, match='tail'):
        SlidingWindows(clip_len=8, tail='wrap')


@pytest.mark.parametrize('tail,resize', [('drop', 'crop'), ('pad', 'square')])
def test_features_equal_encoder_on_each_window(pretrain, videos, tmp_path,
                                               tail, resize):
    model, checkpoint = pretrain
    extractor = FeatureExtractor(PRETRAIN, checkpoint, batch_size=4,
                                 tail=tail, resize=resize, **WINDOW_ARGS)
    video = osp.join(videos, 'a.mp4')
    summary = extract_videos(extractor, collect_videos([video]),
                             str(tmp_path), progress=False)
    assert summary.extracted == ['a'] and not summary.failed
    features = np.load(tmp_path / 'a.npy')
    expected = direct_features(model, video, extractor.windows, 64, resize)
    assert features.dtype == np.float32
    assert features.shape == (6 if tail == 'drop' else 7, 96)
    np.testing.assert_allclose(features, expected.numpy(), atol=1e-5,
                               rtol=1e-5)


def test_index_json(pretrain, videos, tmp_path):
    _, checkpoint = pretrain
    extractor = FeatureExtractor(PRETRAIN, checkpoint, **WINDOW_ARGS)
    extract_videos(extractor, collect_videos([videos + '/a.mp4']),
                   str(tmp_path), progress=False)
    with open(tmp_path / 'index.json') as f:
        index = json.load(f)
    assert index['format'] == 'mmvmae-features/1'
    assert index['config'] == PRETRAIN and index['checkpoint'] == checkpoint
    assert (index['feature_dim'], index['window'], index['stride']) == (96,
                                                                        16, 4)
    assert (index['clip_len'], index['frame_interval']) == (8, 2)
    assert index['pooling'] == 'mean' and index['tail'] == 'drop'
    assert index['resize'] == 'crop' and index['input_size'] == 64
    assert index['mean'] == [123.675, 116.28, 103.53]
    assert 'i*S + W/2' in index['time_convention']
    assert index['tail_convention'].startswith('windows start at i*S')
    entry = index['videos']['a']
    assert entry['file'] == 'a.npy' and entry['num_features'] == 6
    assert entry['num_frames'] == 37 and entry['fps'] == 8.0
    assert entry['duration'] == pytest.approx(37 / 8)
    assert entry['source']['path'] == osp.abspath(videos + '/a.mp4')
    assert index['failed'] == {}


def test_resume_skips_finished_and_redoes_changed(pretrain, videos,
                                                  tmp_path):
    _, checkpoint = pretrain
    folder = tmp_path / 'videos'
    shutil.copytree(videos, folder)
    os.remove(folder / 'short.mp4')
    out = str(tmp_path / 'features')
    extractor = FeatureExtractor(PRETRAIN, checkpoint, **WINDOW_ARGS)
    sources = collect_videos([str(folder)])

    def run(extractor, **kwargs):
        return extract_videos(extractor, sources, out, progress=False,
                              **kwargs)

    assert run(extractor).extracted == ['a', 'b']
    assert run(extractor).skipped == ['a', 'b']
    # A missing feature file and a changed video are redone.
    os.remove(osp.join(out, 'a.npy'))
    write_video(str(folder / 'b.mp4'), 24, seed=5)
    summary = run(extractor)
    assert summary.extracted == ['a', 'b'] and summary.skipped == []
    assert np.load(osp.join(out, 'b.npy')).shape == (3, 96)
    assert run(extractor, overwrite=True).extracted == ['a', 'b']
    # Other settings: every video is redone and the index says so.
    other = FeatureExtractor(PRETRAIN, checkpoint, clip_len=8,
                             frame_interval=2, stride=8)
    assert run(other).extracted == ['a', 'b']
    with open(osp.join(out, 'index.json')) as f:
        index = json.load(f)
    assert index['stride'] == 8
    assert index['videos']['a']['num_features'] == 3
    assert np.load(osp.join(out, 'a.npy')).shape == (3, 96)
    assert run(other).skipped == ['a', 'b']


def test_killed_run_loses_finished_videos_only(pretrain, videos, tmp_path,
                                               monkeypatch):
    _, checkpoint = pretrain
    extractor = FeatureExtractor(PRETRAIN, checkpoint, **WINDOW_ARGS)
    sources = collect_videos([videos + '/a.mp4', videos + '/b.mp4'])
    extract = extractor.extract

    def killed_on_b(path):
        if path.endswith('b.mp4'):
            raise KeyboardInterrupt
        return extract(path)

    monkeypatch.setattr(extractor, 'extract', killed_on_b)
    with pytest.raises(KeyboardInterrupt):
        extract_videos(extractor, sources, str(tmp_path), progress=False)
    with open(tmp_path / 'index.json') as f:
        assert sorted(json.load(f)['videos']) == ['a']
    monkeypatch.setattr(extractor, 'extract', extract)
    summary = extract_videos(extractor, sources, str(tmp_path),
                             progress=False)
    assert summary.skipped == ['a'] and summary.extracted == ['b']


def test_bad_videos(pretrain, videos, tmp_path):
    _, checkpoint = pretrain
    bad = tmp_path / 'broken.mp4'
    bad.write_bytes(b'not a video' * 100)
    extractor = FeatureExtractor(PRETRAIN, checkpoint, **WINDOW_ARGS)
    out = str(tmp_path / 'features')
    sources = collect_videos([str(bad), videos])
    with pytest.raises(BadVideoError, match='broken.mp4'):
        extract_videos(extractor, sources, out, progress=False)
    # Sorted by id: a and b were extracted before 'broken' stopped the run.
    summary = extract_videos(extractor, sources, out, skip_bad=True,
                             progress=False)
    assert summary.skipped == ['a', 'b'] and summary.extracted == []
    assert sorted(summary.failed) == ['broken', 'short']
    assert 'fewer than one window (16)' in summary.failed['short']
    with open(osp.join(out, 'index.json')) as f:
        index = json.load(f)
    assert sorted(index['failed']) == ['broken', 'short']
    assert index['failed']['broken']['source'] == str(bad)
    assert 'broken.mp4' in index['failed']['broken']['error']
    assert not osp.exists(osp.join(out, 'broken.npy'))
    # With a padded tail the short video gets one window.
    padded = FeatureExtractor(PRETRAIN, checkpoint, tail='pad',
                              **WINDOW_ARGS)
    summary = extract_videos(padded, collect_videos([videos]), out,
                             progress=False)
    assert summary.extracted == ['a', 'b', 'short']
    assert np.load(osp.join(out, 'short.npy')).shape == (1, 96)


def test_collect_videos(videos, tmp_path):
    ann = dict(database={
        'a': dict(subset='training', duration=4.6, fps=8., annotations=[]),
        'b': dict(subset='validation', duration=2.5, fps=8.,
                  annotations=[]),
        'gone': dict(subset='validation', duration=1., fps=8.,
                     annotations=[])})
    ann_file = tmp_path / 'tad.json'
    ann_file.write_text(json.dumps(ann))
    sources = collect_videos([str(ann_file)], video_root=videos)
    assert [s.video_id for s in sources] == ['a', 'b', 'gone']
    assert sources[0].path == osp.join(videos, 'a.mp4')
    assert sources[0].error is None and 'gone' in sources[2].error
    validation = collect_videos([str(ann_file)], videos, subset='validation')
    assert [s.video_id for s in validation] == ['b', 'gone']
    listed = tmp_path / 'list.txt'
    listed.write_text('# videos\na.mp4 3\n\nb.mp4 1\n')
    assert [s.path for s in collect_videos([str(listed)], videos)] == [
        osp.join(videos, 'a.mp4'), osp.join(videos, 'b.mp4')]
    assert [s.video_id for s in collect_videos([videos])] == [
        'a', 'b', 'short']
    other = tmp_path / 'other'
    other.mkdir()
    shutil.copy(osp.join(videos, 'a.mp4'), other / 'a.avi')
    with pytest.raises(ValueError, match="two videos have the id 'a'"):
        collect_videos([videos, str(other)])
    with pytest.raises(FileNotFoundError, match='missing.mp4'):
        collect_videos([str(tmp_path / 'missing.mp4')])
    empty = tmp_path / 'empty.txt'
    empty.write_text('')
    with pytest.raises(ValueError, match='no videos found'):
        collect_videos([str(empty)])


def test_annotated_video_without_file_fails_clearly(pretrain, videos,
                                                    tmp_path):
    _, checkpoint = pretrain
    ann_file = tmp_path / 'tad.json'
    ann_file.write_text(json.dumps(dict(database=dict(gone=dict(
        subset='validation', duration=1., fps=8., annotations=[])))))
    extractor = FeatureExtractor(PRETRAIN, checkpoint, **WINDOW_ARGS)
    sources = collect_videos([str(ann_file)], video_root=videos)
    with pytest.raises(BadVideoError, match="no video file for 'gone'"):
        extract_videos(extractor, sources, str(tmp_path), progress=False)


def test_ranks_write_shards_and_rank0_merges(pretrain, videos, tmp_path):
    _, checkpoint = pretrain
    extractor = FeatureExtractor(PRETRAIN, checkpoint, **WINDOW_ARGS)
    sources = collect_videos([videos + '/a.mp4', videos + '/b.mp4'])
    out = str(tmp_path)
    shards = ['a.npy', 'b.npy', 'index.rank0.json', 'index.rank1.json']
    merged = ['a.npy', 'b.npy', 'index.json']

    def run_ranks():
        return [
            extract_videos(extractor, sources, out, rank=rank, world_size=2,
                           overwrite=True, progress=False).extracted
            for rank in (0, 1)
        ]

    assert run_ranks() == [['a'], ['b']]
    assert sorted(os.listdir(out)) == shards
    FeatureIndex(out, extractor.header, rank=0, world_size=2).merge()
    assert sorted(os.listdir(out)) == merged
    with open(osp.join(out, 'index.json')) as f:
        assert sorted(json.load(f)['videos']) == ['a', 'b']
    # A single process after a killed multi-process run reads the shards
    # (nothing to redo) and merges them.
    run_ranks()
    assert sorted(os.listdir(out)) == sorted(shards + ['index.json'])
    assert extract_videos(extractor, sources, out,
                          progress=False).skipped == ['a', 'b']
    assert sorted(os.listdir(out)) == merged


@pytest.mark.parametrize('config,encoder_of', [
    (FINETUNE, lambda model: model.backbone),
    (CAVMAE, lambda model: model.encoders['imgs']),
])
def test_other_configs_use_their_video_encoder(videos, tmp_path, config,
                                               encoder_of):
    """A fine-tuned encoder (fc_norm after the mean) and the video encoder
    of a multimodal model (``encoders.imgs.`` keys)."""
    model = build_model(config)
    checkpoint = save_checkpoint(model, str(tmp_path / 'model.pth'))
    extractor = FeatureExtractor(config, checkpoint, **WINDOW_ARGS)
    video = osp.join(videos, 'b.mp4')
    features, info = extractor.extract(video)
    assert info['num_features'] == 2
    encoder = encoder_of(model)
    encoder.out_type = 'avg'
    expected = direct_features(model, video, extractor.windows, 64,
                               video_encoder=encoder)
    np.testing.assert_allclose(features, expected.numpy(), atol=1e-5,
                               rtol=1e-5)


def test_official_checkpoint_gives_the_same_features(pretrain, videos,
                                                     tmp_path):
    model, checkpoint = pretrain
    official = mmvmae_to_official(model.state_dict()).state_dict
    official_file = str(tmp_path / 'official.pth')
    torch.save({'model': official}, official_file)
    video = osp.join(videos, 'b.mp4')
    ours = FeatureExtractor(PRETRAIN, checkpoint, **WINDOW_ARGS)
    theirs = FeatureExtractor(PRETRAIN, official_file, **WINDOW_ARGS)
    np.testing.assert_array_equal(ours.extract(video)[0],
                                  theirs.extract(video)[0])


def test_wrong_checkpoint_and_sizes_fail_early(pretrain, tmp_path):
    _, checkpoint = pretrain
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        FeatureExtractor(PRETRAIN, str(tmp_path / 'missing.pth'))
    with pytest.raises(ValueError, match='tubelet size 2'):
        FeatureExtractor(PRETRAIN, checkpoint, clip_len=7)
    with pytest.raises(ValueError, match='patch size 8'):
        FeatureExtractor(PRETRAIN, checkpoint, input_size=60)
    with pytest.raises(ValueError, match='pooling'):
        FeatureExtractor(PRETRAIN, checkpoint, pooling='cls')


@pytest.mark.skipif(not osp.isfile(osp.join(FIXTURES, 'test.mp4')),
                    reason='shared fixtures absent')
def test_real_video(pretrain, tmp_path):
    """mmaction2's test.mp4 (300 frames, 340x256, 30 fps): resized and
    cropped from a non-square frame, sparse windows (stride 32)."""
    model, checkpoint = pretrain
    video = osp.join(FIXTURES, 'test.mp4')
    extractor = FeatureExtractor(PRETRAIN, checkpoint, clip_len=8,
                                 frame_interval=2, stride=32, batch_size=4)
    features, info = extractor.extract(video)
    assert (info['num_frames'], info['fps']) == (300, 30.)
    assert features.shape == ((300 - 16) // 32 + 1, 96)
    expected = direct_features(model, video, extractor.windows, 64)
    np.testing.assert_allclose(features, expected.numpy(), atol=1e-5,
                               rtol=1e-5)


def test_cli(pretrain, videos, tmp_path, capsys):
    _, checkpoint = pretrain
    out = str(tmp_path / 'features')
    argv = [PRETRAIN, checkpoint, videos, '--out-dir', out, '--clip-len',
            '8', '--frame-interval', '2', '--stride', '4', '--device', 'cpu',
            '--skip-bad', '--no-progress']
    load_script(TOOL).main(argv)
    with open(osp.join(out, 'index.json')) as f:
        index = json.load(f)
    assert sorted(index['videos']) == ['a', 'b']
    assert list(index['failed']) == ['short']
    assert np.load(osp.join(out, 'a.npy')).shape == (6, 96)


def test_cli_torchrun_two_processes(pretrain, videos, tmp_path):
    """Two processes share the videos; rank 0 merges the index."""
    _, checkpoint = pretrain
    out = str(tmp_path / 'features')
    command = [
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node',
        '2', '--master_port', str(29500 + os.getpid() % 1000), TOOL,
        PRETRAIN, checkpoint, videos + '/a.mp4', videos + '/b.mp4',
        '--out-dir', out, '--clip-len', '8', '--frame-interval', '2',
        '--device', 'cpu', '--no-progress'
    ]
    path = os.pathsep.join(filter(None, [REPO_ROOT,
                                         os.environ.get('PYTHONPATH')]))
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=path)
    result = subprocess.run(command, cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(os.listdir(out)) == ['a.npy', 'b.npy', 'index.json']
    with open(osp.join(out, 'index.json')) as f:
        assert sorted(json.load(f)['videos']) == ['a', 'b']
