"""MaskedVideoText: MAE + masked video-text InfoNCE, weights, absent
captions, retrieval features and mmaction2's RetrievalMetric."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import refuse_full_patch_embedding
from mmaction.evaluation import RetrievalMetric
from video_text_utils import (CAPTIONS, captioned_samples, tiny_video_text,
                              write_tokenizer)

from mmvmae.registry import MODELS

CLIP = (4, 3, 4, 32, 32)


@pytest.fixture(scope='module')
def tokenizer(tmp_path_factory):
    return write_tokenizer(tmp_path_factory.mktemp('tokenizer'))


def build(tokenizer, seed=0, **overrides):
    torch.manual_seed(seed)
    return MODELS.build(tiny_video_text(tokenizer, **overrides))


def clip(seed=0, batch=4):
    return torch.randn(batch, *CLIP[1:],
                       generator=torch.Generator().manual_seed(seed))


def test_every_trainable_parameter_gets_a_gradient(tokenizer):
    model = build(tokenizer)
    losses = model(clip(), captioned_samples(CAPTIONS), mode='loss')
    assert set(losses) == {'loss_pix', 'loss_contrast'}
    assert all(torch.isfinite(v) and v.shape == () for v in losses.values())
    sum(losses.values()).backward()
    trainable = [(n, p) for n, p in model.named_parameters()
                 if p.requires_grad]
    assert any(n.startswith('text_encoder.model.') for n, _ in trainable)
    assert 'contrastive.log_temperature' in dict(trainable)
    for name, param in trainable:
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_default_temperature_is_learnable_and_starts_at_0_07(tokenizer):
    model = build(tokenizer)
    assert model.contrastive.learnable_temperature
    assert math.isclose(float(model.contrastive.temperature().detach()), 0.07,
                        rel_tol=1e-6)
    assert model.contrastive.symmetric


def test_frozen_text_encoder_gets_no_gradient(tokenizer):
    model = build(tokenizer, text_encoder=dict(
        tiny_video_text(tokenizer)['text_encoder'], freeze=True))
    losses = model(clip(), captioned_samples(CAPTIONS), mode='loss')
    sum(losses.values()).backward()
    text_params = list(model.text_encoder.model.parameters())
    assert all(not p.requires_grad and p.grad is None for p in text_params)
    assert model.text_projector.layers[-1].weight.grad.abs().sum() > 0


def test_weights_scale_and_zero_weights_switch_terms_off(tokenizer):
    inputs, samples = clip(), captioned_samples(CAPTIONS)
    full = build(tokenizer)
    reference = full(inputs, samples, mode='loss')
    scaled = build(tokenizer, mae_weight=2., contrastive_weight=.5)
    losses = scaled(inputs, samples, mode='loss')
    torch.testing.assert_close(losses['loss_pix'], 2 * reference['loss_pix'])
    torch.testing.assert_close(losses['loss_contrast'],
                               .5 * reference['loss_contrast'])

    contrastive_only = build(tokenizer, mae_weight=0, neck=None, head=None)
    contrastive_only.load_state_dict(full.state_dict(), strict=False)
    losses = contrastive_only(inputs, samples, mode='loss')
    assert set(losses) == {'loss_contrast'}
    torch.testing.assert_close(losses['loss_contrast'],
                               reference['loss_contrast'])

    mae_only = build(tokenizer, contrastive_weight=0, text_encoder=None,
                     video_projector=None, text_projector=None)
    mae_only.load_state_dict(full.state_dict(), strict=False)
    losses = mae_only(inputs, samples, mode='loss')
    assert set(losses) == {'loss_pix'}
    torch.testing.assert_close(losses['loss_pix'], reference['loss_pix'])
    # the pure-MAE model is VideoMAE: same loss with the same weights
    cfg = tiny_video_text(tokenizer)
    videomae = MODELS.build(dict(type='VideoMAE', backbone=cfg['backbone'],
                                 neck=cfg['neck'], head=cfg['head']))
    videomae.load_state_dict(mae_only.state_dict())
    torch.testing.assert_close(
        videomae(inputs, samples, mode='loss')['loss_pix'],
        reference['loss_pix'])


@pytest.mark.parametrize('overrides, match', [
    (dict(mae_weight=0), 'mae_weight=0 switches MAE off, but neck and head'),
    (dict(contrastive_weight=0),
     ('contrastive_weight=0 .* text_encoder, video_projector, '
      'text_projector')),
    (dict(mae_weight=0, contrastive_weight=0, neck=None, head=None,
          text_encoder=None, video_projector=None, text_projector=None),
     'both 0'),
    (dict(mae_weight=-1.), 'mae_weight must be >= 0'),
    (dict(neck=None), 'mae_weight=1.0 needs neck'),
    (dict(text_encoder=None), 'needs a text_encoder'),
    (dict(video_projector=dict(type='Projector', in_dims=8, out_dims=16)),
     'video_projector.in_dims=8, but the features it projects are 32'),
    (dict(video_projector=None),
     'video embeddings are 32 wide, text embeddings 16'),
])
def test_build_errors_name_the_problem(tokenizer, overrides, match):
    with pytest.raises(ValueError, match=match):
        build(tokenizer, **overrides)


def test_absent_caption_is_neither_anchor_nor_negative(tokenizer):
    model = build(tokenizer)
    inputs = clip()
    present = [True, True, False, True]
    samples = captioned_samples(CAPTIONS, present)
    loss = model(inputs, samples, mode='loss')['loss_contrast']
    # the absent sample's caption does not matter ...
    other = captioned_samples(CAPTIONS[:2] + ['a disc'] + CAPTIONS[3:],
                              present)
    torch.testing.assert_close(
        model(inputs, other, mode='loss')['loss_contrast'], loss)
    # ... and the loss is that of the batch without the sample
    keep = [0, 1, 3]
    alone = model(inputs[keep], [samples[i] for i in keep],
                  mode='loss')['loss_contrast']
    torch.testing.assert_close(loss, alone)
    # a batch without any caption gives 0, still connected to the graph
    none = model(inputs, captioned_samples(CAPTIONS, [False] * 4),
                 mode='loss')['loss_contrast']
    assert float(none.detach()) == 0 and none.requires_grad


def test_seed_deterministic_and_finite(tokenizer):
    runs = []
    for _ in range(2):
        model = build(tokenizer, seed=3)
        losses = model(clip(1), captioned_samples(CAPTIONS, seed=1),
                       mode='loss')
        runs.append({k: float(v.detach()) for k, v in losses.items()})
    assert runs[0] == runs[1]
    assert all(np.isfinite(v) for v in runs[0].values())


def test_text_guided_masker_replaces_pipeline_masks(tokenizer):
    model = build(tokenizer, masker=dict(
        type='ScoreGuidedMasker', scorer=dict(type='FrameDifferenceScorer'),
        mask_ratio=0.5, keep='low'))
    samples = captioned_samples(CAPTIONS)
    for sample in samples:
        del sample.visible_ids, sample.masked_ids
    losses = model(clip(), samples, mode='loss')
    assert set(losses) == {'loss_pix', 'loss_contrast'}


def test_predict_embeds_whole_clip_and_caption(tokenizer):
    model = build(tokenizer).eval()
    inputs, samples = clip(), captioned_samples(CAPTIONS)
    out = model(inputs[:, None], samples, mode='predict')
    assert out is samples
    tokens, _ = model.backbone.encode_tokens(model.backbone.embed(inputs))
    video = model.video_projector(tokens.mean(1))
    text = model.text_projector(model.text_encoder(CAPTIONS))
    for i, sample in enumerate(out):
        torch.testing.assert_close(sample.features.video_feature, video[i])
        torch.testing.assert_close(sample.features.text_feature, text[i])
    pooled = model(inputs[:, None], mode='tensor')
    torch.testing.assert_close(pooled, tokens.mean(1))
    # RetrievalMetric reads them from the dict form the evaluator passes
    metric = RetrievalMetric()
    metric.process(None, [s.to_dict() for s in out])
    result = metric.compute_metrics(metric.results)
    assert set(result) == {'R1', 'R5', 'R10', 'MdR', 'MnR'}
    assert result['R5'] == 100  # 4 candidates


def test_predict_refuses_absent_captions(tokenizer):
    model = build(tokenizer).eval()
    samples = captioned_samples(CAPTIONS, [True, False, True, True])
    with pytest.raises(ValueError, match=r'samples \[1\] .* no caption'):
        model(clip()[:, None], samples, mode='predict')


def retrieval(video, text):
    metric = RetrievalMetric()
    metric.process(None, [
        dict(features=dict(video_feature=v, text_feature=t))
        for v, t in zip(video, text)
    ])
    return metric.compute_metrics(metric.results)


def test_retrieval_metric_perfect_and_shuffled_pairs():
    gen = torch.Generator().manual_seed(0)
    video = torch.randn(20, 64, generator=gen)
    perfect = retrieval(video, 2 * video + 0.01 * torch.randn(
        20, 64, generator=gen))
    assert perfect['R1'] == perfect['R5'] == perfect['R10'] == 100
    assert perfect['MdR'] == perfect['MnR'] == 1
    # text i is exactly video order[i]: a fixed point ranks first, any
    # other true video ranks below the exact copy (5 fixed points of 20)
    order = torch.cat([torch.arange(5), torch.arange(6, 20), torch.tensor(
        [5])])
    shuffled = retrieval(video, video[order])
    assert shuffled['R1'] == 25
    sim = F.normalize(video[order], dim=1) @ F.normalize(video, dim=1).t()
    ranks = (sim > sim.diag()[:, None]).sum(1)
    for k in (5, 10):
        assert shuffled[f'R{k}'] == pytest.approx(
            100 * float((ranks < k).float().mean()))
    assert shuffled['MnR'] == pytest.approx(float(ranks.float().mean()) + 1)


def test_train_step_embeds_only_the_visible_tubelets(tokenizer, monkeypatch):
    model = build(tokenizer)
    samples = captioned_samples(CAPTIONS)
    embedded = refuse_full_patch_embedding(monkeypatch)
    losses = model(clip(), samples, mode='loss')
    assert all(torch.isfinite(v) for v in losses.values())
    assert embedded == [(4, len(samples[0].visible_ids))]
