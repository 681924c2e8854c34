"""TemporalActionDataset and the feature transforms on small files."""
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from mmvmae.datasets import TemporalActionDataset
from mmvmae.datasets.transforms import (LoadTemporalFeatures,
                                        PackTemporalInputs,
                                        RandomFeatureTruncation,
                                        ResizeTemporalFeatures)
from mmvmae.structures.feature_grid import grid_to_seconds, seconds_to_grid

FPS, WINDOW, STRIDE, DIM = 8., 8, 4, 5
PIPELINE = [dict(type='LoadTemporalFeatures'), dict(type='PackTemporalInputs')]


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('mmvmae')


def num_features(duration: float) -> int:
    return int((duration * FPS - WINDOW) // STRIDE) + 1


def write_set(root, videos: dict, index_extra=None, dim=DIM) -> tuple:
    """Annotations and features (+ index.json) of ``videos``:
    id -> (subset, duration, [(start, end, label name)])."""
    database, entries = {}, {}
    feature_dir = osp.join(root, 'features')
    os.makedirs(feature_dir, exist_ok=True)
    names = ['left', 'right']
    for video_id, (subset, duration, segments) in videos.items():
        database[video_id] = dict(
            subset=subset, duration=duration, fps=FPS, annotations=[
                dict(segment=[s, e], label=n, label_id=names.index(n))
                for s, e, n in segments])
        n = num_features(duration)
        np.save(osp.join(feature_dir, f'{video_id}.npy'),
                np.random.rand(n, dim).astype(np.float32))
        entries[video_id] = dict(file=f'{video_id}.npy', num_features=n,
                                 num_frames=int(duration * FPS), fps=FPS,
                                 duration=duration)
    index = dict(format='mmvmae-features/1', feature_dim=dim, window=WINDOW,
                 stride=STRIDE, videos=entries)
    index.update(index_extra or {})
    with open(osp.join(feature_dir, 'index.json'), 'w') as f:
        json.dump(index, f)
    ann_file = osp.join(root, 'toy_tad.json')
    with open(ann_file, 'w') as f:
        json.dump(dict(version='toy', database=database), f)
    return ann_file, feature_dir


VIDEOS = {
    'a': ('training', 12., [(1., 3.), (5., 9., )]),
    'b': ('training', 10., [(2., 4.5)]),
    'c': ('validation', 8., [(0.5, 2.)]),
    'empty': ('training', 6., []),
}


def videos_with_labels():
    return {k: (s, d, [(*seg, 'left' if i % 2 == 0 else 'right')
                       for i, seg in enumerate(segs)])
            for k, (s, d, segs) in VIDEOS.items()}


def test_reads_annotations_index_and_features(tmp_path):
    ann_file, feature_dir = write_set(str(tmp_path), videos_with_labels())
    dataset = TemporalActionDataset(ann_file, feature_dir, PIPELINE,
                                    subset='training')
    assert [dataset.get_data_info(i)['video_id']
            for i in range(len(dataset))] == ['a', 'b']
    assert dataset.skipped == {'empty': 'no annotated segment (training)'}
    assert dataset.metainfo['classes'] == ('left', 'right')
    info = dataset.get_data_info(0)
    assert info['num_features'] == num_features(12.) == 23
    assert info['gt_labels'].tolist() == [0, 1]
    np.testing.assert_allclose(info['gt_segments'], [[1, 3], [5, 9]])
    packed = dataset[0]
    assert packed['inputs'].shape == (DIM, 23)
    assert packed['data_samples'].gt_instances.labels.tolist() == [0, 1]
    assert packed['data_samples'].metainfo['feature_window'] == WINDOW
    test = TemporalActionDataset(ann_file, feature_dir, PIPELINE,
                                 subset=['validation', 'training'],
                                 test_mode=True)
    assert len(test) == 4 and not test.skipped  # unannotated kept in test


def test_classes_file_and_label_checks(tmp_path):
    ann_file, feature_dir = write_set(str(tmp_path), videos_with_labels())
    classes = tmp_path / 'classes.txt'
    classes.write_text('right\nleft\nup\n')
    dataset = TemporalActionDataset(ann_file, feature_dir, PIPELINE,
                                    classes_file=str(classes))
    assert dataset.metainfo['classes'] == ('right', 'left', 'up')
    assert dataset.get_data_info(0)['gt_labels'].tolist() == [1, 0]
    agnostic = TemporalActionDataset(ann_file, feature_dir, PIPELINE,
                                     class_agnostic=True)
    assert agnostic.metainfo['classes'] == ('action', )
    assert agnostic.get_data_info(0)['gt_labels'].tolist() == [0, 0]
    with pytest.raises(ValueError, match="a: unknown class 'left'"):
        TemporalActionDataset(ann_file, feature_dir, PIPELINE,
                              classes=['right'])


def test_missing_inputs_are_named(tmp_path):
    ann_file, feature_dir = write_set(str(tmp_path), videos_with_labels())
    with pytest.raises(FileNotFoundError, match='feature directory'):
        TemporalActionDataset(ann_file, str(tmp_path / 'nowhere'), PIPELINE)
    with pytest.raises(FileNotFoundError, match='feature index'):
        TemporalActionDataset(ann_file, feature_dir, PIPELINE,
                              index_file='other.json')
    with pytest.raises(ValueError, match='feature_stride=8 disagrees'):
        TemporalActionDataset(ann_file, feature_dir, PIPELINE,
                              feature_stride=8)
    (tmp_path / 'features' / 'b.npy').unlink()
    with pytest.raises(ValueError, match='b: feature file not found'):
        TemporalActionDataset(ann_file, feature_dir, PIPELINE)
    dataset = TemporalActionDataset(ann_file, feature_dir, PIPELINE,
                                    invalid_video='skip')
    assert set(dataset.skipped) == {'b', 'empty'}
    assert len(dataset) == 1


def test_length_and_dimension_mismatches(tmp_path):
    ann_file, feature_dir = write_set(str(tmp_path), videos_with_labels())
    np.save(osp.join(feature_dir, 'a.npy'), np.zeros((23, 7), np.float32))
    with pytest.raises(ValueError, match=r'a: features .* shape \(23, 7\), '
                       r'expected \(num_features, 5\)'):
        TemporalActionDataset(ann_file, feature_dir, PIPELINE)
    np.save(osp.join(feature_dir, 'a.npy'), np.zeros((20, DIM), np.float32))
    with pytest.raises(ValueError, match='a: .* holds 20 features, the '
                       'index says 23'):
        TemporalActionDataset(ann_file, feature_dir, PIPELINE)
    # without an index: the duration check (12 s -> 23 features)
    with pytest.raises(ValueError, match=r'a: 20 features, but duration '
                       r'12.0s .* gives 23'):
        TemporalActionDataset(ann_file, feature_dir, PIPELINE,
                              index_file=None, feature_window=WINDOW,
                              feature_stride=STRIDE)
    dataset = TemporalActionDataset(
        ann_file, feature_dir, PIPELINE, index_file=None,
        feature_window=WINDOW, feature_stride=STRIDE, length_tolerance=3)
    assert dataset.get_data_info(0)['num_features'] == 20
    # the fps the windows count frames at overrides the annotations'
    with pytest.raises(ValueError, match='a: 20 features, but duration '
                       r'12.0s at 4.0 fps'):
        TemporalActionDataset(
            ann_file, feature_dir, PIPELINE, index_file=None,
            feature_window=WINDOW, feature_stride=STRIDE, feature_fps=4.)
    with pytest.raises(ValueError, match='without an index'):
        TemporalActionDataset(ann_file, feature_dir, PIPELINE,
                              feature_prefix='v_')


def test_segments_outside_the_video(tmp_path):
    videos = videos_with_labels()
    videos['b'] = ('training', 10., [(-1., 2., 'left'), (9., 12., 'right'),
                                     (11., 13., 'left'), (3., 4.02, 'left')])
    ann_file, feature_dir = write_set(str(tmp_path), videos)
    for invalid_video in ('error', 'skip'):  # not a feature problem
        with pytest.raises(ValueError, match=r'b: segment \[-1.0, 2.0\]'):
            TemporalActionDataset(ann_file, feature_dir, PIPELINE,
                                  invalid_video=invalid_video)
    dataset = TemporalActionDataset(ann_file, feature_dir, PIPELINE,
                                    segment_policy='clip')
    info = dataset.get_data_info(1)
    np.testing.assert_allclose(info['gt_segments'],
                               [[0, 2], [9, 10], [3, 4.02]], rtol=1e-6)
    assert info['gt_labels'].tolist() == [0, 1, 0]
    assert dataset.clipped_segments == {'b': 3}  # [11, 13] dropped


def test_grid_conversion_round_trip():
    # feature i covers frames [4i, 4i + 8) at 8 fps: centre (4i + 4) / 8 s
    assert seconds_to_grid(1.5, FPS, WINDOW, STRIDE) == 2
    assert grid_to_seconds(2, FPS, WINDOW, STRIDE) == 1.5
    assert seconds_to_grid(1.5, FPS, WINDOW, STRIDE, start=2) == 0
    t = np.array([0.3, 7.7])
    np.testing.assert_allclose(
        grid_to_seconds(seconds_to_grid(t, 30., 16, 4, 5), 30., 16, 4, 5), t)


def item(length=40, segments=((1., 3.), (6., 9.)), labels=(0, 1)):
    return dict(video_id='v', feature_path='', fps=FPS, duration=12.,
                feature_window=float(WINDOW), feature_stride=float(STRIDE),
                feature_start=0, num_features=length, feature_dim=DIM,
                features=np.arange(length * DIM, dtype=np.float32).reshape(
                    length, DIM),
                gt_segments=np.array(segments, np.float32).reshape(-1, 2),
                gt_labels=np.array(labels, np.int64))


def test_truncation_keeps_actions_and_time():
    np.random.seed(0)
    truncate = RandomFeatureTruncation(max_seq_len=10, trunc_thresh=0.5)
    for _ in range(20):
        results = truncate(item())
        start = results['feature_start']
        assert len(results['features']) == 10
        np.testing.assert_array_equal(results['features'],
                                      item()['features'][start:start + 10])
        assert len(results['gt_labels']) >= 1
        # kept segments lie in the frames the kept features cover
        first = grid_to_seconds(-0.5 * WINDOW / STRIDE, FPS, WINDOW, STRIDE,
                                start)
        last = grid_to_seconds(9 + 0.5 * WINDOW / STRIDE, FPS, WINDOW,
                               STRIDE, start)
        assert (results['gt_segments'] >= first - 1e-5).all()
        assert (results['gt_segments'] <= last + 1e-5).all()
    short = RandomFeatureTruncation(max_seq_len=100, crop_ratio=(0.5, 0.5))
    assert len(short(item())['features']) == 20
    assert RandomFeatureTruncation(max_seq_len=100)(item())[
        'num_features'] == 40
    with pytest.raises(ValueError, match='crop_ratio'):
        RandomFeatureTruncation(10, crop_ratio=(0.9, 0.5))


def test_truncation_of_a_clipped_segment():
    np.random.seed(1)
    # one 8 s segment, a window of 10 features (frames 4s .. 4s + 44):
    # the segment is cut to the covered frames (5.5 s) and kept
    results = RandomFeatureTruncation(10, trunc_thresh=0.3)(
        item(segments=((1., 9.), ), labels=(0, )))
    start = results['feature_start']
    np.testing.assert_allclose(
        results['gt_segments'],
        [[max(1., start * STRIDE / FPS),
          min(9., (start * STRIDE + 9 * STRIDE + WINDOW) / FPS)]])


def test_resize_maps_the_same_seconds():
    results = ResizeTemporalFeatures(8)(item(length=10))
    assert results['features'].shape == (8, DIM)
    # 10 features span (9 * 4 + 8) = 44 frames -> 8 cells of 5.5 frames
    assert results['feature_stride'] == results['feature_window'] == 5.5
    np.testing.assert_allclose(
        grid_to_seconds(7., FPS, 5.5, 5.5), 44 / FPS - 5.5 / 2 / FPS)
    shifted = item(length=10)
    shifted['feature_start'] = 1
    with pytest.raises(ValueError, match='before RandomFeatureTruncation'):
        ResizeTemporalFeatures(8)(shifted)


def test_load_and_pack(tmp_path):
    path = str(tmp_path / 'v.npz')
    np.savez(path, feats=np.ones((4, DIM), np.float32))
    results = dict(item(length=4), feature_path=path)
    loaded = LoadTemporalFeatures()(results)
    assert loaded['features'].shape == (4, DIM)
    with pytest.raises(ValueError, match=r'v: features .* shape \(4, 5\), '
                       r'expected \(6, 5\)'):
        LoadTemporalFeatures()(dict(results, num_features=6))
    packed = PackTemporalInputs()(loaded)
    assert packed['inputs'].shape == (DIM, 4)
    assert packed['inputs'].dtype == torch.float32
    sample = packed['data_samples']
    assert sample.metainfo['num_features'] == 4
    assert sample.gt_instances.segments.shape == (2, 2)
