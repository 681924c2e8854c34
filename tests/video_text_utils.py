"""Tiny video-text models for the tests: a 2-block video ViT (8 tokens), a
random 2-layer BERT over a word-level tokenizer, and captioned samples."""
import numpy as np
from conftest import random_masks
from mmaction.structures import ActionDataSample

WORDS = ('a the red blue green square disc triangle moves slides left right '
         'up down quickly slowly').split()
CAPTIONS = ['a red square moves left', 'the blue disc slides right',
            'a green triangle moves up', 'a blue square slides down']
NUM_TOKENS = 8  # 4 frames x 32x32, patch 16, tubelet 2
VIDEO_WIDTH = 32


def write_tokenizer(root) -> str:
    """Save a BERT tokenizer over :data:`WORDS` under ``root``."""
    from transformers import BertTokenizerFast
    vocab = root / 'vocab.txt'
    vocab.write_text('\n'.join(
        ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', *WORDS]) + '\n')
    BertTokenizerFast(vocab_file=str(vocab)).save_pretrained(str(root))
    return str(root)


def tiny_text_encoder(tokenizer: str, **overrides) -> dict:
    """Config of a random 2-layer, 24-wide BERT text encoder."""
    return dict(
        type='TextEncoder',
        tokenizer=tokenizer,
        config=dict(
            model_type='bert', hidden_size=24, num_hidden_layers=2,
            num_attention_heads=2, intermediate_size=48,
            max_position_embeddings=32, vocab_size=5 + len(WORDS),
            hidden_dropout_prob=0., attention_probs_dropout_prob=0.),
        pooling='mean',
        **overrides)


def tiny_backbone() -> dict:
    return dict(
        type='VideoViT',
        arch=dict(embed_dims=VIDEO_WIDTH, depth=2, num_heads=2),
        img_size=32,
        num_frames=4,
        use_mean_pooling=False)


def tiny_video_text(tokenizer: str, **overrides) -> dict:
    """Config of a tiny ``MaskedVideoText`` (MAE + contrastive)."""
    cfg = dict(
        type='MaskedVideoText',
        backbone=tiny_backbone(),
        neck=dict(type='MAEDecoder', in_dims=VIDEO_WIDTH, embed_dims=16,
                  depth=1, num_heads=2, out_dims=2 * 16 * 16 * 3),
        head=dict(type='PixelReconstructionHead'),
        text_encoder=tiny_text_encoder(tokenizer),
        video_projector=dict(type='Projector', out_dims=16, norm='ln'),
        text_projector=dict(type='Projector', out_dims=16, norm='ln'))
    cfg.update(overrides)
    return cfg


def captioned_samples(captions, present=None, num_visible=2, seed=0):
    """ActionDataSamples with random masks, ``text`` and ``text_present``.
    """
    visible, masked = random_masks(len(captions), NUM_TOKENS, num_visible,
                                   seed)
    samples = []
    for i, caption in enumerate(captions):
        sample = ActionDataSample()
        sample.set_field(np.asarray(visible[i]), 'visible_ids')
        sample.set_field(np.asarray(masked[i]), 'masked_ids')
        sample.set_field(caption, 'text')
        sample.set_field(True if present is None else present[i],
                         'text_present')
        samples.append(sample)
    return samples
