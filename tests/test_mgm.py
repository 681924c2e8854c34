"""MGM: motion vectors decoded with PyAV move the mask with the content."""
import json
import math
import os.path as osp
import random
import re
from pathlib import Path
from unittest import mock

import av
import numpy as np
import pytest
from conftest import FIXTURES, REPO_ROOT, demo_config, load_script
from mmengine.config import Config
from mmengine.runner import Runner

from mmvmae.datasets.transforms import (MotionGuidedMaskGenerator,
                                        MotionVectorDecode)
from mmvmae.datasets.transforms.motion_guided_mask import (
    arriving_motion, departing_motion, track_visible)
from mmvmae.registry import DATASETS, TRANSFORMS

# The moving square: 32 px, textured, 4 px right per frame from x=8, y=16,
# over a textured still background of 96 x 64. With patch 8 and tubelet 2
# it moves one token column per temporal slice.
WIDTH, HEIGHT, SIDE, STEP, X0, Y0 = 96, 64, 32, 4, 8, 16
X264 = {'qp': '20', 'preset': 'veryfast'}


def write_video(path, codec='libx264', frames=8, options=None, gop=None,
                pix_fmt='yuv420p', width=WIDTH, height=HEIGHT, side=SIDE,
                step=STEP, y0=Y0):
    """A square moving right over a still background."""
    rng = np.random.default_rng(0)
    background = rng.integers(0, 256, (height // 8, width // 8, 3),
                              np.uint8).repeat(8, 0).repeat(8, 1)
    texture = rng.integers(0, 256, (side // 4, side // 4, 3),
                           np.uint8).repeat(4, 0).repeat(4, 1)
    with av.open(str(path), 'w') as container:
        stream = container.add_stream(codec, rate=25, options=options or {})
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        if gop is not None:
            stream.codec_context.gop_size = gop
        for i in range(frames):
            image = background.copy()
            x = X0 + step * i
            image[y0:y0 + side, x:x + side] = texture
            frame = av.VideoFrame.from_ndarray(image, format='rgb24')
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return str(path)


@pytest.fixture(scope='module', params=['libx264', 'mpeg4'])
def square(request, tmp_path_factory):
    options = X264 if request.param == 'libx264' else {}
    return write_video(
        tmp_path_factory.mktemp('mgm') / f'{request.param}.mp4',
        request.param, options=options)


def decode(path, frame_inds, **kwargs):
    return MotionVectorDecode(**kwargs)(
        dict(filename=path, frame_inds=np.asarray(frame_inds), clip_len=len(
            frame_inds), num_clips=1, modality='RGB'))


def masks_of(results, generator):
    """(T', H', W') bool visible map of a generator's output."""
    results = generator(results)
    grid = results['token_grid']
    visible = np.zeros(np.prod(grid), bool)
    visible[results['visible_ids']] = True
    return visible.reshape(grid)


def pipeline(*transforms):
    return [TRANSFORMS.build(t) for t in transforms]


def run(transforms, results):
    for transform in transforms:
        results = transform(results)
    return results


def test_frames_equal_decord_and_motion_points_along_the_square(square):
    results = decode(square, [0, 2, 4, 6])
    reference = TRANSFORMS.build(dict(type='DecordDecode'))(
        TRANSFORMS.build(dict(type='DecordInit'))(
            dict(filename=square, frame_inds=np.array([0, 2, 4, 6]))))
    np.testing.assert_array_equal(
        np.stack(results['imgs']), np.stack(reference['imgs']))
    assert results['motion_vectors_found']
    assert results['original_shape'] == (HEIGHT, WIDTH)
    fields = results['motion_fields']
    assert fields[0].shape == (HEIGHT // 8, WIDTH // 8, 2)
    for a, b in ((0, 2), (2, 4), (4, 6)):
        step = fields[b] - fields[a]
        # Inner blocks of the square at frame b (8 px blocks).
        left = (X0 + STEP * b) // 8 + 1
        inside = step[Y0 // 8 + 1:(Y0 + SIDE) // 8 - 1,
                      left:left + SIDE // 8 - 2].reshape(-1, 2)
        np.testing.assert_allclose(
            inside.mean(0), (STEP * (b - a), 0), atol=1.5)
        # Background far from the square stays still.
        np.testing.assert_allclose(step[:, -2:], 0, atol=0.5)


def test_repeated_and_unsorted_indices_follow_frame_inds(square):
    results = decode(square, [4, 0, 4])
    assert len(results['imgs']) == 3
    np.testing.assert_array_equal(results['imgs'][0], results['imgs'][2])
    assert sorted(results['motion_fields']) == [0, 4]


def test_mask_follows_the_square(square, seeded):
    """Visible tokens on the square move one column per slice with it; a
    tube would keep them in place."""
    transforms = pipeline(
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='MotionGuidedMaskGenerator', mask_ratio=0.75,
             patch_size=8, tubelet_size=2))
    moved = kept = tracked = 0
    for _ in range(10):
        visible = masks_of(
            run(transforms[:1], decode(square, range(8))), transforms[1])
        assert (visible.sum((1, 2)) == 24).all()  # int(96 x 0.25) per slice
        for row in range(Y0 // 8, (Y0 + SIDE) // 8):
            for col in range(X0 // 8, (X0 + SIDE) // 8):
                if visible[0, row, col]:
                    tracked += 3
                    moved += sum(visible[s, row, col + s] for s in (1, 2, 3))
                    kept += sum(visible[s, row, col] for s in (1, 2, 3))
    assert tracked > 30
    assert moved / tracked > 0.85
    assert kept / tracked < 0.35


def test_equal_counts_after_crop_resize_and_flip(square, seeded):
    transforms = pipeline(
        dict(type='MultiScaleCrop', input_size=48, scales=(1, .875, .75)),
        dict(type='Resize', scale=(32, 32), keep_ratio=False),
        dict(type='Flip', flip_ratio=1.),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='MotionGuidedMaskGenerator', mask_ratio=0.9,
             patch_size=8, tubelet_size=2))
    for _ in range(5):
        results = run(transforms, decode(square, range(8)))
        visible, masked = results['visible_ids'], results['masked_ids']
        assert results['token_grid'] == (4, 4, 4)
        assert np.array_equal(np.sort(np.r_[visible, masked]), np.arange(64))
        assert np.all(np.diff(visible) > 0) and visible.dtype == np.int64
        assert np.bincount(visible // 16, minlength=4).tolist() == [2] * 4


def field_results(dx, dy, shape=(64, 96), **extra):
    """Results of a uniform motion field of (dx, dy) pixels per frame."""
    grid = (shape[0] // 8, shape[1] // 8, 2)
    fields = {
        i: np.broadcast_to(np.array([dx, dy], np.float32) * i, grid)
        for i in range(4)
    }
    results = dict(
        imgs=np.zeros((1, 3, 4, 32, 32), np.uint8), frame_inds=np.arange(4),
        motion_fields=fields, motion_block_size=8, original_shape=shape,
        motion_vectors_found=True, filename='uniform.mp4')
    results.update(extra)
    return results


def test_arriving_motion_follows_crop_resize_and_flip():
    # 8 px right and 4 px down per frame, 2 frames per slice.
    plain = arriving_motion(field_results(8, 4), (2, 4, 4), 8, 2)
    assert plain.shape == (1, 4, 4, 2)
    # Original 96 x 64 squeezed to 32 x 32: x by 1/3, y by 1/2.
    np.testing.assert_allclose(plain[..., 0], 16 / 3 / 8)
    np.testing.assert_allclose(plain[..., 1], 8 / 2 / 8)
    crop = arriving_motion(
        field_results(8, 4, crop_quadruple=np.array([.5, .5, .5, .5])),
        (2, 4, 4), 8, 2)
    np.testing.assert_allclose(crop[..., 0], 16 / (48 / 32) / 8)
    np.testing.assert_allclose(crop[..., 1], 8 / (32 / 32) / 8)
    flipped = arriving_motion(
        field_results(8, 4, flip=True, flip_direction='horizontal'),
        (2, 4, 4), 8, 2)
    np.testing.assert_allclose(flipped[..., 0], -plain[..., 0])
    np.testing.assert_allclose(flipped[..., 1], plain[..., 1])


def test_arriving_motion_reads_the_cropped_part_of_the_field():
    results = field_results(0, 0)
    moving = np.zeros((8, 12, 2), np.float32)
    moving[:, 6:, 0] = 16  # right half of the frame moves 16 px by frame 2
    results['motion_fields'][2] = moving
    whole = arriving_motion(results, (2, 4, 4), 8, 2)[0, ..., 0]
    assert (whole[:, 2:] > 0).all() and (whole[:, :2] == 0).all()
    results['crop_quadruple'] = np.array([.5, 0, .5, 1])
    assert (arriving_motion(results, (2, 4, 4), 8, 2)[0, ..., 0] > 0).all()
    results.update(flip=True, flip_direction='horizontal')
    del results['crop_quadruple']
    mirrored = arriving_motion(results, (2, 4, 4), 8, 2)[0, ..., 0]
    assert (mirrored[:, :2] < 0).all() and (mirrored[:, 2:] == 0).all()


def test_departing_motion_moves_the_trailing_edge_with_the_object():
    # One row: an object arrived at columns 2-3 from 1-2; column 1 shows
    # the uncovered background (no motion).
    arriving = np.zeros((1, 6, 2))
    arriving[0, 2:4, 0] = 1
    departing = departing_motion(arriving)
    np.testing.assert_array_equal(departing[0, :, 0], [0, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(departing[..., 1], 0)


def test_tracking_keeps_cells_distinct_and_respawns_leavers(seeded):
    start = np.array([[0, 0], [0, 1], [1, 1], [3, 3]])
    motion = np.zeros((3, 4, 4, 2))
    motion[..., 0] = 1  # everything moves one column right per slice
    cells = track_visible(start, motion)
    assert cells.shape == (4, 4)
    assert all(len(set(row)) == 4 for row in cells)
    np.testing.assert_array_equal(cells[1, :3], [1, 2, 6])  # shifted
    assert cells[1, 3] not in (1, 2, 6)  # (3, 3) left the grid: respawned
    # Two points driven onto one cell: the second takes the nearest free.
    motion = np.zeros((1, 4, 4, 2))
    motion[0, 0, 0, 0] = 1
    np.testing.assert_array_equal(
        track_visible(np.array([[0, 1], [0, 0]]), motion)[1], [1, 0])


@pytest.fixture(scope='module')
def no_motion_videos(tmp_path_factory):
    root = tmp_path_factory.mktemp('no_mvs')
    return {
        'intra-only H.264': write_video(
            root / 'intra.mp4', options=X264, gop=1),
        'MJPEG': write_video(
            root / 'mjpeg.avi', 'mjpeg', pix_fmt='yuvj420p'),
    }


@pytest.mark.parametrize('kind', ['intra-only H.264', 'MJPEG'])
def test_stream_without_motion_vectors_errors_or_falls_back(
        kind, no_motion_videos, seeded):
    path = no_motion_videos[kind]
    formatted = pipeline(dict(type='FormatShape', input_format='NCTHW'))
    results = run(formatted, decode(path, range(8)))
    assert not results['motion_vectors_found']
    strict = MotionGuidedMaskGenerator(0.75, patch_size=8)
    with pytest.raises(ValueError, match=re.escape(path)):
        strict(dict(results))
    lenient = MotionGuidedMaskGenerator(0.75, patch_size=8, fallback='tube')
    log = 'mmvmae.datasets.transforms.motion_guided_mask.print_log'
    with mock.patch(log) as print_log:
        visible = masks_of(dict(results), lenient)
        masks_of(dict(results), lenient)
    assert lenient.fallbacks == 2
    assert all(path in call.args[0] for call in print_log.call_args_list)
    assert print_log.call_count == 2
    # tube: the same visible cells in every slice
    assert (visible == visible[:1]).all()


def test_frames_without_a_motion_decoder_name_the_file(square):
    results = TRANSFORMS.build(dict(type='DecordDecode'))(
        TRANSFORMS.build(dict(type='DecordInit'))(
            dict(filename=square, frame_inds=np.arange(4), clip_len=4,
                 num_clips=1)))
    with pytest.raises(ValueError, match='MotionVectorDecode'):
        MotionGuidedMaskGenerator(0.75, patch_size=8)(results)


def test_frame_past_the_end_names_the_file(square):
    with pytest.raises(ValueError, match=re.escape(square) + '.*frame 40'):
        decode(square, [0, 40])


@pytest.mark.parametrize('kwargs, message', [
    (dict(mask_ratio=0), 'mask_ratio'),
    (dict(mask_ratio=1), 'mask_ratio'),
    (dict(mask_ratio=1.5), 'mask_ratio'),
    (dict(mask_ratio=.9, fallback='random'), "fallback.*'random'"),
])
def test_bad_options_fail_at_build(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MotionGuidedMaskGenerator(**kwargs)


def test_bad_block_size_and_ratio_masking_nothing():
    with pytest.raises(ValueError, match='block_size'):
        MotionVectorDecode(block_size=0)
    with pytest.raises(ValueError, match='leaves 16 of 16'):
        MotionGuidedMaskGenerator(0.01, patch_size=8)(
            field_results(0, 0, imgs=np.zeros((1, 3, 2, 32, 32), np.uint8),
                          frame_inds=np.arange(2)))


@pytest.mark.skipif(not osp.isfile(osp.join(FIXTURES, 'test.mp4')),
                    reason='shared fixtures absent')
def test_real_h264_fixture_has_motion_vectors(seeded):
    path = osp.join(FIXTURES, 'test.mp4')
    results = decode(path, np.arange(0, 64, 4))
    assert results['motion_vectors_found']
    assert results['imgs'][0].shape == (256, 340, 3)
    motion = results['motion_fields'][60] - results['motion_fields'][0]
    assert np.abs(motion).max() > 1
    transforms = pipeline(
        dict(type='MultiScaleCrop', input_size=224, scales=(1, .875, .75,
                                                            .66)),
        dict(type='Resize', scale=(224, 224), keep_ratio=False),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='MotionGuidedMaskGenerator', mask_ratio=0.9))
    results = run(transforms, results)
    assert np.bincount(results['visible_ids'] // 196).tolist() == [20] * 8
    assert not is_tube(results['visible_ids'], 196)


def is_tube(visible_ids, per_slice):
    """Whether the visible cells are the same in every slice (no motion)."""
    slices = np.asarray(visible_ids) // per_slice
    cells = np.asarray(visible_ids).reshape(slices.max() + 1, -1) % per_slice
    return bool((cells == cells[0]).all())


def write_list(root, names):
    ann = Path(root) / 'list.txt'
    ann.write_text(''.join(f'{name}\n' for name in names))
    return str(ann)


MGM_CONFIGS = sorted(
    str(p) for p in Path(REPO_ROOT, 'configs').rglob('mgm_*pretrain.py'))


@pytest.mark.parametrize(
    'path', MGM_CONFIGS, ids=[osp.basename(p) for p in MGM_CONFIGS])
def test_config_pipelines_use_motion_on_a_real_video(path, tmp_path, seeded):
    """Each MGM config's dataset (decode once, repeats included) on an
    H.264 video: masks made from motion, no fallback."""
    random.seed(0)  # mmaction2's crops draw from `random`
    # A 96 px square crossing the middle: every crop sees it move.
    write_video(tmp_path / 'clip.mp4', frames=70, options=X264, width=320,
                height=240, side=96, step=2, y0=72)
    dataset_cfg = Config.fromfile(path).train_dataloader.dataset
    dataset_cfg.update(
        ann_file=write_list(tmp_path, ['clip.mp4']),
        data_prefix=dict(video=str(tmp_path)), num_repeats=2)
    dataset = DATASETS.build(dataset_cfg)
    samples = dataset[0]
    generator = next(t for t in dataset.pipeline.transforms
                     if isinstance(t, MotionGuidedMaskGenerator))
    assert generator.fallbacks == 0
    assert not all(
        is_tube(sample['data_samples'].visible_ids,
                (len(sample['data_samples'].visible_ids) +
                 len(sample['data_samples'].masked_ids)) //
                (len(sample['inputs'][0][0]) // 2)) for sample in samples)
    for sample in samples:
        visible = sample['data_samples'].visible_ids
        masked = sample['data_samples'].masked_ids
        slices = len(sample['inputs'][0][0]) // 2
        per_slice = (len(visible) + len(masked)) // slices
        counts = np.bincount(visible // per_slice, minlength=slices)
        assert (counts == counts[0]).all() and counts[0] > 0


def test_toy_motion_points_in_the_class_direction(toy_data):
    """The toy classes are motion directions (left, right, up, down): the
    median codec motion of the moving blocks says which."""
    directions = {0: (0, -1), 1: (0, 1), 2: (1, -1), 3: (1, 1)}
    lines = Path(toy_data, 'train_list.txt').read_text().split()
    for name, label in zip(lines[::2], map(int, lines[1::2]), strict=True):
        results = decode(osp.join(toy_data, 'videos', name), range(0, 16, 2))
        fields = results['motion_fields']
        steps = np.stack([fields[b] - fields[b - 2] for b in range(2, 16, 2)])
        moving = steps[np.hypot(*np.moveaxis(steps, -1, 0)) > 1]
        motion = np.median(moving, axis=0)
        axis, sign = directions[label]
        assert np.argmax(np.abs(motion)) == axis, (name, label, motion)
        assert np.sign(motion[axis]) == sign, (name, label, motion)


def test_demo_config_trains_two_iterations(toy_data, tmp_path):
    cfg = demo_config(
        'mgm_vit-tiny-p8_1xb8-toy_pretrain', toy_data, str(tmp_path), **{
            'train_cfg.max_epochs': 1, 'train_dataloader.batch_size': 4,
            'custom_hooks': []})
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2  # 8 toy videos, 4 per batch
    assert math.isfinite(
        runner.message_hub.get_scalar('train/loss_pix').current())
    generator = next(t for t in runner.train_dataloader.dataset.pipeline
                     .transforms if isinstance(t, MotionGuidedMaskGenerator))
    assert generator.fallbacks == 0  # the toy videos carry motion vectors


def test_loading_benchmark_reports_both_variants(tmp_path):
    tool = load_script('tools/analysis/benchmark_mgm_loading.py')
    write_video(tmp_path / 'clip.mp4', frames=70, options=X264, width=320,
                height=240, side=96, step=2, y0=72)
    out = tmp_path / 'report.json'
    tool.main(['--videos', str(tmp_path / '*.mp4'), '--iters', '1',
               '--rounds', '1', '--out', str(out)])
    report = json.loads(out.read_text())
    assert report['mgm']['timed_steps'] == report['tube']['timed_steps'] == 2
    assert report['mgm_fallbacks'] == 0
    assert set(report['ratios_mgm_over_tube']) == {
        'clip_time_p50', 'decode', 'mask'}
