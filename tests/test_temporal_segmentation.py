"""Ego-Only stage 2: per-frame temporal segmentation fine-tuning."""
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from conftest import DEMO, load_toy_generator
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.runner import Runner

from mmvmae.datasets import TemporalSegmentationDataset
from mmvmae.datasets.temporal_segmentation_dataset import (frame_targets,
                                                           window_starts)
from mmvmae.datasets.transforms import SampleWindowFrames
from mmvmae.evaluation.metrics.frame_segmentation_metric import (
    FrameSegmentationMetric, average_precision)
from mmvmae.registry import MODELS

DEMO_CONFIG = osp.join(DEMO, 'ego-only_vit-tiny-p8_1xb8-toy_finetune.py')
PRETRAIN_CONFIG = osp.join(DEMO, 'videomae_vit-tiny-p8_1xb8-toy_pretrain.py')
FPS = 4
# Video id -> (frames, [(start s, end s, class)]): one video shorter than a
# window, one with overlapping segments of two classes.
VIDEOS = {
    'long': (22, [(0.5, 1.5, 0), (1.0, 3.0, 2), (4.0, 5.5, 1)]),
    'short': (5, [(0.25, 0.75, 1)]),
}


def write_tad_set(root, videos=VIDEOS, size=32, subset='training'):
    """Tiny videos and an ActionFormer JSON in the toy-det layout."""
    toy = load_toy_generator()
    os.makedirs(osp.join(root, 'videos'), exist_ok=True)
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    rng = np.random.default_rng(0)
    database = {}
    for video_id, (frames, segments) in videos.items():
        toy.write_video(
            osp.join(root, 'videos', video_id + '.mp4'),
            rng.integers(0, 256, (frames, size, size, 3), dtype=np.uint8),
            fps=FPS)
        database[video_id] = dict(
            subset=subset, duration=frames / FPS, fps=FPS, annotations=[
                dict(segment=[s, e], label=str(k), label_id=k)
                for s, e, k in segments
            ])
    ann_file = osp.join(root, 'annotations', 'toy_tad.json')
    with open(ann_file, 'w') as file:
        json.dump(dict(version='test', database=database), file)
    return ann_file


@pytest.fixture(scope='module')
def tad_set(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('tad'))
    return root, write_tad_set(root)


def dataset(tad_set, test_mode=False, clip_len=4, frame_interval=1,
            **kwargs):
    root, ann_file = tad_set
    return TemporalSegmentationDataset(
        ann_file=ann_file,
        pipeline=[],
        num_classes=3,
        data_prefix=dict(video=osp.join(root, 'videos')),
        sampler=dict(type='SampleWindowFrames', clip_len=clip_len,
                     frame_interval=frame_interval, test_mode=test_mode),
        test_mode=test_mode,
        **kwargs)


# Targets and windows ------------------------------------------------------


def test_frame_targets_on_hand_made_segments():
    # Frame f is labelled when its centre (f + 0.5) / 4 is in [start, end).
    segments = np.array([[0.5, 1.0], [0.75, 2.0], [2.0, 2.1]])
    labels = np.array([0, 2, 0])
    targets = frame_targets(np.arange(10), 4., segments, labels, 3)
    expected = np.zeros((10, 3), np.float32)
    expected[[2, 3], 0] = 1  # centres 0.625, 0.875
    expected[3:8, 2] = 1  # centres 0.875 .. 1.875
    # [2.0, 2.1) holds no frame centre (1.875, 2.125): it labels nothing.
    np.testing.assert_array_equal(targets, expected)
    assert targets.dtype == np.float32
    # Sampled frames (interval 3) take the labels of their own frames.
    np.testing.assert_array_equal(
        frame_targets(np.array([0, 3, 6, 9]), 4., segments, labels, 3),
        expected[[0, 3, 6, 9]])
    # No segments: all background.
    assert not frame_targets(np.arange(4), 4., np.zeros((0, 2)),
                             np.zeros(0, np.int64), 3).any()


def test_window_starts_cover_the_video():
    assert window_starts(10, 4, 4) == [0, 4, 6]
    assert window_starts(8, 4, 4) == [0, 4]
    assert window_starts(8, 4, 2) == [0, 2, 4]
    assert window_starts(3, 4, 4) == [0]


def test_sample_window_frames():
    sampler = SampleWindowFrames(clip_len=4, frame_interval=2)
    assert sampler.span == 8
    fixed = sampler(dict(total_frames=20, window_start=6))
    np.testing.assert_array_equal(fixed['frame_inds'], [6, 8, 10, 12])
    assert fixed['clip_len'] == 4 and fixed['num_clips'] == 1
    np.random.seed(0)
    starts = {sampler(dict(total_frames=20))['window_start']
              for _ in range(200)}
    assert starts == set(range(13))  # every start in [0, 20 - 8]
    short = sampler(dict(total_frames=5))
    np.testing.assert_array_equal(short['frame_inds'], [0, 2, 4, 4])
    centred = SampleWindowFrames(4, 2, test_mode=True)(dict(total_frames=20))
    assert centred['window_start'] == 6
    with pytest.raises(ValueError, match='frame_interval'):
        SampleWindowFrames(4, 0)


# Dataset ------------------------------------------------------------------


def test_test_windows_cover_every_video_frame(tad_set):
    data = dataset(tad_set, test_mode=True)
    assert len(data) == 6 + 2  # starts 0 4 8 12 16 18 and 0 1
    seen = {}
    for i in range(len(data)):
        item = data[i]
        video_id, frames, segments = (item['video_id'], item['frame_inds'],
                                      VIDEOS[item['video_id']][1])
        seen.setdefault(video_id, set()).update(frames.tolist())
        expected = frame_targets(frames, FPS,
                                 np.array([s[:2] for s in segments]),
                                 np.array([s[2] for s in segments]), 3)
        np.testing.assert_array_equal(item['frame_labels'], expected)
        assert len(item['imgs']) == 4
    assert seen == {'long': set(range(22)), 'short': set(range(5))}
    assert not data.frame_count_mismatches


def test_test_windows_with_frame_interval_reach_both_ends(tad_set):
    data = dataset(tad_set, test_mode=True, clip_len=4, frame_interval=2,
                   test_stride=4)
    frames = sorted({int(f) for i in range(len(data))
                     if data.get_data_info(i)['video_id'] == 'long'
                     for f in data[i]['frame_inds']})
    assert frames[0] == 0 and frames[-1] >= 22 - 2
    assert max(np.diff(frames)) <= 2


def test_training_items_are_random_windows(tad_set):
    data = dataset(tad_set)
    # One item per window of the dense tiling: 22 frames -> 6, 5 -> 2.
    assert len(data) == 6 + 2
    np.random.seed(1)
    starts = {data[0]['window_start'] for _ in range(30)}
    assert len(starts) > 5 and max(starts) <= 22 - 4
    # train_stride=8: 22 frames -> starts 0 8 16 18, 5 -> 0 1.
    assert len(dataset(tad_set, train_stride=8)) == 4 + 2


def test_dataset_bad_input(tad_set, tmp_path):
    root, ann_file = tad_set
    with pytest.raises(FileNotFoundError, match='missing.mp4'):
        bad = dict(json.load(open(ann_file))['database'])
        bad['missing'] = dict(bad['short'])
        path = tmp_path / 'missing.json'
        path.write_text(json.dumps(dict(database=bad)))
        dataset((root, str(path)))

    def with_segment(segment, label=0):
        db = json.load(open(ann_file))['database']
        db['short']['annotations'] = [dict(segment=segment, label_id=label)]
        path = tmp_path / 'ann.json'
        path.write_text(json.dumps(dict(database=db)))
        return root, str(path)

    with pytest.raises(ValueError, match=r"'short'.*outside \[0, 1.25\]"):
        dataset(with_segment([1.0, 2.0]))
    with pytest.raises(ValueError, match='empty or outside'):
        dataset(with_segment([0.5, 0.5]))
    with pytest.raises(ValueError, match=r'label_id=3 .*\[0, 3\)'):
        dataset(with_segment([0., 1.], label=3))
    clipped = dataset(with_segment([-0.5, 2.0]), out_of_range='clip')
    assert clipped.clipped_segments == {'short': [(-0.5, 2.0)]}
    info = next(clipped.get_data_info(i) for i in range(len(clipped))
                if clipped.get_data_info(i)['video_id'] == 'short')
    np.testing.assert_allclose(info['segments'], [[0., 1.25]])
    dropped = dataset(with_segment([2.0, 3.0]), out_of_range='clip')
    assert dropped.clipped_segments == {'short': [(2.0, 3.0)]}
    with pytest.raises(ValueError, match="subset 'testing'"):
        dataset(tad_set, subset='testing')


def test_targets_equal_the_toy_generator_frame_truth(toy_det_data):
    # Every frame of every toy detection video, through the dataset: the
    # targets from the JSON segments equal the generator's per-frame labels.
    for subset in ('training', 'validation'):
        data = TemporalSegmentationDataset(
            ann_file=toy_det_data['tad_json'],
            pipeline=[],
            num_classes=4,
            subset=subset,
            data_prefix=dict(video=toy_det_data['video_dir']),
            sampler=dict(type='SampleWindowFrames', clip_len=16,
                         test_mode=True),
            test_mode=True)
        checked = {}
        for i in range(len(data)):
            item = data[i]
            truth = np.load(osp.join(toy_det_data['tracks_dir'],
                                     item['video_id'] + '.npz'))['labels']
            np.testing.assert_array_equal(item['frame_labels'],
                                          truth[item['frame_inds']])
            checked.setdefault(item['video_id'], set()).update(
                item['frame_inds'].tolist())
        frames = {data.get_data_info(i)['video_id']:
                  set(range(data.get_data_info(i)['num_frames']))
                  for i in range(len(data))}
        assert checked == frames  # every frame of every video
        assert not data.frame_count_mismatches


# Head, model, metric ------------------------------------------------------


def tiny_segmenter(**backbone):
    return MODELS.build(
        dict(
            type='TemporalSegmenter',
            backbone=dict(
                type='VideoViT',
                arch=dict(embed_dims=32, depth=2, num_heads=2),
                img_size=32,
                patch_size=16,
                num_frames=4,
                use_mean_pooling=False,
                **backbone),
            head=dict(type='TemporalSegmentationHead', num_classes=3,
                      in_channels=32, tubelet_size=2)))


def labelled_samples(num, frames=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    samples = []
    for i in range(num):
        sample = ActionDataSample()
        sample.set_field(
            rng.integers(0, 2, (frames, classes)).astype(np.float32),
            'frame_labels')
        sample.set_metainfo(dict(video_id=f'v{i}',
                                 frame_inds=np.arange(frames)))
        samples.append(sample)
    return samples


def test_head_shapes_upsampling_and_loss():
    torch.manual_seed(0)
    head = MODELS.build(dict(type='TemporalSegmentationHead', num_classes=3,
                             in_channels=8, tubelet_size=2))
    head.init_weights()
    tokens = torch.randn(2, 3 * 2 * 2, 8)  # grid (3, 2, 2)
    logits = head(tokens, (3, 2, 2))
    assert logits.shape == (2, 3, 3)
    # Slice t is the spatial mean of its 4 tokens.
    slice_1 = tokens.reshape(2, 3, 4, 8)[:, 1].mean(1)
    torch.testing.assert_close(logits[:, 1], head.fc_seg(slice_1))
    frames = head.frame_logits(logits)
    assert frames.shape == (2, 6, 3)
    torch.testing.assert_close(frames[:, 0::2], logits)
    torch.testing.assert_close(frames[:, 1::2], logits)
    targets = torch.randint(0, 2, (2, 6, 3)).float()
    p = frames.sigmoid()
    direct = -(targets * p.log() + (1 - targets) * (1 - p).log()).mean()
    torch.testing.assert_close(head.loss(logits, targets)['loss_seg'],
                               direct)
    torch.testing.assert_close(head.predict(logits), p)
    with pytest.raises(ValueError, match=r'frame_labels of shape \(2, 4, 3\)'):
        head.loss(logits, targets[:, :4])
    with pytest.raises(ValueError, match='grid'):
        head(tokens, (2, 2, 2))


def test_segmenter_gradients_reach_every_parameter():
    torch.manual_seed(0)
    model = tiny_segmenter(drop_path_rate=0.)
    model.init_weights()
    inputs = torch.randn(2, 1, 3, 4, 32, 32)
    losses = model(inputs, labelled_samples(2), mode='loss')
    assert set(losses) == {'loss_seg'} and torch.isfinite(losses['loss_seg'])
    losses['loss_seg'].backward()
    no_grad = [name for name, p in model.named_parameters()
               if p.requires_grad and (p.grad is None or not p.grad.any())]
    assert not no_grad
    assert model(inputs, mode='tensor').shape == (2, 2, 3)


def test_segmenter_predicts_view_averaged_frame_scores():
    torch.manual_seed(0)
    model = tiny_segmenter().eval()
    views = torch.randn(2, 3, 3, 4, 32, 32)  # 3 crops per sample
    with torch.no_grad():
        samples = model(views, labelled_samples(2), mode='predict')
        each = model.head.predict(model.extract_logits(views)).reshape(
            2, 3, 4, 3)
    for sample, expected in zip(samples, each.mean(1)):
        assert sample.pred_frame_scores.shape == (4, 3)
        torch.testing.assert_close(sample.pred_frame_scores, expected)


def test_segmenter_rejects_bad_configs():
    with pytest.raises(ValueError, match='use_mean_pooling=False'):
        MODELS.build(
            dict(type='TemporalSegmenter',
                 backbone=dict(type='VideoViT', arch=dict(
                     embed_dims=32, depth=1, num_heads=2), img_size=32,
                     num_frames=4),
                 head=dict(type='TemporalSegmentationHead', num_classes=3,
                           in_channels=32)))
    with pytest.raises(ValueError, match='tubelet_size=4'):
        MODELS.build(
            dict(type='TemporalSegmenter',
                 backbone=dict(type='VideoViT', arch=dict(
                     embed_dims=32, depth=1, num_heads=2), img_size=32,
                     num_frames=4, use_mean_pooling=False),
                 head=dict(type='TemporalSegmentationHead', num_classes=3,
                           in_channels=32, tubelet_size=4)))
    model = tiny_segmenter()
    with pytest.raises(KeyError, match='frame_labels'):
        model(torch.randn(1, 3, 4, 32, 32), [ActionDataSample()],
              mode='loss')


def test_average_precision_matches_sklearn():
    metrics = pytest.importorskip('sklearn.metrics')
    rng = np.random.default_rng(0)
    for _ in range(20):
        targets = rng.integers(0, 2, 50)
        targets[0] = 1
        scores = rng.integers(0, 6, 50) / 5  # many ties
        assert average_precision(scores, targets) == pytest.approx(
            metrics.average_precision_score(targets, scores), abs=1e-12)
    assert average_precision([0.9, 0.8, 0.1], [1, 0, 1]) == pytest.approx(
        (1 + 2 / 3) / 2)
    assert np.isnan(average_precision([0.5], [0]))


def test_metric_merges_overlapping_windows():
    metric = FrameSegmentationMetric()
    # Video 'a': frames 0-3 and 2-5 (frames 2, 3 in both windows).
    labels = np.zeros((6, 2), np.float32)
    labels[1:4, 0] = 1
    labels[5, 1] = 1
    scores = np.full((6, 2), 0.1)
    scores[1:4, 0] = 0.9
    scores[5, 1] = 0.8
    first, second = scores[0:4].copy(), scores[2:6].copy()
    first[2, 0], second[0, 0] = 0.2, 0.9  # frame 2: (0.2 + 0.9) / 2 > 0.5
    first[3, 1] = 0.7  # frame 3, class 1: (0.7 + 0.1) / 2 < 0.5
    samples = [
        dict(video_id='a', frame_inds=torch.arange(0, 4),
             pred_frame_scores=torch.tensor(first), frame_labels=labels[:4]),
        dict(video_id='a', frame_inds=torch.arange(2, 6),
             pred_frame_scores=torch.tensor(second), frame_labels=labels[2:]),
        dict(video_id='b', frame_inds=np.array([0]),
             pred_frame_scores=torch.tensor([[0.6, 0.1]]),
             frame_labels=np.zeros((1, 2), np.float32)),
    ]
    metric.process(None, samples)
    result = metric.evaluate(3)
    assert result['seg/num_frames'] == 7
    assert result['seg/frame_acc'] == pytest.approx(6 / 7)  # 'b' is wrong
    # Class 0: positives 1-3 score 0.9, 0.55, 0.9; 'b' scores 0.6 (neg).
    ap0 = average_precision([0.1, 0.9, 0.55, 0.9, 0.1, 0.1, 0.6],
                            [0, 1, 1, 1, 0, 0, 0])
    assert result['seg/mAP'] == pytest.approx((ap0 + 1.) / 2)
    with pytest.raises(KeyError, match='frame_labels'):
        metric.process(None, [dict(video_id='c', frame_inds=[0],
                                   pred_frame_scores=torch.zeros(1, 2))])


# Demo config --------------------------------------------------------------


@pytest.fixture(scope='module')
def toy_tad(tmp_path_factory):
    """Tiny toy-det-layout set at the demo's 64x64: 2 train, 1 val video."""
    root = str(tmp_path_factory.mktemp('toy_tad'))
    write_tad_set(root, {'t0': (24, [(1.0, 2.5, 0)]),
                         't1': (20, [(0.5, 3.0, 3)])}, size=64)
    train = json.load(open(osp.join(root, 'annotations', 'toy_tad.json')))
    val_root = str(tmp_path_factory.mktemp('toy_tad_val'))
    write_tad_set(val_root, {'v0': (18, [(2.0, 4.0, 1)])}, size=64,
                  subset='validation')
    val = json.load(open(osp.join(val_root, 'annotations', 'toy_tad.json')))
    os.rename(osp.join(val_root, 'videos', 'v0.mp4'),
              osp.join(root, 'videos', 'v0.mp4'))
    train['database'].update(val['database'])
    with open(osp.join(root, 'annotations', 'toy_tad.json'), 'w') as file:
        json.dump(train, file)
    return root


def test_demo_config_loads_pretrain_checkpoint_and_trains(toy_tad, tmp_path):
    torch.manual_seed(0)
    pretrain = MODELS.build(Config.fromfile(PRETRAIN_CONFIG).model)
    checkpoint = str(tmp_path / 'pretrain.pth')
    torch.save(dict(state_dict=pretrain.state_dict()), checkpoint)
    cfg = Config.fromfile(DEMO_CONFIG)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.model.backbone.init_cfg.checkpoint = checkpoint
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[name]
        loader.update(num_workers=0, persistent_workers=False, batch_size=2)
        loader.dataset.ann_file = osp.join(toy_tad, 'annotations',
                                           'toy_tad.json')
        loader.dataset.data_prefix = dict(video=osp.join(toy_tad, 'videos'))
    cfg.train_cfg.update(max_epochs=1, val_interval=1)
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    runner = Runner.from_cfg(cfg)
    runner.train()
    loss = runner.message_hub.get_scalar('train/loss_seg').current()
    assert np.isfinite(loss)
    metrics = runner.val_loop.run()
    assert metrics['seg/num_frames'] == 9  # 18 frames, interval 2
    assert 0 <= metrics['seg/frame_acc'] <= 1
    # Encoder weights came from the pretraining checkpoint (one epoch of
    # fine-tuning moves them a little); the head is new.
    loaded = runner.model.backbone.blocks[0].attn.qkv.weight.detach()
    torch.testing.assert_close(
        loaded, pretrain.backbone.blocks[0].attn.qkv.weight, atol=1e-3,
        rtol=0)
    torch.testing.assert_close(runner.model.backbone.norm.weight.detach(),
                               pretrain.backbone.norm.weight, atol=1e-3,
                               rtol=0)
