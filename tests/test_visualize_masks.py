"""tools/analysis/visualize_masks.py: a PNG grid of several strategies."""

import av
import numpy as np
import pytest
from conftest import DEMO, load_script
from PIL import Image

from mmvmae.visualization.mask_grid import GAP, LABEL_HEIGHT, mask_grid


def load_tool():
    return load_script('tools/analysis/visualize_masks.py')


@pytest.fixture(scope='module')
def tool():
    return load_tool()


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    """16 frames of 40x64 with a square moving right, written by PyAV
    (decord misreads widths 48 and 72)."""
    path = tmp_path_factory.mktemp('video') / 'square.mp4'
    with av.open(str(path), 'w') as container:
        stream = container.add_stream('mpeg4', rate=8)
        stream.width, stream.height, stream.pix_fmt = 64, 40, 'yuv420p'
        for t in range(16):
            frame = np.full((40, 64, 3), 40, np.uint8)
            frame[8:24, 3 * t:3 * t + 16] = 220
            container.mux(stream.encode(
                av.VideoFrame.from_ndarray(frame, format='rgb24')))
        container.mux(stream.encode())
    return str(path)


def test_two_strategies_give_a_png_of_the_expected_size(tool, video,
                                                        tmp_path, capsys):
    out = tool.main([
        '--video', video, '--masks', 'TubeMaskGenerator',
        'dict(type="ScoreGuidedMasker", keep="high", '
        'scorer=dict(type="FrameDifferenceScorer"))', '--size', '32',
        '--frames', '4', '--frame-interval', '2', '--patch-size', '8',
        '--mask-ratio', '0.75', '--out', str(tmp_path / 'grid.png')
    ])
    image = np.asarray(Image.open(out))
    assert image.shape == (2 * (LABEL_HEIGHT + 32) + GAP, 4 * 32 + 3 * GAP,
                           3)
    log = capsys.readouterr().out
    assert '[1/2] TubeMaskGenerator | mask_ratio 0.75 | 8/32 tokens' in log
    assert '[2/2] ScoreGuidedMasker (keep=high, scorer=' in log


def test_deterministic_under_seed_and_seed_matters(tool, video, tmp_path):
    def render(name, seed):
        return np.asarray(Image.open(tool.main([
            '--video', video, '--masks', 'RandomMaskGenerator', '--size',
            '32', '--frames', '4', '--patch-size', '8', '--seed',
            str(seed), '--out', str(tmp_path / name)
        ])))

    first = render('a.png', 0)
    assert np.array_equal(first, render('b.png', 0))
    assert not np.array_equal(first, render('c.png', 1))


@pytest.mark.parametrize('config, expected', [
    ('frame-mask', 'FrameMaskGenerator | mask_ratio 0.75 | 64/256 tokens'),
    ('score-mask', 'ScoreGuidedMasker (scorer=FrameDifferenceScorer, '
     "keep=low, sample=multinomial, temperature=0.5, per_slice=True) | "
     'mask_ratio 0.75 | 64/256 tokens'),
])
def test_strategies_from_a_config(tool, video, tmp_path, capsys, config,
                                  expected):
    tool.main(['--video', video, '--config',
               f'{DEMO}/{config}_vit-tiny-p8_1xb8-toy_pretrain.py',
               '--out', str(tmp_path / 'cfg.png')])
    log = capsys.readouterr().out
    assert '64x64, patch 8, tubelet 2' in log  # sizes of the config
    assert f'[1/1] {expected}' in log


def test_score_map_prepared_by_a_transform(tool, video, tmp_path, capsys):
    # high scores on the left half of the 40x64 video; the tool's centre
    # crop keeps about its columns 11..51, so the left 17 of the 32 clip
    # columns: token columns 0 and 1 score 1, column 2 1/8.
    score = np.zeros((40, 64), np.float32)
    score[:, :32] = 1
    np.save(tmp_path / 'square.npy', score)
    strategy = (f'[dict(type="LoadScoreMap", path_template="{tmp_path}/'
                '{stem}.npy"), dict(type="ScoreMaskGenerator")]')
    tool.main(['--video', video, '--masks', strategy, '--size', '32',
               '--frames', '4', '--patch-size', '8', '--mask-ratio', '0.75',
               '--out', str(tmp_path / 'score.png')])
    log = capsys.readouterr().out
    assert 'ScoreMaskGenerator after LoadScoreMap | mask_ratio 0.75' in log
    visible = tool.visible_map(
        tool.parse_strategy(strategy),
        tool.read_clip(video, 4, 4, 32),
        dict(size=32, patch_size=8, tubelet_size=2, mask_ratio=0.75,
             mean=tool.IMAGENET_MEAN, std=tool.IMAGENET_STD), seed=0)
    assert visible.sum() == 8  # 4 of 16 per slice
    assert not visible[..., 2:].any()  # only the two left token columns


def test_unknown_type_and_bad_video_are_named(tool, video, tmp_path):
    with pytest.raises(KeyError, match="unknown mask strategy 'TubeMask'"):
        tool.main(['--video', video, '--masks', 'TubeMask'])
    with pytest.raises(KeyError, match="'VideoViT'"):
        tool.main(['--video', video, '--masks', 'dict(type="VideoViT")'])
    with pytest.raises(KeyError, match="'LoadScoreMap' cannot precede"):
        tool.main(['--video', video, '--masks',
                   '[dict(type="LoadScoreMap", path_template="x"), '
                   'dict(type="ScoreGuidedMasker", scorer=dict('
                   'type="FrameDifferenceScorer"))]'])
    with pytest.raises(ValueError, match='cannot parse mask strategy'):
        tool.main(['--video', video, '--masks', 'dict(type=Tube'])
    with pytest.raises(FileNotFoundError, match='missing.mp4'):
        tool.main(['--video', str(tmp_path / 'missing.mp4'), '--masks',
                   'TubeMaskGenerator'])
    broken = tmp_path / 'broken.mp4'
    broken.write_bytes(b'not a video')
    with pytest.raises(ValueError, match='cannot read video .*broken.mp4'):
        tool.main(['--video', str(broken), '--masks', 'TubeMaskGenerator'])


def test_mask_grid_dims_masked_tokens():
    clip = np.full((2, 4, 4, 3), 255, np.uint8)
    visible = np.zeros((1, 2, 2), bool)
    visible[0, 0, 1] = True
    grid = mask_grid(clip, [('x', visible)])
    tile = grid[LABEL_HEIGHT:, :4]
    assert (tile[:2, 2:] == 255).all()  # the visible patch
    assert (tile[2:] < 255).all() and (tile[:2, :2] < 255).all()


def test_motion_guided_masks_follow_the_codec_motion(tool, video):
    """The tool decodes motion vectors too: MGM's visible tokens move with
    the square instead of staying a tube (fallback='error' proves the
    vectors were found)."""
    clip = tool.read_clip(video, frames=8, frame_interval=2, size=32)
    sizes = dict(mask_ratio=0.75, patch_size=8, tubelet_size=2, size=32)
    visible = tool.visible_map(
        [dict(type='MotionGuidedMaskGenerator', fallback='error')], clip,
        sizes, seed=0)
    assert visible.shape == (4, 4, 4)
    assert visible.reshape(4, -1).sum(1).tolist() == [4] * 4
    assert not (visible == visible[0]).all()
