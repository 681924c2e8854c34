"""Tests of the scripts under ``data_preparation/``.

The scripts are modules of the implicit namespace package
``data_preparation`` (no ``__init__.py``, so ``setup.py`` does not install
them): :func:`load` imports them with the repository root on ``sys.path``.
"""
import collections
import hashlib
import importlib
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys

import decord
import numpy as np
import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load(name):
    """Import ``data_preparation.<name>`` from this checkout."""
    if REPO_ROOT not in sys.path:
        sys.path.insert(0, REPO_ROOT)
    return importlib.import_module(f'data_preparation.{name}')


resize_videos = load('resize_videos')
toy = load('toy.generate_toy_dataset')
hmdb51 = load('hmdb51.build_file_list')
kinetics = load('kinetics.build_file_list')
sthv2 = load('sthv2.build_file_list')
ucf101 = load('ucf101.build_file_list')

TOY_ARGS = dict(num_train=8, num_val=4, size=32, frames=16, num_classes=4)


def make_toy(out_dir, **kwargs):
    args = dict(TOY_ARGS, seed=0, progress=False)
    args.update(kwargs)
    return toy.generate(str(out_dir), **args)


def read(path):
    with open(path) as f:
        return f.read().splitlines()


def decode(path):
    reader = decord.VideoReader(str(path))
    return reader.get_batch(list(range(len(reader)))).asnumpy()


def frames_hash(paths):
    digest = hashlib.sha256()
    for line in read(paths['train_list']) + read(paths['val_list']):
        name = line.split()[0]
        digest.update(decode(osp.join(paths['video_dir'], name)).tobytes())
    return digest.hexdigest()


@pytest.fixture(scope='module')
def toy_set(tmp_path_factory):
    return make_toy(tmp_path_factory.mktemp('toy') / 'toy')


def test_toy_lists_and_balance(toy_set):
    train, val = read(toy_set['train_list']), read(toy_set['val_list'])
    assert len(train) == 8 and len(val) == 4
    assert read(
        toy_set['pretrain_list']) == [line.split()[0] for line in train]
    assert read(toy_set['classes']) == ['left', 'right', 'up', 'down']
    for lines, per_class in ((train, 2), (val, 1)):
        counts = collections.Counter(line.split()[1] for line in lines)
        assert counts == {str(label): per_class for label in range(4)}
    assert len(os.listdir(toy_set['video_dir'])) == 12
    with open(toy_set['meta']) as f:
        assert json.load(f)['seed'] == 0


def test_toy_videos_decode(toy_set):
    for line in read(toy_set['train_list']) + read(toy_set['val_list']):
        path = osp.join(toy_set['video_dir'], line.split()[0])
        reader = decord.VideoReader(path)
        assert len(reader) == 16
        assert decode(path).shape == (16, 32, 32, 3)
        # Random access gives the frames of sequential decoding.
        assert np.array_equal(
            reader.get_batch([3, 9, 15]).asnumpy(),
            decode(path)[[3, 9, 15]])


def test_toy_deterministic(toy_set, tmp_path):
    again = make_toy(tmp_path / 'again')
    for key in ('train_list', 'val_list', 'pretrain_list', 'classes'):
        with open(toy_set[key], 'rb') as f1, open(again[key], 'rb') as f2:
            assert f1.read() == f2.read()
    assert frames_hash(again) == frames_hash(toy_set)
    other = make_toy(tmp_path / 'other', seed=1)
    assert frames_hash(other) != frames_hash(toy_set)


def mean_motion(video):
    """Mean displacement per frame, (dx, dy), of the changing pixels.

    Centroids are circular means, as the shapes wrap around the edges.
    """
    size = video.shape[1]
    changed = np.abs(np.diff(video.astype(np.int16), axis=0)).max(-1) > 40
    phase = np.exp(2j * np.pi * (np.arange(size) + 0.5) / size)
    centres = []
    for mask in changed:
        ys, xs = np.nonzero(mask)
        assert xs.size, 'no moving pixel between two frames'
        centres.append(
            np.angle([phase[xs].mean(), phase[ys].mean()]) * size /
            (2 * np.pi))
    steps = np.diff(centres, axis=0)
    return ((steps + size / 2) % size - size / 2).mean(axis=0)


def test_toy_class_is_motion_direction(toy_set):
    for line in read(toy_set['train_list']) + read(toy_set['val_list']):
        name, label = line.split()
        motion = mean_motion(decode(osp.join(toy_set['video_dir'], name)))
        cosine = motion @ toy.direction(int(label)) / np.linalg.norm(motion)
        assert cosine > 0.95, (name, label, motion)
        assert 0.5 < np.linalg.norm(motion) < 2.5, (name, motion)


def test_toy_skip_and_force(tmp_path, capsys):
    paths = make_toy(tmp_path, num_train=4, num_val=0)
    video = osp.join(paths['video_dir'], 'train_00000.mp4')
    os.utime(video, (0, 0))
    make_toy(tmp_path, num_train=4, num_val=0, progress=True)
    assert 'skipping' in capsys.readouterr().out
    assert os.stat(video).st_mtime == 0
    make_toy(tmp_path, num_train=4, num_val=0, force=True)
    assert os.stat(video).st_mtime > 0
    make_toy(tmp_path, num_train=4, num_val=0, num_classes=2)
    assert read(paths['classes']) == ['left', 'right']


BAD_TOY_ARGS = [
    dict(size=48),
    dict(size=33),
    dict(num_classes=9),
    dict(frames=1),
    dict(num_train=0)
]


@pytest.mark.parametrize('kwargs', BAD_TOY_ARGS)
def test_toy_bad_args(tmp_path, kwargs):
    with pytest.raises(ValueError):
        make_toy(tmp_path, **kwargs)


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def test_kinetics(tmp_path):
    anno = tmp_path / 'anno'
    write(
        anno / 'train.csv',
        'label,youtube_id,time_start,time_end,split,is_cc\n'
        'zumba,aaa,10,20,train,0\n'
        '"air drumming",b-b,0,10,train,0\n'
        'zumba,ccc,5.0,15.0,train,0\n')
    write(
        anno / 'validate.csv', 'label,youtube_id,time_start,time_end,split\n'
        'air drumming,ddd,1,11,val\n')
    write(anno / 'test.csv', 'youtube_id,time_start,time_end,split\n'
          'eee,2,12,test\n')
    out = kinetics.build_lists(str(anno), str(tmp_path / 'out'))
    assert read(out['classes']) == ['air drumming', 'zumba']
    assert read(out['train']) == [
        'zumba/aaa_000010_000020.mp4 1',
        'air_drumming/b-b_000000_000010.mp4 0', 'zumba/ccc_000005_000015.mp4 1'
    ]
    assert read(out['val']) == ['air_drumming/ddd_000001_000011.mp4 0']
    out = kinetics.build_lists(
        str(anno),
        str(tmp_path / 'flat'), ('val', 'test'),
        layout='flat',
        ext='mkv')
    assert read(out['val']) == ['ddd_000001_000011.mkv 0']
    assert read(out['test']) == ['eee_000002_000012.mkv']


def test_kinetics_video_dir(tmp_path):
    anno = tmp_path / 'anno'
    write(anno / 'train.csv', 'label,youtube_id,time_start,time_end\n'
          'a,x,0,10\na,y,0,10\n')
    write(tmp_path / 'videos_train' / 'a' / 'y_000000_000010.mp4', '')
    out = kinetics.build_lists(
        str(anno),
        str(tmp_path), ['train'],
        video_dir=str(tmp_path / 'videos_{split}'))
    assert read(out['train']) == ['a/y_000000_000010.mp4 0']


def test_kinetics_missing_csv(tmp_path):
    write(tmp_path / 'train.csv', 'label,youtube_id,time_start,time_end\n'
          'a,x,0,10\n')
    missing = osp.join(str(tmp_path), 'validate.csv')
    with pytest.raises(FileNotFoundError, match=re.escape(missing)):
        kinetics.build_lists(str(tmp_path), str(tmp_path))


def write_sthv2(anno):
    write(anno / 'labels.json',
          json.dumps({
              'Holding something': '1',
              'Pushing something': '0'
          }))
    write(
        anno / 'something-something-v2-train.json',
        json.dumps([{
            'id': '7',
            'label': 'holding a cup',
            'template': 'Holding [something]'
        }, {
            'id': '12',
            'label': 'pushing a pen',
            'template': 'Pushing [something]'
        }]))
    write(anno / 'something-something-v2-validation.json',
          json.dumps([{
              'id': '3',
              'template': 'Pushing [something]'
          }]))
    write(anno / 'something-something-v2-test.json', json.dumps([{'id': '5'}]))


def test_sthv2(tmp_path):
    write_sthv2(tmp_path)
    out = sthv2.build_lists(
        str(tmp_path), str(tmp_path / 'out'), ('train', 'val', 'test'))
    assert read(out['classes']) == ['Pushing something', 'Holding something']
    assert read(out['train']) == ['7.webm 1', '12.webm 0']
    assert read(out['val']) == ['3.webm 0']
    assert read(out['test']) == ['5.webm']


def test_sthv2_errors(tmp_path):
    write_sthv2(tmp_path)
    write(tmp_path / 'something-something-v2-validation.json',
          json.dumps([{
              'id': '3',
              'template': 'Lifting [something]'
          }]))
    with pytest.raises(ValueError, match='Lifting something'):
        sthv2.build_lists(str(tmp_path), str(tmp_path))
    os.remove(tmp_path / 'labels.json')
    with pytest.raises(
            FileNotFoundError, match=re.escape(str(tmp_path / 'labels.json'))):
        sthv2.build_lists(str(tmp_path), str(tmp_path))


def write_ucf101(anno):
    write(anno / 'classInd.txt', '1 ApplyEyeMakeup\n2 HandstandPushups\n')
    write(
        anno / 'trainlist01.txt',
        'ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1\n'
        'HandstandPushups/v_HandStandPushups_g08_c01.avi 2\n')
    write(
        anno / 'testlist01.txt',
        'HandStandPushups/v_HandStandPushups_g01_c01.avi\n'
        'ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi\n')


def test_ucf101(tmp_path):
    write_ucf101(tmp_path)
    out = ucf101.build_lists(
        str(tmp_path), str(tmp_path / 'out'), [1], ext='mp4')
    assert read(out['classes']) == ['ApplyEyeMakeup', 'HandstandPushups']
    assert read(out['train_1']) == [
        'ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.mp4 0',
        'HandstandPushups/v_HandStandPushups_g08_c01.mp4 1'
    ]
    assert read(out['val_1']) == [
        'HandStandPushups/v_HandStandPushups_g01_c01.mp4 1',
        'ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.mp4 0'
    ]


def test_ucf101_missing_list(tmp_path):
    write_ucf101(tmp_path)
    missing = str(tmp_path / 'trainlist02.txt')
    with pytest.raises(FileNotFoundError, match=re.escape(missing)):
        ucf101.build_lists(str(tmp_path), str(tmp_path), [1, 2])


def test_hmdb51(tmp_path):
    write(tmp_path / 'wave_test_split1.txt', 'w1.avi 1 \nw2.avi 2 \n'
          'w3.avi 0 \n')
    write(tmp_path / 'brush_hair_test_split1.txt', 'b1.avi 2\nb2.avi 1\n')
    out = hmdb51.build_lists(str(tmp_path), str(tmp_path / 'out'), [1])
    assert read(out['classes']) == ['brush_hair', 'wave']
    assert read(out['train_1']) == ['brush_hair/b2.avi 0', 'wave/w1.avi 1']
    assert read(out['val_1']) == ['brush_hair/b1.avi 0', 'wave/w2.avi 1']


def test_hmdb51_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path))):
        hmdb51.build_lists(str(tmp_path), str(tmp_path))
    write(tmp_path / 'wave_test_split1.txt', 'w1.avi 1\n')
    missing = str(tmp_path / 'wave_test_split2.txt')
    with pytest.raises(FileNotFoundError, match=re.escape(missing)):
        hmdb51.build_lists(str(tmp_path), str(tmp_path), [1, 2])


def test_output_size():
    assert resize_videos.output_size(640, 480, 320) == (426, 320)
    assert resize_videos.output_size(360, 640, 320) == (320, 568)
    assert resize_videos.output_size(101, 33, 40) == (122, 40)


@pytest.mark.parametrize('backend', ['pyav', 'ffmpeg'])
def test_resize_videos(toy_set, tmp_path, backend):
    if backend == 'ffmpeg' and not shutil.which('ffmpeg'):
        pytest.skip('ffmpeg is not on PATH')
    src = tmp_path / 'src'
    (src / 'sub').mkdir(parents=True)
    shutil.copy(
        osp.join(toy_set['video_dir'], 'train_00000.mp4'),
        src / 'sub' / 'good.mp4')
    bad = write(src / 'bad.avi', 'not a video')
    log = str(tmp_path / 'failures.log')
    kwargs = dict(short_side=40, backend=backend, log_file=log)

    counts = resize_videos.resize_videos(
        str(src), str(tmp_path / 'dst'), **kwargs)
    assert counts == dict(total=2, resized=1, skipped=0, failed=1)
    assert decode(tmp_path / 'dst' / 'sub' / 'good.mp4').shape == (16, 40, 40,
                                                                   3)
    assert [line.split('\t')[0] for line in read(log)] == [bad]
    assert not (tmp_path / 'dst' / 'bad.mp4').exists()

    counts = resize_videos.resize_videos(
        str(src), str(tmp_path / 'dst'), **kwargs)
    assert counts == dict(total=2, resized=0, skipped=1, failed=1)


def test_mpeg4_fallback(tmp_path, monkeypatch):
    (tmp_path / 'src').mkdir()
    video = toy.render_video(1, 32, 16, np.random.default_rng(0))
    toy.write_video(str(tmp_path / 'src' / 'toy.mp4'), video, codec='mpeg4')
    assert decode(tmp_path / 'src' / 'toy.mp4').shape == (16, 32, 32, 3)
    monkeypatch.setattr(resize_videos, 'pyav_video_codec', lambda: 'mpeg4')
    counts = resize_videos.resize_videos(
        str(tmp_path / 'src'), str(tmp_path / 'dst'), 40, backend='pyav')
    assert counts['resized'] == 1
    assert decode(tmp_path / 'dst' / 'toy.mp4').shape == (16, 40, 40, 3)


def test_resize_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path))):
        resize_videos.resize_videos(str(tmp_path / 'none'), str(tmp_path))


@pytest.mark.parametrize('script', [
    'resize_videos.py', 'toy/generate_toy_dataset.py',
    'kinetics/build_file_list.py', 'sthv2/build_file_list.py',
    'ucf101/build_file_list.py', 'hmdb51/build_file_list.py'
])
def test_scripts_run_from_any_folder(script, tmp_path):
    path = osp.join(REPO_ROOT, 'data_preparation', script)
    result = subprocess.run([sys.executable, path, '--help'],
                            cwd=tmp_path,
                            capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
