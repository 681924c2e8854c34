"""TGM's text-guided masking: TextSimilarityScorer (a frozen video-text
model's token-caption similarity) in ScoreGuidedMasker(keep='low')."""
import pytest
import torch
import torch.nn.functional as F
from video_text_utils import (CAPTIONS, captioned_samples, tiny_backbone,
                              tiny_text_encoder, tiny_video_text,
                              write_tokenizer)

from mmvmae.models.maskers import TextSimilarityScorer
from mmvmae.registry import MODELS

GRID = (2, 2, 2)
PROJECTOR = dict(type='Projector', out_dims=16, norm='ln')


@pytest.fixture(scope='module')
def tokenizer(tmp_path_factory):
    return write_tokenizer(tmp_path_factory.mktemp('tokenizer'))


@pytest.fixture(scope='module')
def video_text(tokenizer, tmp_path_factory):
    """A tiny MaskedVideoText and its saved checkpoint (Runner layout)."""
    torch.manual_seed(0)
    model = MODELS.build(tiny_video_text(tokenizer)).eval()
    path = tmp_path_factory.mktemp('ckpt') / 'video_text.pth'
    torch.save(dict(meta=dict(epoch=1), state_dict=model.state_dict()), path)
    return model, str(path)


def scorer_cfg(tokenizer, checkpoint):
    return dict(type='TextSimilarityScorer', backbone=tiny_backbone(),
                text_encoder=tiny_text_encoder(tokenizer),
                video_projector=PROJECTOR, text_projector=PROJECTOR,
                checkpoint=checkpoint)


def loaded_scorer(tokenizer, checkpoint):
    torch.manual_seed(1)  # other random weights than the checkpoint's
    scorer = MODELS.build(scorer_cfg(tokenizer, checkpoint))
    scorer.init_weights()
    return scorer


def clip(batch=4):
    return torch.randn(batch, 3, 4, 32, 32,
                       generator=torch.Generator().manual_seed(0))


def test_scores_are_cosine_of_projected_tokens_and_caption(
        tokenizer, video_text):
    model, checkpoint = video_text
    scorer = loaded_scorer(tokenizer, checkpoint)
    inputs, samples = clip(), captioned_samples(CAPTIONS)
    scores = scorer(inputs, GRID, samples)
    assert scores.shape == (4, 8)
    with torch.no_grad():
        tokens, _ = model.backbone.encode_tokens(model.backbone.embed(inputs))
        expected = F.cosine_similarity(
            model.video_projector(tokens),
            model.text_projector(model.text_encoder(CAPTIONS))[:, None],
            dim=-1)
    torch.testing.assert_close(scores, expected)


def test_scorer_is_frozen_and_stays_in_eval(tokenizer, video_text):
    scorer = loaded_scorer(tokenizer, video_text[1])
    assert not any(p.requires_grad for p in scorer.parameters())
    scorer.train()
    assert not any(m.training for m in scorer.modules())


def test_absent_caption_scores_zero_everywhere(tokenizer, video_text):
    scorer = loaded_scorer(tokenizer, video_text[1])
    samples = captioned_samples(CAPTIONS[:2] + [''] + CAPTIONS[3:],
                                [True, True, False, True])
    scores = scorer(clip(), GRID, samples)
    assert torch.equal(scores[2], torch.zeros(8))
    assert (scores[[0, 1, 3]] != 0).all()


class PlantedTokens(TextSimilarityScorer):
    """Token embeddings set by the test: the caption's own embedding at
    the planted tokens, its negative elsewhere."""

    planted = None

    def token_embeddings(self, inputs):
        texts = [s.text for s in self.samples]
        caption = self.caption_embeddings(texts, torch.ones(len(texts),
                                                            dtype=bool))
        sign = torch.where(self.planted, 1., -1.)[..., None]
        return sign * caption[:, None]

    def forward(self, inputs, grid, data_samples=None):
        self.samples = data_samples
        return super().forward(inputs, grid, data_samples)


@pytest.mark.parametrize('per_slice', [True, False])
def test_tokens_matching_the_caption_are_masked_first(
        tokenizer, video_text, per_slice):
    masker = MODELS.build(
        dict(type='ScoreGuidedMasker', scorer=scorer_cfg(tokenizer,
                                                         video_text[1]),
             mask_ratio=0.5, keep='low', per_slice=per_slice))
    masker.scorer.__class__ = PlantedTokens
    # two planted tokens in each 4-token slice of the (2, 2, 2) grid
    planted = torch.zeros(4, 8, dtype=torch.bool)
    for i, ids in enumerate([(0, 3, 4, 5), (1, 2, 6, 7), (0, 1, 6, 7),
                             (2, 3, 4, 7)]):
        planted[i, list(ids)] = True
    masker.scorer.planted = planted
    masks = masker(clip(), GRID, captioned_samples(CAPTIONS))
    masked = torch.zeros_like(planted).scatter_(1, masks.masked_ids, True)
    assert torch.equal(masked, planted)


def test_checkpoint_errors_name_the_file_and_keys(tokenizer, tmp_path,
                                                  video_text):
    missing = str(tmp_path / 'absent.pth')
    with pytest.raises(FileNotFoundError, match='absent.pth'):
        loaded_scorer(tokenizer, missing)
    model, _ = video_text
    state = {k: v for k, v in model.state_dict().items()
             if not k.startswith('text_projector.')}
    state['video_projector.layers.1.weight'] = torch.zeros(8, 32)
    path = tmp_path / 'other.pth'
    torch.save(dict(state_dict=state), path)
    with pytest.raises(ValueError, match=(
            r'(?s)5 problems.*missing text_projector.layers.0.weight.*'
            r'video_projector.layers.1.weight: \(8, 32\) in the checkpoint, '
            r'\(16, 32\) in the scorer')):
        loaded_scorer(tokenizer, str(path))


def test_tgm_model_trains_everything_but_the_scorer(tokenizer, video_text):
    masker = dict(type='ScoreGuidedMasker',
                  scorer=scorer_cfg(tokenizer, video_text[1]),
                  mask_ratio=0.75, keep='low')
    torch.manual_seed(2)
    model = MODELS.build(tiny_video_text(tokenizer, masker=masker))
    model.masker.scorer.init_weights()
    samples = captioned_samples(CAPTIONS)
    for sample in samples:
        del sample.visible_ids, sample.masked_ids
    losses = model(clip(), samples, mode='loss')
    assert set(losses) == {'loss_pix', 'loss_contrast'}
    sum(losses.values()).backward()
    for name, param in model.named_parameters():
        if name.startswith('masker.'):
            assert not param.requires_grad and param.grad is None, name
        else:
            assert param.grad is not None and param.grad.abs().sum() > 0, (
                name)
    # one visible token per 4-token slice, the least caption-like one
    scores = model.masker.scorer(clip(), GRID, samples)
    masks = model.masker(clip(), GRID, samples)
    visible = scores.gather(1, masks.visible_ids)
    per_slice = scores.reshape(4, 2, 4)
    torch.testing.assert_close(visible, per_slice.min(-1).values)
