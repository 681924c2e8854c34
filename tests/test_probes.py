"""Tests of the frozen-encoder protocols: linear / attentive probes, kNN."""
import copy
import math
import os.path as osp
from pathlib import Path

import pytest
import torch
import torch.distributed as torch_dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from conftest import DEMO, demo_config
from mmvmae.engine.runner.knn_test_loop import all_gather_ordered
from mmvmae.evaluation import weighted_knn
from mmvmae.models.heads import AttentiveProbeHead, LinearProbeHead
from mmvmae.models.heads.attentive_probe_head import AttentivePooler
from mmvmae.registry import MODELS

CONFIGS = Path(DEMO)
NUM_CLASSES = 4
EMBED_DIMS = 96
TINY_VIT = dict(
    type='VideoViT',
    arch=dict(embed_dims=EMBED_DIMS, depth=1, num_heads=4),
    img_size=32,
    patch_size=8,
    num_frames=4,
    tubelet_size=2,
    use_mean_pooling=False,
    frozen=True)


@pytest.fixture(autouse=True)
def seed_and_scope():
    torch.manual_seed(0)
    init_default_scope('mmvmae')


def samples(labels):
    return [ActionDataSample().set_gt_label(label) for label in labels]


def linear_head(**kwargs):
    head = LinearProbeHead(NUM_CLASSES, EMBED_DIMS, **kwargs)
    head.init_weights()
    return head


def attentive_head(**kwargs):
    head = AttentiveProbeHead(NUM_CLASSES, EMBED_DIMS, num_heads=4, **kwargs)
    head.init_weights()
    return head


# Heads ---------------------------------------------------------------------


@pytest.mark.parametrize('with_bn', [True, False])
def test_linear_head_forward(with_bn):
    head = linear_head(with_bn=with_bn)
    assert (head.bn is not None) == with_bn
    assert head(torch.randn(6, EMBED_DIMS)).shape == (6, NUM_CLASSES)
    head.eval()
    assert head(torch.randn(1, EMBED_DIMS)).shape == (1, NUM_CLASSES)
    with pytest.raises(ValueError, match="out_type='avg'"):
        head(torch.randn(6, 5, EMBED_DIMS))


def test_linear_head_bn_has_no_parameters():
    names = {name for name, _ in linear_head().named_parameters()}
    assert names == {'fc_cls.weight', 'fc_cls.bias'}


def test_attentive_head_forward():
    head = attentive_head()
    assert head(torch.randn(6, 10, EMBED_DIMS)).shape == (6, NUM_CLASSES)
    with pytest.raises(ValueError, match="out_type='tokens'"):
        head(torch.randn(6, EMBED_DIMS))


def reference_pooler(pooler, x):
    """The attentive pooler written out head by head."""
    b, n, c = x.shape
    heads = pooler.num_heads
    d = c // heads
    kv = pooler.norm_kv(x)
    k = F.linear(kv, pooler.kv.weight[:c], pooler.kv.bias[:c])
    v = F.linear(kv, pooler.kv.weight[c:], pooler.kv.bias[c:])
    q = pooler.q(pooler.query[0, 0])
    outs = []
    for h in range(heads):
        part = slice(h * d, (h + 1) * d)
        attn = (k[..., part] @ q[part] / math.sqrt(d)).softmax(dim=1)
        outs.append((attn[..., None] * v[..., part]).sum(1))
    query = pooler.query[:, 0] + pooler.proj(torch.cat(outs, dim=1))
    return query + pooler.mlp(pooler.norm_mlp(query))


def test_attentive_pooler_matches_reference_and_ignores_order():
    pooler = AttentivePooler(EMBED_DIMS, num_heads=4)
    pooler.init_weights()
    x = torch.randn(3, 7, EMBED_DIMS)
    out = pooler(x)
    assert out.shape == (3, EMBED_DIMS)
    torch.testing.assert_close(out, reference_pooler(pooler, x))
    torch.testing.assert_close(pooler(x[:, torch.randperm(7)]), out)
    with pytest.raises(ValueError, match='divisible'):
        AttentivePooler(EMBED_DIMS, num_heads=5)


@pytest.mark.parametrize('make_head, feat_shape', [
    (linear_head, (EMBED_DIMS, )),
    (attentive_head, (5, EMBED_DIMS)),
])
def test_head_predict_averages_views(make_head, feat_shape):
    head = make_head().eval()
    batch, views = 3, 2
    feats = torch.randn(batch * views, *feat_shape)
    preds = head.predict(feats, samples([0, 1, 2]))
    probs = head(feats).softmax(1).view(batch, views, -1).mean(1)
    for pred, prob in zip(preds, probs):
        assert pred.pred_score.shape == (NUM_CLASSES, )
        torch.testing.assert_close(pred.pred_score, prob)
        assert pred.pred_label.item() == prob.argmax().item()


@pytest.mark.parametrize('make_head, feat_shape', [
    (linear_head, (EMBED_DIMS, )),
    (attentive_head, (5, EMBED_DIMS)),
])
@pytest.mark.parametrize('views', [1, 3])
def test_head_loss_averages_view_logits(make_head, feat_shape, views):
    head = make_head().eval()
    labels = [0, 3]
    feats = torch.randn(len(labels) * views, *feat_shape)
    losses = head.loss(feats, samples(labels))
    assert set(losses) == {'loss_cls', 'top1_acc', 'top5_acc'}
    logits = head(feats).view(len(labels), views, -1).mean(1)
    torch.testing.assert_close(losses['loss_cls'],
                               F.cross_entropy(logits, torch.tensor(labels)))
    with pytest.raises(ValueError, match='multiple'):
        head.loss(torch.randn(3, *feat_shape), samples(labels))


# Recognizers with a frozen encoder ------------------------------------------


def recognizer(head):
    backbone = dict(
        TINY_VIT, out_type='tokens' if head == 'attentive' else 'avg')
    cls_head = dict(
        type='LinearProbeHead' if head == 'linear' else 'AttentiveProbeHead',
        num_classes=NUM_CLASSES,
        in_channels=EMBED_DIMS)
    if head == 'attentive':
        cls_head['num_heads'] = 4
    model = MODELS.build(
        dict(type='Recognizer3D', backbone=backbone, cls_head=cls_head))
    model.init_weights()
    return model


@pytest.mark.parametrize('head', ['linear', 'attentive'])
def test_only_head_is_trained(head):
    model = recognizer(head)
    model.train()
    assert model.cls_head.training
    assert not any(m.training for m in model.backbone.modules())
    inputs = torch.randn(4, 1, 3, 4, 32, 32)
    losses = model(inputs, samples([0, 1, 2, 3]), mode='loss')
    losses['loss_cls'].backward()
    for name, param in model.named_parameters():
        if name.startswith('backbone.'):
            assert not param.requires_grad and param.grad is None, name
        else:
            assert name.startswith('cls_head.'), name
            assert param.grad is not None, name
            assert param.grad.abs().sum() > 0, name


@pytest.mark.parametrize('head', ['linear', 'attentive'])
def test_recognizer_predicts_multi_view(head):
    model = recognizer(head).eval()
    inputs = torch.randn(2, 3, 3, 4, 32, 32)
    with torch.no_grad():
        preds = model(inputs, samples([0, 1]), mode='predict')
        feats = model(inputs, mode='tensor')
    assert len(preds) == 2
    assert preds[0].pred_score.shape == (NUM_CLASSES, )
    probs = model.cls_head(feats).softmax(1).view(2, 3, -1).mean(1)
    torch.testing.assert_close(preds[1].pred_score, probs[1])
    # Views encoded 2 at a time (batch size 1) give the same scores.
    model.test_cfg = dict(max_testing_views=2)
    with torch.no_grad():
        chunked = model(inputs[1:], samples([1]), mode='predict')
    torch.testing.assert_close(chunked[0].pred_score, probs[1])


# Weighted kNN ---------------------------------------------------------------


def brute_force_knn(train_feats, train_labels, test_feats, num_classes, k,
                    temperature):
    """Weighted kNN with Python loops, in float64."""
    scores = torch.zeros(len(test_feats), num_classes, dtype=torch.float64)
    for i, query in enumerate(test_feats.double()):
        sims = []
        for j, key in enumerate(train_feats.double()):
            sims.append(((query @ key) / (query.norm() * key.norm()).item(),
                         j))
        for sim, j in sorted(sims, reverse=True)[:k]:
            scores[i, train_labels[j]] += math.exp(sim / temperature)
        scores[i] /= scores[i].sum()
    return scores.float()


@pytest.mark.parametrize('k, temperature, chunk_size', [(20, 0.07, 256),
                                                        (5, 0.5, 3),
                                                        (100, 0.02, 7)])
def test_weighted_knn_matches_brute_force(k, temperature, chunk_size):
    train_feats = torch.randn(60, 8)
    train_labels = torch.randint(0, 5, (60, ))
    test_feats = torch.randn(17, 8)
    scores = weighted_knn(train_feats, train_labels, test_feats, 5, k,
                          temperature, chunk_size=chunk_size)
    expected = brute_force_knn(train_feats, train_labels, test_feats, 5, k,
                               temperature)
    assert scores.shape == (17, 5) and scores.dtype == torch.float32
    torch.testing.assert_close(scores, expected, rtol=1e-4, atol=1e-6)


def test_weighted_knn_is_scale_invariant_and_checks_inputs():
    train_feats, labels = torch.randn(10, 4), torch.randint(0, 3, (10, ))
    test_feats = torch.randn(4, 4)
    scores = weighted_knn(train_feats, labels, test_feats, 3, k=3)
    torch.testing.assert_close(
        weighted_knn(train_feats * 7, labels, test_feats * 0.1, 3, k=3),
        scores)
    # A query equal to a memory feature is classified by it when T -> 0.
    nearest = weighted_knn(train_feats, labels, train_feats, 3, k=5,
                           temperature=1e-3)
    assert torch.equal(nearest.argmax(1), labels)
    with pytest.raises(ValueError, match='unlabelled'):
        weighted_knn(train_feats, labels - 1, test_feats, 3)
    with pytest.raises(ValueError, match='labels'):
        weighted_knn(train_feats, labels[:5], test_feats, 3)
    with pytest.raises(ValueError, match='features'):
        weighted_knn(train_feats, labels, torch.randn(4, 5), 3)
    with pytest.raises(ValueError, match='temperature'):
        weighted_knn(train_feats, labels, test_feats, 3, temperature=0.)


def _gather_worker(rank, world_size, port, queue):
    torch_dist.init_process_group(
        'gloo',
        init_method=f'tcp://127.0.0.1:{port}',
        rank=rank,
        world_size=world_size)
    # 7 rows over 2 ranks as DefaultSampler deals them: 0 2 4 6 | 1 3 5 (0)
    # with round_up (padded), 0 2 4 6 | 1 3 5 without.
    for indices in ([[0, 2, 4, 6], [1, 3, 5, 0]], [[0, 2, 4, 6], [1, 3, 5]]):
        rows = torch.tensor(indices[rank], dtype=torch.float32)[:, None]
        queue.put((len(indices[1]), rank,
                   all_gather_ordered(rows.repeat(1, 2), 7).tolist()))
    torch_dist.destroy_process_group()


def test_all_gather_ordered_restores_dataset_order():
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    ctx = mp.get_context('fork')
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=_gather_worker, args=(rank, 2, port, queue))
        for rank in range(2)
    ]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=60) for _ in range(4)]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    expected = [[float(i)] * 2 for i in range(7)]
    assert sorted(r[:2] for r in results) == [(3, 0), (3, 1), (4, 0), (4, 1)]
    assert all(rows == expected for _, _, rows in results)
    # Without distribution the rows are kept.
    rows = torch.randn(5, 3)
    assert torch.equal(all_gather_ordered(rows, 5), rows)


# The configs, end to end on a tiny toy set ----------------------------------


def toy_config(name, toy_root, work_dir, num_clips=None):
    """A demo config on ``toy_root``: one epoch, random encoder, batch 8."""
    cfg = demo_config(f'{name}_vit-tiny-p8_toy', toy_root, str(work_dir))
    loaders = [cfg.get(key) for key in ('train_dataloader', 'val_dataloader',
                                        'test_dataloader')]
    memory = cfg.test_cfg.get('memory_dataloader')
    if memory is not None:
        memory.dataset.ann_file = osp.join(toy_root, 'train_list.txt')
        memory.dataset.data_prefix = dict(video=osp.join(toy_root, 'videos'))
        memory.update(num_workers=0, persistent_workers=False)
        loaders.append(memory)
    for loader in loaders:
        if loader is not None:
            loader.batch_size = 8
            if num_clips is not None:
                loader.dataset.sampler.num_clips = num_clips
    cfg.model.backbone.init_cfg = None
    if cfg.get('train_cfg'):
        cfg.train_cfg.update(max_epochs=1, val_interval=1)
        cfg.default_hooks.checkpoint.interval = 1
    return cfg


@pytest.mark.parametrize('name', ['probe_linear', 'probe_attentive'])
def test_probe_config_trains_and_tests(name, toy_data, tmp_path):
    cfg = toy_config(name, toy_data, tmp_path)
    assert cfg.model.backbone.frozen
    assert cfg.model.backbone.use_mean_pooling is False
    assert cfg.test_dataloader.dataset.sampler.num_clips == 2
    runner = Runner.from_cfg(cfg)
    backbone = copy.deepcopy(runner.model.backbone.state_dict())
    runner.train()
    assert runner.iter == 1
    for key, value in runner.model.backbone.state_dict().items():
        assert torch.equal(value, backbone[key]), key
    assert osp.isfile(tmp_path / 'epoch_1.pth')
    metrics = runner.test()
    assert {'acc/top1', 'acc/top5', 'acc/mean1'} <= set(metrics)
    assert 0 <= metrics['acc/top1'] <= 1


@pytest.mark.parametrize('num_clips', [None, 2])
def test_knn_config_tests(num_clips, toy_data, tmp_path):
    cfg = toy_config('knn', toy_data, tmp_path, num_clips)
    assert cfg.test_cfg.k == 20 and cfg.test_cfg.temperature == 0.07
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    assert set(metrics) == {'knn/top1', 'knn/top5', 'knn/mean1'}
    assert 0 <= metrics['knn/top1'] <= 1 and metrics['knn/top5'] == 1
    loop = runner.test_loop
    assert loop.memory_feats.shape == (8, EMBED_DIMS)
    torch.testing.assert_close(loop.memory_feats.norm(dim=1),
                               torch.ones(8))
    with open(osp.join(toy_data, 'train_list.txt')) as f:
        labels = [int(line.split()[1]) for line in f]
    assert loop.memory_labels.tolist() == labels


@pytest.mark.parametrize('name', ['probe_linear', 'probe_attentive', 'knn'])
def test_config_loads_pretrained_encoder(name, tmp_path):
    """The ``init_cfg`` of a config reads the demo pretraining checkpoint."""
    pretrain = Config.fromfile(
        str(CONFIGS / 'videomae_vit-tiny-p8_1xb8-toy_pretrain.py'))
    videomae = MODELS.build(pretrain.model)
    videomae.init_weights()
    checkpoint = tmp_path / 'epoch_20.pth'
    torch.save(dict(state_dict=videomae.state_dict()), checkpoint)
    cfg = Config.fromfile(str(CONFIGS / f'{name}_vit-tiny-p8_toy.py'))
    assert cfg.model.backbone.init_cfg.checkpoint.endswith(
        'videomae_vit-tiny-p8_1xb8-toy_pretrain/epoch_20.pth')
    cfg.model.backbone.init_cfg.checkpoint = str(checkpoint)
    model = MODELS.build(cfg.model)
    model.init_weights()
    expected = videomae.backbone.state_dict()
    loaded = model.backbone.state_dict()
    assert set(loaded) == set(expected)
    for key, value in loaded.items():
        assert torch.equal(value, expected[key]), key
