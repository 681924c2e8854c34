"""VideoClipDataset: decode once for repeats, skip and count bad videos."""
import os.path as osp

import numpy as np
import pytest
from conftest import FIXTURES
from mmengine.logging import MMLogger

from mmvmae.registry import DATASETS, TRANSFORMS

PIPELINE = [
    dict(type='Resize', scale=(32, 32), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='TubeMaskGenerator', mask_ratio=0.75),
    dict(type='PackActionInputs', algorithm_keys=('visible_ids',
                                                  'masked_ids'))
]


class CountingDecoder:
    """Wraps DecordDecode and records every call's frame indices."""

    def __init__(self):
        self.decode = TRANSFORMS.build(dict(type='DecordDecode'))
        self.calls = []

    def __call__(self, results):
        self.calls.append(results['frame_inds'].copy())
        return self.decode(results)


def build(ann_file, root, **kwargs):
    kwargs.setdefault('pipeline', PIPELINE)
    return DATASETS.build(
        dict(type='VideoClipDataset', ann_file=ann_file,
             data_prefix=dict(video=root),
             sampler=dict(type='SampleFrames', clip_len=4, frame_interval=2,
                          num_clips=1), **kwargs))


def test_repeats_decode_once_with_sorted_unique_frames(toy_data, seeded):
    decoder = CountingDecoder()
    dataset = build(osp.join(toy_data, 'train_list.txt'),
                    osp.join(toy_data, 'videos'), num_repeats=4,
                    decoder=decoder)
    samples = dataset[0]
    assert len(samples) == 4 and len(decoder.calls) == 1
    frames = decoder.calls[0]
    assert np.array_equal(frames, np.unique(frames))
    for sample in samples:
        assert sample['inputs'].shape == (1, 3, 4, 32, 32)
        assert len(sample['data_samples'].visible_ids) == 2
    # each repeat got its own frames: its pixels equal a direct decode
    direct = build(osp.join(toy_data, 'train_list.txt'),
                   osp.join(toy_data, 'videos'), pipeline=[])
    info = dataset.init(dataset.get_data_info(0))
    reference = dataset.load_clips(0)
    for clip in reference:
        info['frame_inds'] = clip['frame_inds']
        expected = direct.decoder(dict(info))['imgs']
        assert all(np.array_equal(a, b) for a, b in zip(clip['imgs'],
                                                         expected))


def test_corrupt_video_is_skipped_counted_and_logged(toy_data, tmp_path):
    bad = tmp_path / 'broken.mp4'
    bad.write_bytes(b'not a video')
    ann = tmp_path / 'list.txt'
    ann.write_text(f'{bad} 0\n' + ''.join(
        f'{osp.join(toy_data, "videos", f"train_{i:05d}.mp4")} 1\n'
        for i in range(7)))
    dataset = build(str(ann), '', max_skip_fraction=0.2)
    logger = MMLogger.get_current_instance()
    messages = []
    handler = type('H', (), {'level': 0, 'handle': lambda s, r: messages.
                             append(r.getMessage())})()
    logger.addHandler(handler)
    try:
        sample = dataset[0]
    finally:
        logger.removeHandler(handler)
    assert sample['data_samples'].gt_label.item() == 1  # next video
    assert list(dataset.skipped) == [str(bad)]
    assert any(str(bad) in m and 'skipped' in m for m in messages)


def test_too_many_skips_stop_with_the_list(tmp_path, toy_data):
    ann = tmp_path / 'list.txt'
    good = osp.join(toy_data, 'videos', 'train_00000.mp4')
    ann.write_text('missing_a.mp4 0\nmissing_b.mp4 0\n' + f'{good} 0\n' * 4)
    dataset = build(str(ann), str(tmp_path), max_skip_fraction=0.2)
    with pytest.raises(RuntimeError, match='missing_b.mp4'):
        dataset[0]


def test_test_mode_never_skips(tmp_path):
    ann = tmp_path / 'list.txt'
    ann.write_text('missing.mp4 0\n')
    dataset = build(str(ann), str(tmp_path), test_mode=True)
    with pytest.raises(RuntimeError, match='missing.mp4'):
        dataset[0]


def test_empty_or_missing_annotation_file_is_named(tmp_path):
    empty = tmp_path / 'empty.txt'
    empty.write_text('')
    with pytest.raises(ValueError, match='empty.txt has no entries'):
        build(str(empty), '')
    with pytest.raises(FileNotFoundError, match='nope.txt'):
        build(str(tmp_path / 'nope.txt'), '')


def test_unlabelled_pretraining_lines(toy_data):
    dataset = build(osp.join(toy_data, 'pretrain_list.txt'),
                    osp.join(toy_data, 'videos'))
    assert dataset.get_data_info(0)['label'] == -1


@pytest.mark.skipif(not osp.isdir(FIXTURES), reason='needs ../shared')
def test_real_fixture_video(seeded):
    ann = osp.join(FIXTURES, 'annotations', 'video_test_list.txt')
    dataset = build(ann, FIXTURES, num_repeats=2)
    samples = dataset[0]
    assert len(samples) == 2
    assert samples[0]['inputs'].shape == (1, 3, 4, 32, 32)
