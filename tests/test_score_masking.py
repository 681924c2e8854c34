"""Score-guided masking: the shared selection, the pipeline transform (with
score maps from files and MARLIN's fasking) and the model-side masker."""
import numpy as np
import pytest
import torch
from conftest import demo_config, tiny_videomae
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmvmae.datasets.transforms import (FaskingScores, LoadScoreMap,
                                        ScoreMaskGenerator)
from mmvmae.datasets.transforms.fasking_scores import FACE_PARTS
from mmvmae.models.maskers import (EncoderTokenScorer, FrameDifferenceScorer,
                                   ScoreGuidedMasker)
from mmvmae.registry import DATASETS, MODELS
from mmvmae.utils.score_selection import (VisibleSelector, num_visible,
                                          select_visible)


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


# --- shared selection ------------------------------------------------------


def test_topk_keeps_the_highest_or_lowest_scores():
    scores = torch.tensor([[.1, .9, .5, .7, .2, .8], [6., 5., 4., 3., 2., 1.]])
    high = select_visible(scores, 3, 'high', generator=generator())
    low = select_visible(scores, 3, 'low', generator=generator())
    assert high.tolist() == [[1, 3, 5], [0, 1, 2]]
    assert low.tolist() == [[0, 2, 4], [3, 4, 5]]


def test_topk_breaks_ties_at_random():
    scores = torch.tensor([[5., 1., 1., 1., 1., 0.]])
    picks = {
        tuple(select_visible(scores, 3, generator=generator(seed))[0].tolist())
        for seed in range(30)
    }
    assert all(p[0] == 0 and 5 not in p for p in picks)  # top score always
    assert len(picks) == 6  # every pair of the four tied tokens occurs


def test_multinomial_never_duplicates_and_respects_zero_probability():
    scores = torch.rand(64, 50, generator=generator(1))
    scores[:, ::2] = float('-inf')  # probability 0
    for seed in range(5):
        chosen = select_visible(scores, 25, sample='multinomial',
                                generator=generator(seed))
        assert chosen.shape == (64, 25)
        assert (chosen.diff(dim=1) > 0).all()  # sorted, no duplicates
        assert (chosen % 2 == 1).all()  # every possible token, none other
    low = -scores  # keep='low': +inf is the excluded value
    chosen = select_visible(low, 20, keep='low', sample='multinomial',
                            generator=generator())
    assert (chosen % 2 == 1).all()


def test_multinomial_prefers_high_scores_by_temperature():
    scores = torch.arange(10.).repeat(2000, 1)
    counts = torch.bincount(
        select_visible(scores, 1, sample='multinomial', temperature=1.,
                       generator=generator()).flatten(), minlength=10)
    probs = torch.softmax(torch.arange(10.), 0)
    assert torch.allclose(counts / 2000., probs, atol=0.03)
    hot = torch.bincount(
        select_visible(scores, 1, sample='multinomial', temperature=100.,
                       generator=generator()).flatten(), minlength=10)
    assert hot.min() > 150  # nearly uniform at a high temperature


def test_selection_errors_name_the_problem():
    with pytest.raises(ValueError, match='only 2 tokens'):
        select_visible(torch.tensor([[1., 2., -float('inf')]]), 3,
                       sample='multinomial')
    with pytest.raises(ValueError, match='NaN'):
        select_visible(torch.tensor([[1., float('nan')]]), 1)
    with pytest.raises(ValueError, match=r'\(B, N\)'):
        select_visible(torch.zeros(4), 1)
    with pytest.raises(ValueError, match='leaves 4 of 4 tokens visible per'):
        num_visible(0.2, (2, 2, 2), per_slice=True)


@pytest.mark.parametrize('kwargs, message', [
    (dict(mask_ratio=1.), r'mask_ratio must be in \(0, 1\)'),
    (dict(mask_ratio=.9, keep='top'), "keep must be one of .*'top'"),
    (dict(mask_ratio=.9, sample='gumbel'), "sample must be one of"),
    (dict(mask_ratio=.9, temperature=0), 'temperature must be > 0'),
])
def test_selector_bad_arguments_fail_at_build(kwargs, message):
    with pytest.raises(ValueError, match=message):
        VisibleSelector(**kwargs)
    with pytest.raises(ValueError, match=message):
        ScoreMaskGenerator(**kwargs)


def test_selector_counts_per_slice_and_global():
    scores = torch.rand(3, 8 * 14 * 14, generator=generator())
    per_slice = VisibleSelector(0.9)(scores, (8, 14, 14), generator())
    assert per_slice.shape == (3, 160)  # tube masking's 20 per slice
    assert (torch.stack([torch.bincount(row // 196, minlength=8)
                         for row in per_slice]) == 20).all()
    whole = VisibleSelector(0.9, per_slice=False)(scores, (8, 14, 14),
                                                  generator())
    assert whole.shape == (3, 157)  # random masking's 1568 - 1411
    assert all(len(set(row.tolist())) == 157 for row in whole)


# --- pipeline transform ----------------------------------------------------


def clip_results(frames=8, size=64, **extra):
    return dict(imgs=np.zeros((1, 3, frames, size, size), np.uint8), **extra)


def test_score_mask_from_pixel_map_keeps_the_top_tokens(seeded):
    # tokens (t, 1, 2) and (t, 5, 6) of a 4x8x8 grid (patch 8, tubelet 2)
    # get the highest mean score; the others are noise below 0.5.
    score_map = np.random.rand(8, 64, 64) * .5
    score_map[:, 8:16, 16:24] += 1
    score_map[:, 40:48, 48:56] += 2
    gen = ScoreMaskGenerator(0.96875, patch_size=8)  # 2 visible per slice
    out = gen(clip_results(score_map=score_map))
    expected = [t * 64 + i for t in range(4) for i in (1 * 8 + 2, 5 * 8 + 6)]
    assert out['visible_ids'].tolist() == expected
    assert out['visible_ids'].dtype == np.int64
    assert len(out['masked_ids']) == 256 - 8
    low = ScoreMaskGenerator(0.5, patch_size=8, keep='low')(
        clip_results(score_map=score_map))
    assert not set(expected) & set(low['visible_ids'].tolist())


def test_score_mask_token_and_static_maps(seeded):
    tokens = np.arange(4 * 8 * 8, dtype=np.float32).reshape(4, 8, 8)
    out = ScoreMaskGenerator(0.75, patch_size=8, per_slice=False)(
        clip_results(score_map=tokens))
    assert out['visible_ids'].tolist() == list(range(192, 256))
    static = np.zeros((64, 64), np.float32)
    static[:8] = 1  # first row of patches, every slice
    out = ScoreMaskGenerator(0.875, patch_size=8)(
        clip_results(score_map=static))
    assert (out['visible_ids'] % 64 < 8).all()
    assert len(out['visible_ids']) == 4 * 8


def test_score_mask_deterministic_under_seed():
    gen = ScoreMaskGenerator(0.75, patch_size=8, sample='multinomial')
    score_map = np.random.default_rng(0).random((8, 64, 64))
    np.random.seed(3)
    first = gen(clip_results(score_map=score_map))['visible_ids']
    np.random.seed(3)
    again = gen(clip_results(score_map=score_map))['visible_ids']
    assert np.array_equal(first, again)
    assert not np.array_equal(first, gen(clip_results(
        score_map=score_map))['visible_ids'])


def test_score_mask_without_scores_is_uniform(seeded):
    masked = ScoreMaskGenerator(0.75, patch_size=8).masked_tokens((4, 8, 8))
    assert (np.bincount(masked // 64) == 48).all()


def test_score_mask_errors_name_key_and_shape():
    gen = ScoreMaskGenerator(0.75, patch_size=8)
    with pytest.raises(KeyError, match="results\\['score_map'\\]"):
        gen(clip_results())
    with pytest.raises(ValueError, match=r"'score_map' has shape \(5, 5\)"):
        gen(clip_results(score_map=np.zeros((5, 5))))


# --- score maps from files -------------------------------------------------


def video_results(tmp_path, **extra):
    return dict(filename=str(tmp_path / 'videos' / 'clip01.mp4'),
                frame_inds=np.array([2, 4, 6, 8]), img_shape=(4, 4), **extra)


def test_load_score_map_picks_frames_and_follows_crop_and_flip(tmp_path):
    (tmp_path / 'maps').mkdir()
    stored = np.arange(10 * 8 * 8, dtype=np.float32).reshape(10, 8, 8)
    np.save(tmp_path / 'maps' / 'clip01.npy', stored)
    load = LoadScoreMap('{dirname}/../maps/{stem}.npy',
                        interpolation='nearest')
    # the clip was the right half (x from 0.5, width 0.5), flipped, 4x4
    out = load(video_results(tmp_path, crop_quadruple=np.array(
        [.5, 0., .5, 1.], np.float32), flip=True))
    expected = stored[[2, 4, 6, 8]][:, 1::2, 4:][:, :, ::-1]
    assert np.array_equal(out['score_map'], expected)
    static = tmp_path / 'maps' / 'static.npy'
    np.save(static, stored[0])
    out = LoadScoreMap(str(static))(video_results(tmp_path))
    assert out['score_map'].shape == (4, 4)


def test_load_score_map_errors(tmp_path):
    load = LoadScoreMap('{dirname}/{stem}_saliency.npy')
    with pytest.raises(FileNotFoundError, match='clip01_saliency.npy'):
        load(video_results(tmp_path))
    (tmp_path / 'videos').mkdir()
    np.save(tmp_path / 'videos' / 'clip01_saliency.npy', np.zeros((5, 4, 4)))
    with pytest.raises(ValueError, match='5 frame maps, but frame 8'):
        load(video_results(tmp_path))
    np.save(tmp_path / 'videos' / 'clip01_saliency.npy', np.zeros((9, 4, 4)))
    out = load(video_results(tmp_path))
    out['flip'] = True  # a Flip placed after the loader
    out['imgs'] = np.zeros((1, 3, 4, 4, 4), np.uint8)
    with pytest.raises(ValueError, match='after LoadScoreMap'):
        ScoreMaskGenerator(0.5, patch_size=2)(out)


# --- MARLIN fasking --------------------------------------------------------

BACKGROUND, SKIN = 0, 1


def parsing_clip(layout: np.ndarray, patch: int = 8) -> dict:
    """A 2-frame clip whose first frame has the per-patch labels of
    ``layout``; the second frame is all background (it must not count)."""
    first = np.kron(layout, np.ones((patch, patch), layout.dtype))
    labels = np.stack([first, np.zeros_like(first)])
    size = first.shape[0]
    return dict(imgs=np.zeros((1, 3, 2, size, size), np.uint8),
                face_parsing=labels)


def fasking(results, opposite=False, mask_ratio=0.75):
    results = FaskingScores(patch_size=8, opposite=opposite)(results)
    return ScoreMaskGenerator(mask_ratio, patch_size=8)(results)


def group_of(label: int) -> int:
    return next(i for i, g in enumerate(FACE_PARTS) if label in g)


def test_fasking_fills_background_skin_then_one_random_part():
    # 8x8 patches, 16 visible: 3 background + 4 skin patches (7 < 16), then
    # the five part groups, 9 or more patches each (labels of a group mixed).
    layout = np.zeros(64, int)
    layout[3:7] = SKIN
    for i in range(7, 64):
        group = FACE_PARTS[min((i - 7) // 12, 4)]
        layout[i] = group[i % len(group)]
    layout = layout.reshape(8, 8)
    first_groups = set()
    for seed in range(40):
        np.random.seed(seed)
        out = fasking(parsing_clip(layout))
        visible = out['visible_ids']
        assert len(visible) == 16
        flat = layout.ravel()
        assert set(np.flatnonzero(flat <= SKIN)) <= set(visible)
        groups = {group_of(flat[i]) for i in visible if flat[i] > SKIN}
        assert len(groups) == 1  # the rest all from the first part drawn
        first_groups |= groups
    assert first_groups == set(range(5))


def test_fasking_region_of_a_patch_is_its_earliest_by_max_pool(seeded):
    layout = np.full((8, 8), 6)  # nose everywhere
    layout[:2] = SKIN  # 16 skin patches = the visible count
    clip = parsing_clip(layout)
    clip['face_parsing'][0, 40, 40] = BACKGROUND  # one pixel of patch (5, 5)
    scores = FaskingScores(patch_size=8)(clip)['score_map']
    assert scores.shape == (1, 8, 8)
    assert scores[0, 5, 5] == 7 and scores[0, 0, 0] == 6
    assert scores[0, 7, 7] in (1, 2, 3, 4, 5)
    visible = ScoreMaskGenerator(0.75, patch_size=8)(clip)['visible_ids']
    # the mixed patch counts as background: visible before the skin, of
    # which 15 of 16 fill the rest; no nose patch
    assert 5 * 8 + 5 in visible
    assert sum(v < 16 for v in visible) == 15 and len(visible) == 16


def test_fasking_opposite_fills_parts_first():
    # parts: 2 patches per group (10 < 16); skin 20; background 34
    layout = np.zeros((8, 8), int)
    for i, label in enumerate([2, 4, 3, 5, 6, 6, 7, 9, 10, 10]):
        layout.flat[i] = label
    layout.flat[10:30] = SKIN
    for seed in range(5):
        np.random.seed(seed)
        visible = fasking(parsing_clip(layout), opposite=True)['visible_ids']
        assert set(range(10)) <= set(visible)
        assert all(10 <= v < 30 for v in visible if v >= 10)  # skin, no bg
        assert len(visible) == 16


def test_fasking_errors_name_key_and_shape():
    with pytest.raises(KeyError, match='face_parsing'):
        FaskingScores(patch_size=8)(dict(imgs=np.zeros((1, 3, 2, 8, 8))))
    with pytest.raises(ValueError, match=r'has shape \(3, 8, 8\)'):
        FaskingScores(patch_size=8)(dict(
            imgs=np.zeros((1, 3, 2, 8, 8)), face_parsing=np.zeros((3, 8, 8))))


# --- model-side masker -----------------------------------------------------


def moving_square_clip(batch=2, frames=4, size=32):
    """A bright 8x8 square moving right by 8 px per frame pair on black."""
    clip = torch.zeros(batch, 3, frames, size, size)
    for t in range(frames):
        x = 8 * (t // 2)
        clip[:, :, t, 8:16, x:x + 8] = 1.
    return clip


def test_frame_difference_scorer_scores_moving_tokens():
    scores = FrameDifferenceScorer()(moving_square_clip(), (2, 4, 4))
    assert scores.shape == (2, 32)
    moving = scores[0].reshape(2, 4, 4) > 0
    # slice 1 (frames 2, 3): the square left (1, 0) and entered (1, 1)
    assert moving[1].nonzero().tolist() == [[1, 0], [1, 1]]


def test_score_guided_masker_keeps_or_hides_motion():
    init_default_scope('mmvmae')
    clip = moving_square_clip()
    high = ScoreGuidedMasker(dict(type='FrameDifferenceScorer'),
                             mask_ratio=0.875)(clip, (2, 4, 4))
    assert high.visible_ids.shape == (2, 4)  # 2 per slice
    assert high.visible_ids[0, 2:].tolist() == [20, 21]
    low = ScoreGuidedMasker(dict(type='FrameDifferenceScorer'),
                            mask_ratio=0.125, keep='low')(clip, (2, 4, 4))
    assert {20, 21} <= set(low.masked_ids[0].tolist())
    assert torch.equal(low.query_ids, low.masked_ids)


def test_score_guided_masker_type_and_shape_errors():
    init_default_scope('mmvmae')
    with pytest.raises(TypeError, match="'VideoViT' is a VideoViT, not a"):
        ScoreGuidedMasker(tiny_encoder(), 0.9)

    class Wrong(FrameDifferenceScorer):

        def forward(self, inputs, grid, data_samples=None):
            return super().forward(inputs, grid)[:, :-1]

    masker = ScoreGuidedMasker(dict(type='FrameDifferenceScorer'), 0.5)
    masker.scorer = Wrong()
    with pytest.raises(ValueError, match=r'shape \(2, 31\), expected'):
        masker(moving_square_clip(), (2, 4, 4))


def tiny_encoder():
    return dict(type='VideoViT', arch=dict(embed_dims=32, depth=2,
                                           num_heads=2),
                img_size=32, num_frames=4, use_mean_pooling=False)


@pytest.fixture
def encoder_checkpoint(tmp_path):
    init_default_scope('mmvmae')
    torch.manual_seed(0)
    encoder = MODELS.build(tiny_encoder())
    path = tmp_path / 'pretrain.pth'
    torch.save({'state_dict': {f'backbone.{k}': v
                               for k, v in encoder.state_dict().items()}},
               path)
    return encoder, str(path)


def test_encoder_scorer_loads_checkpoint_and_scores(encoder_checkpoint):
    encoder, path = encoder_checkpoint
    clip = torch.randn(2, 3, 4, 32, 32)
    norm = EncoderTokenScorer(tiny_encoder(), path, score='feature_norm')
    norm.init_weights()
    assert not any(p.requires_grad for p in norm.parameters())
    with torch.no_grad():
        _, (last, ) = encoder.eval().encode_tokens(encoder.embed(clip),
                                                   layers=(2, ))
    torch.testing.assert_close(norm(clip, (2, 2, 2)), last.norm(dim=-1))
    attention = EncoderTokenScorer(tiny_encoder(), path)
    attention.init_weights()
    received = attention(clip, (2, 2, 2))
    assert received.shape == (2, 8) and (received > 0).all()
    torch.testing.assert_close(received.sum(1), torch.ones(2))


def test_encoder_scorer_missing_checkpoint_is_named(tmp_path):
    init_default_scope('mmvmae')
    scorer = EncoderTokenScorer(tiny_encoder(), str(tmp_path / 'none.pth'))
    with pytest.raises(FileNotFoundError, match='none.pth'):
        scorer.init_weights()


def test_videomae_with_score_guided_masker_trains(encoder_checkpoint):
    _, path = encoder_checkpoint
    init_default_scope('mmvmae')
    cfg = tiny_videomae()
    cfg['masker'] = dict(
        type='ScoreGuidedMasker', mask_ratio=0.5, keep='low',
        sample='multinomial',
        scorer=dict(type='EncoderTokenScorer', encoder=tiny_encoder(),
                    checkpoint=path))
    model = MODELS.build(cfg)
    model.init_weights()
    scorer_params = {id(p) for p in model.masker.parameters()}
    clip = torch.randn(2, 3, 4, 32, 32)
    loss = model.loss(clip, None)['loss_pix']
    assert torch.isfinite(loss)
    loss.backward()
    for name, param in model.named_parameters():
        if id(param) in scorer_params:
            assert not param.requires_grad, name
        else:
            assert param.grad is not None, name


def test_score_mask_demo_config_trains(toy_data, tmp_path):
    cfg = demo_config('score-mask_vit-tiny-p8_1xb8-toy_pretrain', toy_data,
                      str(tmp_path), **{'train_cfg.max_epochs': 1,
                                        'train_dataloader.batch_size': 4})
    runner = Runner.from_cfg(cfg)
    assert isinstance(runner.model.masker, ScoreGuidedMasker)
    runner.train()
    assert runner.iter == 2  # 8 videos, batch 4
    loss = runner.message_hub.get_scalar('train/loss_pix').current()
    assert torch.isfinite(torch.tensor(loss))



def test_marlin_pipeline_on_toy_videos(toy_data, tmp_path):
    """The documented fasking pipeline, with crops and flips, on decoded
    toy videos and stored parsing maps: in every slice the visible tokens
    are the highest-priority ones (no masked token outranks a visible
    one)."""
    labels = np.full((16, 64, 64), SKIN, np.uint8)
    labels[:, :, :12] = labels[:, :, -12:] = BACKGROUND
    labels[:, 20:44, 20:44] = 6  # nose
    labels[:, 44:52, 24:40] = 8  # mouth
    for i in range(8):
        np.save(tmp_path / f'train_{i:05d}.npy', labels)
    dataset = DATASETS.build(dict(
        type='VideoClipDataset',
        ann_file=f'{toy_data}/pretrain_list.txt',
        data_prefix=dict(video=f'{toy_data}/videos'),
        sampler=dict(type='SampleFrames', clip_len=8, frame_interval=2,
                     num_clips=1),
        pipeline=[
            dict(type='MultiScaleCrop', input_size=64,
                 scales=(1, .875, .75, .66), random_crop=False,
                 max_wh_scale_gap=1),
            dict(type='Resize', scale=(64, 64), keep_ratio=False),
            dict(type='Flip', flip_ratio=0.5),
            dict(type='LoadScoreMap', key='face_parsing',
                 interpolation='nearest',
                 path_template=f'{tmp_path}/{{stem}}.npy'),
            dict(type='FormatShape', input_format='NCTHW'),
            dict(type='FaskingScores', patch_size=8, tubelet_size=2),
            dict(type='ScoreMaskGenerator', mask_ratio=0.75, patch_size=8,
                 tubelet_size=2, keep='high', sample='topk'),
        ]))
    np.random.seed(0)
    for index in range(8):
        out = dataset[index]
        assert out['face_parsing'].shape == (8, 64, 64)
        scores = out['score_map'].reshape(4, 64)
        visible = np.zeros(256, bool)
        visible[out['visible_ids']] = True
        visible = visible.reshape(4, 64)
        assert (visible.sum(1) == 16).all()
        for t in range(4):
            assert scores[t][visible[t]].min() >= scores[t][~visible[t]].max()
        assert scores.max() == 7  # background present after the crop
