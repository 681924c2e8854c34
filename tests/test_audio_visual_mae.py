"""AudioVisualMAE with its fusion / decoder variants, heads and necks."""
import copy

import numpy as np
import pytest
import torch
from conftest import random_masks, refuse_full_patch_embedding
from mmaction.datasets.transforms import PackActionInputs
from mmaction.structures import ActionDataSample
from mmengine.dataset import pseudo_collate

from mmvmae.datasets.transforms import (SpectrogramRandomMaskGenerator,
                                        TubeMaskGenerator)
from mmvmae.models.heads import SpectrogramReconstructionHead
from mmvmae.models.layers import sincos_table_2d, sinusoid_table
from mmvmae.models.necks.joint_mae_decoder import decoder_position_table
from mmvmae.registry import MODELS

# video: 4 frames x 32x32, patch 16, tubelet 2 -> 8 tokens (1536 values);
# audio: 64 frames x 32 bins, patch 16 -> 8 tokens (256 values).
WIDTH = 32


def tiny_model(fusion='mid', decoder='joint', contrastive=True,
               audio_width=WIDTH, projectors=False, **overrides) -> dict:
    arch = dict(embed_dims=WIDTH, depth=2, num_heads=2)
    audio_arch = dict(arch, embed_dims=audio_width)
    widths = dict(imgs=WIDTH, audios=audio_width)
    out_dims = dict(imgs=2 * 16 * 16 * 3, audios=16 * 16)
    if decoder == 'joint':
        decoder = dict(type='JointMAEDecoder', in_dims=widths,
                       out_dims=out_dims, embed_dims=16, depth=1,
                       num_heads=2)
    else:
        decoder = {
            name: dict(type='MAEDecoder', in_dims=widths[name],
                       embed_dims=16, depth=1, num_heads=2,
                       out_dims=out_dims[name])
            for name in out_dims
        }
    if fusion == 'mid':
        fusion = dict(type='MidFusion', embed_dims=WIDTH, depth=1,
                      num_heads=2)
    cfg = dict(
        type='AudioVisualMAE',
        encoders=dict(
            imgs=dict(type='VideoViT', arch=arch, img_size=32, num_frames=4,
                      use_mean_pooling=False),
            audios=dict(type='AudioViT', arch=audio_arch, target_length=64,
                        n_mels=32, layout='ft', use_mean_pooling=False)),
        decoder=decoder,
        heads=dict(
            imgs=dict(type='PixelReconstructionHead'),
            audios=dict(type='SpectrogramReconstructionHead', layout='ft')),
        fusion=fusion,
        contrastive=dict(type='InfoNCELoss', temperature=0.05,
                         symmetric=False, loss_weight=0.01)
        if contrastive else None,
        projectors=dict(
            imgs=dict(type='Projector', in_dims=WIDTH, out_dims=8),
            audios=dict(type='Projector', in_dims=audio_width, out_dims=8))
        if projectors else None)
    cfg.update(overrides)
    return cfg


def build(**kwargs):
    model = MODELS.build(tiny_model(**kwargs))
    model.init_weights()
    return model


def samples(batch=3, present=None, seed=0) -> list:
    video_visible, video_masked = random_masks(batch, 8, 2, seed=seed)
    audio_visible, audio_masked = random_masks(batch, 8, 3, seed=seed + 1)
    out = []
    for i in range(batch):
        sample = ActionDataSample()
        sample.set_field(video_visible[i], 'visible_ids')
        sample.set_field(video_masked[i], 'masked_ids')
        sample.set_field(audio_visible[i], 'audio_visible_ids')
        sample.set_field(audio_masked[i], 'audio_masked_ids')
        if present is not None:
            sample.set_field(np.bool_(present[i]), 'audios_present')
        out.append(sample)
    return out


def inputs(batch=3, seed=0) -> dict:
    gen = torch.Generator().manual_seed(seed)
    return dict(imgs=torch.randn(batch, 3, 4, 32, 32, generator=gen),
                audios=torch.randn(batch, 64, 32, generator=gen))


def no_grad_params(model) -> list:
    return [
        name for name, p in model.named_parameters()
        if p.requires_grad and (p.grad is None or not p.grad.abs().sum())
    ]


@pytest.mark.parametrize('fusion', ['none', 'shared', 'mid'])
@pytest.mark.parametrize('decoder', ['joint', 'separate'])
def test_every_parameter_gets_a_gradient(seeded, fusion, decoder):
    model = build(fusion=fusion, decoder=decoder)
    losses = model(inputs(), samples(), mode='loss')
    assert set(losses) == {'loss_video', 'loss_audio', 'loss_contrast'}
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    assert not no_grad_params(model)


@pytest.mark.parametrize('kwargs', [
    dict(fusion='none', contrastive=False),
    dict(fusion=dict(type='MidFusion', embed_dims=WIDTH, num_heads=2,
                     modality_norms=False), contrastive=False),
    dict(fusion='none', audio_width=48, projectors=True),
    dict(fusion='mid', projectors=True, modality_embed=False),
])
def test_other_variants_reach_every_parameter(seeded, kwargs):
    model = build(**kwargs)
    losses = model(inputs(), samples(), mode='loss')
    assert ('loss_contrast' in losses) == kwargs.get('contrastive', True)
    sum(losses.values()).backward()
    assert not no_grad_params(model)


@pytest.mark.parametrize('fusion', ['none', 'mid'])
def test_absent_audio_does_not_change_any_loss(seeded, fusion):
    model = build(fusion=fusion).eval()
    data = inputs()
    present = [True, False, True]
    base = model(data, samples(present=present), mode='loss')
    noisy = copy.deepcopy(data)
    noisy['audios'][1] = 100 * torch.randn(64, 32)
    changed = model(noisy, samples(present=present), mode='loss')
    for key in base:
        torch.testing.assert_close(changed[key], base[key], rtol=0, atol=0)
    # the same change on a present sample moves the audio loss
    noisy['audios'][1] = data['audios'][1]
    noisy['audios'][0] = 100 * torch.randn(64, 32)
    moved = model(noisy, samples(present=present), mode='loss')
    assert not torch.allclose(moved['loss_audio'], base['loss_audio'])


def test_batch_without_audio_gives_zero_audio_losses(seeded):
    model = build()
    losses = model(inputs(), samples(present=[False] * 3), mode='loss')
    assert losses['loss_audio'].item() == 0.
    assert losses['loss_contrast'].item() == 0.
    assert losses['loss_video'].item() > 0
    sum(losses.values()).backward()  # zero audio losses still backprop
    assert all(p.grad is not None for p in model.parameters())


def test_exact_reproduction_under_seed():
    def run():
        torch.manual_seed(0)
        np.random.seed(0)
        model = build(fusion='mid', decoder='joint', projectors=True)
        batch = []
        for _ in range(2):
            results = dict(imgs=np.zeros((1, 3, 4, 32, 32), np.uint8),
                           audios=np.zeros((64, 32), np.float32))
            results = TubeMaskGenerator(0.75)(results)
            results = SpectrogramRandomMaskGenerator(0.5, layout='ft')(
                results)
            sample = ActionDataSample()
            for key in ('visible_ids', 'masked_ids', 'audio_visible_ids',
                        'audio_masked_ids'):
                sample.set_field(results[key], key)
            batch.append(sample)
        losses = model(inputs(2), batch, mode='loss')
        sum(losses.values()).backward()
        return losses, model.encoders['audios'].blocks[0].attn.qkv.weight.grad

    first, grad = run()
    second, grad_again = run()
    for key in first:
        torch.testing.assert_close(first[key], second[key], rtol=0, atol=0)
    torch.testing.assert_close(grad, grad_again, rtol=0, atol=0)


def test_joint_decoder_mixes_modalities_and_separate_does_not(seeded):
    for decoder, mixes in (('joint', True), ('separate', False)):
        model = build(fusion='none', decoder=decoder).eval()
        data = inputs()
        base = model(data, samples(), mode='loss')
        data['audios'] = torch.randn(3, 64, 32)
        changed = model(data, samples(), mode='loss')
        same = torch.equal(base['loss_video'], changed['loss_video'])
        assert same != mixes, decoder


def test_shared_fusion_ties_blocks_and_round_trips(seeded):
    model = build(fusion='shared')
    video, audio = model.encoders['imgs'], model.encoders['audios']
    assert audio.blocks is video.blocks and audio.norm is video.norm
    names = {n for n, _ in model.named_parameters()}
    assert not any(n.startswith('encoders.audios.blocks') for n in names)
    fresh = build(fusion='shared')
    fresh.load_state_dict(model.state_dict())
    data, batch = inputs(), samples()
    torch.testing.assert_close(
        fresh.eval()(data, batch, mode='loss')['loss_audio'],
        model.eval()(data, batch, mode='loss')['loss_audio'])


def test_mid_fusion_contrastive_features_use_modality_norms(seeded):
    model = build(fusion='mid').eval()
    tokens = dict(imgs=torch.randn(2, 3, WIDTH), audios=torch.randn(2, 5,
                                                                     WIDTH))
    joint = model.fusion(tokens)
    each = model.fusion.encode_each(tokens)
    assert joint['imgs'].shape == (2, 3, WIDTH)
    assert each['audios'].shape == (2, 5, WIDTH)
    with torch.no_grad():
        model.fusion.modality_norm['audios'].weight.mul_(3)
        model.fusion.blocks[0].modality_norm1['imgs'].bias.add_(1)
    torch.testing.assert_close(model.fusion(tokens)['audios'],
                               joint['audios'])
    assert not torch.allclose(model.fusion.encode_each(tokens)['audios'],
                              each['audios'])
    assert not torch.allclose(model.fusion.encode_each(tokens)['imgs'],
                              each['imgs'])


def test_tensor_mode_returns_each_encoder_output(seeded):
    model = build().eval()
    out = model(dict(inputs(2), imgs=inputs(2)['imgs'][:, None]))
    assert out['imgs'].shape == out['audios'].shape == (2, WIDTH)


def test_pipeline_packing_and_data_preprocessor(seeded):
    model = build()
    pack = PackActionInputs(
        collect_keys=('imgs', 'audios'),
        algorithm_keys=('visible_ids', 'masked_ids', 'audio_visible_ids',
                        'audio_masked_ids', 'audios_present'))
    items = []
    for present in (True, False):
        results = dict(
            imgs=np.random.randint(0, 255, (1, 3, 4, 32, 32), np.uint8),
            audios=np.random.randn(64, 32).astype(np.float32),
            audios_present=present)
        results = TubeMaskGenerator(0.75, tubelet_size=2)(results)
        results = SpectrogramRandomMaskGenerator(0.625, layout='ft')(results)
        items.append(pack(results))
    data = model.data_preprocessor(pseudo_collate(items), training=True)
    assert data['inputs']['imgs'].shape == (2, 1, 3, 4, 32, 32)
    assert data['inputs']['audios'].dtype == torch.float32
    losses = model(**data, mode='loss')
    assert all(torch.isfinite(v) for v in losses.values())


@pytest.mark.parametrize('kwargs,error,match', [
    (dict(fusion='early'), ValueError, "fusion must be 'none'"),
    (dict(fusion='mid', audio_width=48), ValueError, 'one width'),
    (dict(fusion='shared', audio_width=48), ValueError, 'arch'),
    (dict(fusion='mid', contrastive=False), ValueError, 'modality_norms'),
    (dict(contrastive=False, projectors=True, fusion='none'), ValueError,
     'projectors'),
    (dict(fusion='none', audio_width=48), ValueError, 'give projectors'),
    (dict(heads=dict(imgs=dict(type='PixelReconstructionHead'))),
     ValueError, 'heads must be a dict'),
    (dict(decoder='separate', fusion='none'), None, None),
])
def test_build_errors_are_clear(kwargs, error, match):
    if error is None:
        cfg = tiny_model(**kwargs)
        cfg['decoder'].pop('audios')
        error, match = ValueError, 'one decoder config per modality'
        with pytest.raises(error, match=match):
            MODELS.build(cfg)
        return
    with pytest.raises(error, match=match):
        MODELS.build(tiny_model(**kwargs))


def test_input_errors_name_the_missing_key(seeded):
    model = build()
    with pytest.raises(KeyError, match='collect_keys'):
        model(dict(imgs=inputs()['imgs']), samples(), mode='loss')
    batch = samples()
    for sample in batch:
        del sample.audio_visible_ids
    with pytest.raises(KeyError, match='SpectrogramRandomMaskGenerator'):
        model(inputs(), batch, mode='loss')
    with pytest.raises(ValueError, match='audios masks cover 8 tokens'):
        model(dict(inputs(), audios=torch.randn(3, 128, 32)), samples(),
              mode='loss')
    with pytest.raises(ValueError, match="mode must be 'loss' or 'tensor'"):
        model(inputs(), samples(), mode='predict')


@pytest.mark.parametrize('layout,index', [('tf', 2 * 2 + 1), ('ft', 1 * 4 +
                                                              2)])
def test_spectrogram_target_follows_token_order(layout, index):
    fbank = torch.zeros(1, 64, 32)
    patch = torch.arange(256.).reshape(16, 16)  # (time, freq) in the patch
    fbank[0, 32:48, 16:32] = patch  # time patch 2, freq patch 1
    head = SpectrogramReconstructionHead(layout=layout, norm_pix=False)
    target = head.construct_target(fbank)
    assert target.shape == (1, 8, 256)
    expected = patch if layout == 'tf' else patch.t()
    torch.testing.assert_close(target[0, index], expected.reshape(-1))
    assert int(target.abs().sum(-1).argmax()) == index
    normed = SpectrogramReconstructionHead(layout=layout).construct_target(
        fbank[:, None])
    torch.testing.assert_close(normed[0, index].mean(), torch.tensor(0.),
                               atol=1e-5, rtol=0)
    torch.testing.assert_close(normed[0, index].std(), torch.tensor(1.),
                               atol=1e-4, rtol=0)


def test_spectrogram_head_weighted_loss():
    head = SpectrogramReconstructionHead()
    fbank = torch.randn(2, 64, 32)
    ids = torch.tensor([[0, 1], [2, 3]])
    pred = torch.zeros(2, 2, 256)
    weight = torch.tensor([[1., 1.], [0., 0.]])
    target = head.construct_target(fbank)
    expected = target[0, :2].pow(2).mean()
    torch.testing.assert_close(head.loss(pred, fbank, ids, weight), expected)
    with pytest.raises(ValueError, match='divisible'):
        head.construct_target(torch.randn(1, 60, 32))


def test_decoder_position_tables():
    like = torch.zeros(1)
    torch.testing.assert_close(decoder_position_table((2, 4), 16, like),
                               sincos_table_2d((2, 4), 16))
    torch.testing.assert_close(decoder_position_table((2, 2, 2), 16, like),
                               sinusoid_table(8, 16))


@pytest.mark.parametrize('decoder', ['joint', 'separate'])
def test_init_weights_reaches_encoders_decoders_and_heads(decoder):
    """The modality containers are mmengine ModuleDicts, so init_weights
    runs every encoder's / decoder's own init (torch's would skip them)."""
    torch.manual_seed(0)
    model = MODELS.build(tiny_model(decoder=decoder))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.init_weights()
    after = model.state_dict()
    for prefix in ('encoders.imgs.blocks.0.attn.qkv', 'encoders.audios.'
                   'blocks.0.attn.qkv', 'decoder.'):
        changed = [k for k in after if k.startswith(prefix)
                   and k.endswith('weight')
                   and not torch.equal(before[k], after[k])]
        assert changed, f'init_weights left {prefix}* untouched'


def test_video_encoder_embeds_only_its_visible_tubelets(seeded, monkeypatch):
    model = build()
    embedded = refuse_full_patch_embedding(monkeypatch)
    losses = model(inputs(), samples(), mode='loss')
    assert all(torch.isfinite(v) for v in losses.values())
    assert embedded == [(3, 2)]
