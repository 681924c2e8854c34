"""The whole Ego-Only chain on tiny toy data, as a user runs it: MAE
pretraining -> temporal segmentation fine-tuning -> feature extraction
(the CLI) -> ActionFormer train and test through the Runner.

Each stage consumes the previous stage's real output (checkpoint, feature
folder); the runs are far too short to learn, so the test checks that the
stages connect and produce what the next one needs, not a level of mAP
(the measured toy numbers are in docs/methods/ego_only.md)."""
import json
import os.path as osp

import numpy as np
import torch
from conftest import REPO_ROOT, demo_config, load_script
from mmengine.runner import Runner

PRETRAIN = 'videomae_vit-tiny-p8_1xb8-toy_pretrain'
SEGMENT = 'ego-only_vit-tiny-p8_1xb8-toy_finetune'
DETECT = 'actionformer_vit-tiny-p8-features_1xb4-toy_detect'
TOOL = osp.join(REPO_ROOT, 'tools', 'misc', 'extract_features.py')


def point_at(cfg, **dataset_fields):
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.update(dataset_fields)
        cfg[loader].batch_size = 2


def test_pretrain_segment_extract_detect(toy_data, toy_det_data, tmp_path):
    torch.manual_seed(0)
    # 1. MAE pretraining on the classification toy (one short epoch).
    pretrain_dir = str(tmp_path / 'pretrain')
    runner = Runner.from_cfg(
        demo_config(PRETRAIN, toy_data, pretrain_dir,
                    **{'train_cfg.max_epochs': 1,
                       'train_dataloader.batch_size': 4}))
    runner.train()
    pretrained = osp.join(pretrain_dir, 'epoch_1.pth')

    # 2. Per-frame segmentation fine-tuning of that encoder on long videos.
    segment_dir = str(tmp_path / 'segment')
    cfg = demo_config(SEGMENT, toy_det_data['root'], segment_dir, **{
        'train_cfg.max_epochs': 1, 'train_cfg.val_interval': 1,
        'default_hooks.checkpoint.interval': 1,
        'model.backbone.init_cfg.checkpoint': pretrained})
    point_at(cfg, ann_file=toy_det_data['tad_json'],
             data_prefix=dict(video=toy_det_data['video_dir']))
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert 0 <= runner.message_hub.get_scalar('val/seg/mAP').current() <= 1
    segmented = osp.join(segment_dir, 'epoch_1.pth')
    encoder = runner.model.backbone.state_dict()

    # 3. Sliding-window features of the fine-tuned encoder (the CLI).
    feature_dir = str(tmp_path / 'features')
    load_script(TOOL).main([
        osp.join(REPO_ROOT, 'configs', 'demo', SEGMENT + '.py'), segmented,
        toy_det_data['tad_json'], '--video-root', toy_det_data['video_dir'],
        '--out-dir', feature_dir, '--clip-len', '8', '--frame-interval', '2',
        '--stride', '4', '--device', 'cpu', '--no-progress'
    ])
    with open(osp.join(feature_dir, 'index.json')) as f:
        index = json.load(f)
    with open(toy_det_data['tad_json']) as f:
        videos = json.load(f)['database']
    assert sorted(index['videos']) == sorted(videos)
    assert (index['window'], index['stride']) == (16, 4)
    for video_id, entry in index['videos'].items():
        features = np.load(osp.join(feature_dir, entry['file']))
        num_frames = entry['num_frames']
        assert features.shape == ((num_frames - 16) // 4 + 1, 96)
        assert np.isfinite(features).all()
    # The extractor used the fine-tuned weights, not the pretrained ones.
    saved = torch.load(segmented, weights_only=True)['state_dict']
    torch.testing.assert_close(saved['backbone.blocks.0.attn.qkv.weight'],
                               encoder['blocks.0.attn.qkv.weight'])

    # 4. ActionFormer on those features, trained and tested.
    detect_dir = str(tmp_path / 'detect')
    cfg = demo_config(DETECT, toy_det_data['root'], detect_dir, **{
        'train_cfg.max_epochs': 2, 'train_cfg.val_interval': 2,
        'default_hooks.checkpoint.interval': 2})
    point_at(cfg, ann_file=toy_det_data['tad_json'],
             classes_file=toy_det_data['classes'], feature_dir=feature_dir)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.pop('data_prefix')
    for evaluator in ('val_evaluator', 'test_evaluator'):
        cfg[evaluator].update(ann_file=toy_det_data['tad_json'],
                              classes=toy_det_data['classes'])
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    assert {'tad/mAP', 'tad/mAP@0.50'} <= set(metrics)
    assert 0 <= metrics['tad/mAP'] <= 1
    assert len(runner.test_dataloader.dataset) == sum(
        video['subset'] == 'validation' for video in videos.values())
