"""Tests of ``data_preparation/toy/generate_toy_detection.py``.

Most tests use the session fixture ``toy_det_data`` (6 train / 4 val
videos, see ``conftest.py``) and re-draw a video's scene from its seed to
compare the files with what the generator drew.
"""
import json
import os
import os.path as osp
import pickle
import subprocess
import sys

import cv2
import decord
import numpy as np
import pytest
from mmaction.datasets import AVADataset
from mmaction.evaluation import read_labelmap

from conftest import REPO_ROOT, load_toy_generator

gen = load_toy_generator('generate_toy_detection')
base = load_toy_generator('generate_toy_dataset')
scene_lib = load_toy_generator('toy_det_scene')
render_lib = load_toy_generator('toy_det_render')
ava_lib = load_toy_generator('toy_det_ava')

# Largest change of a still object's pixels between frames (noise only),
# smallest of a moving one's, measured over 30 videos: 7 and 73.
STILL_DIFF, MOVING_DIFF = 15, 40


def read_meta(paths):
    with open(paths['meta']) as f:
        return json.load(f)


def read_database(paths):
    with open(paths['tad_json']) as f:
        return json.load(f)


def redraw(paths, vid):
    """The scene, frames and pixel boxes the generator drew for ``vid``."""
    meta = read_meta(paths)
    spec = scene_lib.SceneSpec(
        meta['size'], meta['num_classes'], meta['min_frames'],
        meta['max_frames'], meta['min_segment'], meta['max_segment'],
        meta['max_segments'], meta['min_gap'], meta['max_objects'])
    split, index = vid.split('_')
    scene = scene_lib.draw_scene(
        spec, gen.scene_rng(meta['seed'], split, int(index)))
    return (scene, ) + render_lib.render_scene(scene)


def load_tracks(paths, vid):
    return dict(np.load(osp.join(paths['tracks_dir'], vid + '.npz')))


def test_tad_json_and_tracks(toy_det_data):
    paths = toy_det_data
    data = read_database(paths)
    assert data['version'] == 'mmvmae-toy-det/1'
    database = data['database']
    assert sorted(database) == [f'train_{i:05d}' for i in range(6)] + [
        f'val_{i:05d}' for i in range(4)
    ]
    with open(paths['classes']) as f:
        classes = f.read().splitlines()
    assert classes == ['left', 'right', 'up', 'down']
    for vid, entry in database.items():
        assert set(entry) == {'subset', 'duration', 'fps', 'annotations'}
        assert entry['subset'] == ('training' if vid.startswith('train')
                                   else 'validation')
        assert entry['fps'] == 8.0
        tracks = load_tracks(paths, vid)
        frames = tracks['actions'].shape[1]
        assert 96 <= frames <= 160 and entry['duration'] == frames / 8
        assert entry['annotations'], vid
        got = sorted((ann['segment'][0] * 8, ann['segment'][1] * 8,
                      ann['label'], ann['label_id'])
                     for ann in entry['annotations'])
        want = sorted((start, end, classes[label], label)
                      for _, start, end, label in tracks['segments'])
        assert got == want
        for k, actions in enumerate(tracks['actions']):
            segs = tracks['segments'][tracks['segments'][:, 0] == k]
            assert 1 <= len(segs) <= 3
            # Lengths, gaps to each other and to both ends of the video.
            assert np.all((segs[:, 2] - segs[:, 1] >= 12)
                          & (segs[:, 2] - segs[:, 1] <= 48))
            edges = np.r_[0, segs[:, 1:3].ravel(), frames]
            assert np.all(edges[1::2] - edges[::2] >= 4), (vid, segs)
            expected = np.full(frames, -1)
            for _, start, end, label in segs:
                expected[start:end] = label
            assert np.array_equal(actions, expected)
        union = np.zeros((frames, 4), dtype=np.uint8)
        for actions in tracks['actions']:
            union[np.flatnonzero(actions >= 0), actions[actions >= 0]] = 1
        assert np.array_equal(tracks['labels'], union)
        assert int(tracks['fps']) == 8 and int(tracks['size']) == 64


def test_segments_are_the_motion(toy_det_data):
    """Each object moves exactly on its segments' frame pairs, in the
    direction of the segment's class, and is still elsewhere."""
    tracks_seen = 0
    for vid in ('train_00000', 'train_00001', 'val_00000'):
        scene, video, _ = redraw(toy_det_data, vid)
        tracks = load_tracks(toy_det_data, vid)
        video = video.astype(np.int16)
        for k, obj in enumerate(scene.objects):
            tracks_seen += 1
            assert np.allclose(tracks['centres'][k], obj.centres, atol=1e-4)
            covered = np.stack([
                base.shape_coverage(obj.look, centre, 64) > 0
                for centre in obj.centres
            ])
            for t in range(len(video) - 1):
                mask = covered[t] | covered[t + 1]
                change = np.abs(video[t + 1] - video[t]).max(-1)[mask].max()
                action = tracks['actions'][k, t]
                if action < 0:
                    assert change <= STILL_DIFF, (vid, k, t, change)
                    continue
                assert change >= MOVING_DIFF, (vid, k, t, change)
                step = obj.centres[t + 1] - obj.centres[t]
                cosine = step @ base.direction(action) / np.linalg.norm(step)
                assert cosine > 0.999 and np.linalg.norm(step) >= 0.5
    assert tracks_seen >= 4


def test_boxes_enclose_objects(toy_det_data):
    """Every pixel the objects change lies in a box; boxes are tight."""
    for vid in ('train_00002', 'val_00001'):
        scene, video, boxes = redraw(toy_det_data, vid)
        tracks = load_tracks(toy_det_data, vid)
        assert np.array_equal(tracks['boxes'] * 64, boxes)
        for t, frame in enumerate(video.astype(np.int16)):
            empty = np.clip(
                np.rint(scene.background + scene.noise[t]), 0, 255)
            changed = np.abs(frame - empty).max(-1) > 0
            inside = np.zeros_like(changed)
            for x1, y1, x2, y2 in boxes[:, t].astype(int):
                assert 0 < x1 < x2 < 64 and 0 < y1 < y2 < 64
                inside[y1:y2, x1:x2] = True
                rows = np.flatnonzero(changed[y1:y2, x1:x2].any(axis=1))
                cols = np.flatnonzero(changed[y1:y2, x1:x2].any(axis=0))
                # Only the faintest anti-aliased edge may round away.
                assert rows[0] <= 1 and rows[-1] >= y2 - y1 - 2
                assert cols[0] <= 1 and cols[-1] >= x2 - x1 - 2
            assert not (changed & ~inside).any(), (vid, t)


def test_files_hold_the_rendered_frames(toy_det_data):
    vid = 'val_00002'
    _, video, _ = redraw(toy_det_data, vid)
    reader = decord.VideoReader(
        osp.join(toy_det_data['video_dir'], vid + '.mp4'))
    assert len(reader) == len(video)
    assert reader.get_avg_fps() == 8
    decoded = reader.get_batch(list(range(len(video)))).asnumpy()
    # H.264 with 4:2:0 chroma: about 3 grey levels off on average.
    assert np.abs(decoded.astype(float) - video).mean() < 5
    # Frames are in place: mid-motion, frame t is nearest rendered frame t.
    start, end = load_tracks(toy_det_data, vid)['segments'][0, 1:3]
    t = (start + end) // 2
    errors = np.abs(decoded[t].astype(float) - video[t - 1:t + 2]).mean(
        axis=(1, 2, 3))
    assert errors.argmin() == 1, errors
    folder = osp.join(toy_det_data['ava_frames_dir'], vid)
    assert sorted(os.listdir(folder)) == [
        f'img_{t:05d}.jpg' for t in range(len(video))
    ]
    for t in (0, len(video) // 2, len(video) - 1):
        image = cv2.imread(osp.join(folder, f'img_{t:05d}.jpg'))[..., ::-1]
        assert np.abs(image.astype(float) - video[t]).mean() < 2


def read_rows(path):
    with open(path) as f:
        return [line.rstrip('\n').split(',') for line in f]


def test_ava_files(toy_det_data):
    paths = toy_det_data
    labelmap, ids = read_labelmap(open(paths['ava_action_list']))
    assert [item['name'] for item in labelmap
            ] == ['left', 'right', 'up', 'down', 'still']
    assert ids == {1, 2, 3, 4, 5}
    for split in ('train', 'val'):
        rows = read_rows(paths[f'ava_{split}_csv'])
        excluded = {tuple(row) for row in read_rows(
            paths[f'ava_{split}_excluded'])}
        with open(paths[f'ava_{split}_proposals'], 'rb') as f:
            proposals = pickle.load(f)
        vids = sorted({row[0] for row in rows})
        assert vids == sorted(
            vid for vid in read_database(paths)['database']
            if vid.startswith(split))
        keys = set()
        for vid in vids:
            tracks = load_tracks(paths, vid)
            frames = tracks['actions'].shape[1]
            stamps = list(range(1, (frames - 1) // 8))
            assert ava_lib.keyframe_timestamps(frames, 8) == stamps
            mine = [row for row in rows if row[0] == vid]
            assert len(mine) == len(stamps) * len(tracks['actions'])
            bounds = tracks['segments'][:, 1:3].ravel()
            for row in mine:
                assert len(row) == 8 and len(row[1]) == 4
                ts, person = int(row[1]), int(row[7])
                frame = ts * 8
                assert 8 <= frame and frame + 8 <= frames - 1
                box = np.array(row[2:6], dtype=float)
                assert np.allclose(box, tracks['boxes'][person, frame],
                                   atol=1e-6)
                action = tracks['actions'][person, frame]
                assert int(row[6]) == (action + 1 if action >= 0 else 5)
                near = np.abs(bounds - frame).min() <= 1
                assert ((vid, row[1]) in excluded) == near
                keys.add(f'{vid},{row[1]}')
                boxes = proposals[f'{vid},{row[1]}']
                assert boxes.dtype == np.float32 and boxes.shape[1] == 5
                assert boxes.min() >= 0 and boxes.max() <= 1
                assert np.all(np.diff(boxes[:, 4]) <= 0)
                assert iou(boxes[:, :4], box).max() > 0.7
        assert set(proposals) == keys
        assert excluded <= {tuple(key.split(',')) for key in keys}


def iou(boxes, box):
    low = np.maximum(boxes[:, :2], box[:2])
    high = np.minimum(boxes[:, 2:], box[2:])
    inter = np.prod(np.clip(high - low, 0, None), axis=1)
    area = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    return inter / (area + np.prod(box[2:] - box[:2]) - inter)


def test_ava_dataset_loads(toy_det_data):
    paths = toy_det_data
    kwargs = gen.ava_dataset_kwargs(paths, 'val', read_meta(paths))
    assert kwargs['num_classes'] == 6 and kwargs['timestamp_end'] == 20
    dataset = AVADataset(
        pipeline=[
            dict(type='SampleAVAFrames', clip_len=8, frame_interval=2,
                 test_mode=True),
            dict(type='RawFrameDecode')
        ],
        test_mode=True,
        **kwargs)
    rows = read_rows(paths['ava_val_csv'])
    excluded = read_rows(paths['ava_val_excluded'])
    assert len(dataset) == len({tuple(row[:2]) for row in rows}) - len(
        excluded)
    checked = 0
    for index in (0, len(dataset) // 2, len(dataset) - 1):
        sample = dataset[index]
        vid, ts = sample['video_id'], sample['timestamp']
        _, video, boxes = redraw(paths, vid)
        tracks = load_tracks(paths, vid)
        frame = ts * 8
        assert np.array_equal(sample['frame_inds'],
                              frame + np.arange(-8, 8, 2))
        images = np.stack(sample['imgs'])  # RGB
        assert np.abs(images.astype(float) -
                      video[sample['frame_inds']]).mean() < 2
        # RawFrameDecode scales the normalized boxes to pixels.
        persons = sample['entity_ids']
        assert np.allclose(sample['gt_bboxes'], boxes[persons, frame])
        onehot = np.zeros((len(persons), 6), dtype=np.float32)
        for row, person in enumerate(persons):
            action = tracks['actions'][person, frame]
            onehot[row, action + 1 if action >= 0 else 5] = 1
        assert np.array_equal(sample['gt_labels'], onehot)
        assert sample['proposals'].shape[1] == 4
        assert np.all(sample['scores'] >= min(0.9, sample['scores'].max()))
        checked += 1
    assert checked == 3


def test_deterministic(toy_det_data, tmp_path):
    small = dict(num_train=2, num_val=1, seed=0, progress=False)
    again = gen.generate(str(tmp_path / 'again'), **small)
    first = toy_det_data
    with open(again['tad_json']) as f:
        database = json.load(f)['database']
    assert database == {
        vid: entry
        for vid, entry in read_database(first)['database'].items()
        if vid in database
    }
    for vid in database:
        for key, value in load_tracks(again, vid).items():
            assert np.array_equal(value, load_tracks(first, vid)[key])
        paths = [osp.join(p['video_dir'], vid + '.mp4') for p in (again,
                                                                   first)]
        frames = [decord.VideoReader(p)[:].asnumpy() for p in paths]
        assert np.array_equal(*frames)
    with open(again['ava_val_proposals'], 'rb') as f:
        proposals = pickle.load(f)
    with open(first['ava_val_proposals'], 'rb') as f:
        reference = pickle.load(f)
    for key, value in proposals.items():
        assert np.array_equal(value, reference[key])
    other = gen.generate(
        str(tmp_path / 'other'), **dict(small, seed=1, num_val=0))
    with open(other['tad_json']) as f:
        assert json.load(f)['database'] != {
            vid: entry
            for vid, entry in database.items() if vid.startswith('train')
        }


def test_skip_force_and_no_ava(tmp_path, capsys):
    args = dict(num_train=1, num_val=0, progress=False, ava=False)
    paths = gen.generate(str(tmp_path), **args)
    assert 'ava_dir' not in paths and not osp.exists(tmp_path / 'ava')
    video = osp.join(paths['video_dir'], 'train_00000.mp4')
    os.utime(video, (0, 0))
    gen.generate(str(tmp_path), **dict(args, progress=True))
    assert 'skipping' in capsys.readouterr().out
    assert os.stat(video).st_mtime == 0
    gen.generate(str(tmp_path), **dict(args, force=True))
    assert os.stat(video).st_mtime > 0
    # Other arguments regenerate, here adding the AVA copy.
    paths = gen.generate(str(tmp_path), **dict(args, ava=True))
    assert osp.isfile(paths['ava_train_csv'])
    # A missing output is redone.
    os.remove(osp.join(paths['tracks_dir'], 'train_00000.npz'))
    gen.generate(str(tmp_path), **dict(args, ava=True))
    assert osp.isfile(osp.join(paths['tracks_dir'], 'train_00000.npz'))


def test_interrupted_run_and_foreign_outputs(tmp_path):
    args = dict(num_train=1, num_val=0, progress=False, ava=False)
    paths = gen.generate(str(tmp_path / 'det'), **args)
    with open(paths['meta']) as f:
        meta = json.load(f)
    assert 'complete' not in meta
    with open(paths['meta'], 'w') as f:
        json.dump(dict(meta, complete=False), f)
    stale = osp.join(paths['video_dir'], 'train_00007.mp4')
    open(stale, 'w').close()
    gen.generate(str(tmp_path / 'det'), **args)
    assert not osp.exists(stale)
    with open(paths['meta']) as f:
        assert json.load(f) == meta
    # Folders of something else are left alone.
    toy = base.generate(str(tmp_path / 'toy'), num_train=1, num_val=0,
                        size=32, frames=4, progress=False)
    with pytest.raises(ValueError, match='refusing to overwrite'):
        gen.generate(str(tmp_path / 'toy'), **args)
    assert os.listdir(toy['video_dir']) == ['train_00000.mp4']


BAD_ARGS = [
    dict(size=48),
    dict(size=33),
    dict(fps=0),
    dict(num_classes=9),
    dict(num_train=0),
    dict(min_frames=120, max_frames=100),
    dict(min_frames=16),
    dict(min_segment=20, max_segment=10),
    dict(max_segment=100),
    dict(min_gap=0),
]


@pytest.mark.parametrize('kwargs', BAD_ARGS)
def test_bad_args(tmp_path, kwargs):
    with pytest.raises(ValueError):
        gen.generate(str(tmp_path), progress=False, **kwargs)
    assert not os.listdir(tmp_path)


def test_cli(tmp_path):
    script = osp.join(REPO_ROOT, 'data_preparation', 'toy',
                      'generate_toy_detection.py')
    out = tmp_path / 'cli'
    done = subprocess.run([
        sys.executable, script, '--out-dir',
        str(out), '--num-train', '1', '--num-val', '1', '--no-ava'
    ],
                          capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert 'train: 1 videos' in done.stdout
    assert sorted(os.listdir(out / 'videos')) == [
        'train_00000.mp4', 'val_00000.mp4'
    ]
    bad = subprocess.run(
        [sys.executable, script, '--out-dir',
         str(out), '--size', '33'],
        capture_output=True,
        text=True)
    assert bad.returncode == 1 and 'size must be even' in bad.stderr
