"""VideoIMUMAE (EVI-MAE): losses, missing devices, heads, masks, demo."""
import copy
import os.path as osp

import numpy as np
import pytest
import torch
from conftest import (demo_config, load_toy_generator, random_masks,
                      refuse_full_patch_embedding)
from mmaction.datasets.transforms import PackActionInputs
from mmaction.structures import ActionDataSample
from mmengine.dataset import pseudo_collate
from mmengine.runner import Runner

from mmvmae.datasets.transforms import (IMURandomMaskGenerator,
                                        LoadIMUWindow, TubeMaskGenerator)
from mmvmae.models.heads import DeviceGraphMAEHead, IMUReconstructionHead
from mmvmae.models.layers import IMUPatchEmbed, IMUSpectrogramEmbed
from mmvmae.models.losses import SCELoss
from mmvmae.registry import MODELS

# video: 4 frames x 32x32, patch 16, tubelet 2 -> 8 tokens (1536 values);
# IMU: 3 devices x 4 channels x 64 samples; 1-D patches of 16 samples or
# 16x16 patches of a 16-bin spectrogram -> 4 tokens per device.
WIDTH = 32
DEVICES, CHANNELS, SAMPLES, PATCH = 3, 4, 64, 16
TOKENIZERS = dict(
    signal=dict(type='IMUPatchEmbed', patch_size=PATCH),
    spectrogram=dict(type='IMUSpectrogramEmbed', patch_size=PATCH, n_fft=32,
                     win_length=8, num_freqs=16, db_mean=-20., db_std=20.))
VALUES = dict(signal=CHANNELS * PATCH, spectrogram=CHANNELS * PATCH**2)


def tiny_model(fusion='mid', decoder='joint', contrastive=True, graph=True,
               tokenizer='signal', device_fusion='mean', **overrides):
    arch = dict(embed_dims=WIDTH, depth=2, num_heads=2)
    tokens = 4 * (DEVICES if device_fusion == 'concat' else 1)
    out_dims = dict(imgs=2 * 16 * 16 * 3, imu=VALUES[tokenizer] * (
        DEVICES if device_fusion == 'mean' else 1))
    if decoder == 'joint':
        decoder = dict(type='JointMAEDecoder', in_dims=WIDTH,
                       out_dims=out_dims, embed_dims=16, depth=1,
                       num_heads=2)
    else:
        decoder = {
            name: dict(type='MAEDecoder', in_dims=WIDTH, embed_dims=16,
                       depth=1, num_heads=2, out_dims=out_dims[name])
            for name in out_dims
        }
    if fusion == 'mid':
        fusion = dict(type='MidFusion', embed_dims=WIDTH, depth=1,
                      num_heads=2, modalities=('imgs', 'imu'),
                      modality_norms=contrastive)
    cfg = dict(
        type='VideoIMUMAE',
        encoders=dict(
            imgs=dict(type='VideoViT', arch=arch, img_size=32, num_frames=4,
                      use_mean_pooling=False),
            imu=dict(type='IMUEncoder', arch=arch, num_devices=DEVICES,
                     in_channels=CHANNELS, num_samples=SAMPLES,
                     tokenizer=TOKENIZERS[tokenizer],
                     device_fusion=device_fusion)),
        decoder=decoder,
        heads=dict(
            imgs=dict(type='PixelReconstructionHead'),
            imu=dict(type='IMUReconstructionHead', patch_size=PATCH)),
        fusion=fusion,
        contrastive=dict(type='InfoNCELoss', temperature=0.05,
                         symmetric=False, loss_weight=0.01)
        if contrastive else None,
        graph=dict(type='DeviceGraphMAEHead', in_dims=WIDTH, hidden_dims=16)
        if graph else None)
    cfg.update(overrides)
    return cfg, tokens


def build(**kwargs):
    cfg, _ = tiny_model(**kwargs)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def samples(presence, imu_tokens=4, seed=0) -> list:
    batch = len(presence)
    video_visible, video_masked = random_masks(batch, 8, 2, seed=seed)
    imu_visible, imu_masked = random_masks(batch, imu_tokens,
                                           imu_tokens // 4, seed=seed + 1)
    out = []
    for i in range(batch):
        sample = ActionDataSample()
        sample.set_field(video_visible[i], 'visible_ids')
        sample.set_field(video_masked[i], 'masked_ids')
        sample.set_field(imu_visible[i], 'imu_visible_ids')
        sample.set_field(imu_masked[i], 'imu_masked_ids')
        sample.set_field(np.asarray(presence[i], bool), 'imu_presence')
        out.append(sample)
    return out


def inputs(batch=3, seed=0) -> dict:
    gen = torch.Generator().manual_seed(seed)
    return dict(imgs=torch.randn(batch, 3, 4, 32, 32, generator=gen),
                imu=torch.randn(batch, DEVICES, CHANNELS, SAMPLES,
                                generator=gen))


PRESENCE = [[True, True, True], [True, False, True], [False, False, True]]


def run(model, data, presence, seed=0, **kwargs):
    """Losses with the graph's node masks and dropout drawn from ``seed``.
    """
    torch.manual_seed(seed)
    return model(data, samples(presence, **kwargs), mode='loss')


def no_grad_params(model) -> list:
    return [
        name for name, p in model.named_parameters()
        if p.requires_grad and (p.grad is None or not p.grad.abs().sum())
    ]


@pytest.mark.parametrize('tokenizer', ['signal', 'spectrogram'])
@pytest.mark.parametrize('device_fusion', ['mean', 'concat'])
@pytest.mark.parametrize('decoder', ['joint', 'separate'])
def test_every_parameter_gets_a_gradient(seeded, tokenizer, device_fusion,
                                         decoder):
    model = build(tokenizer=tokenizer, device_fusion=device_fusion,
                  decoder=decoder)
    tokens = tiny_model(device_fusion=device_fusion)[1]
    losses = run(model, inputs(), PRESENCE, imu_tokens=tokens)
    assert set(losses) == {'loss_video', 'loss_imu', 'loss_contrast',
                           'loss_graph'}
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())
    sum(losses.values()).backward()
    assert not no_grad_params(model)


@pytest.mark.parametrize('kwargs', [
    dict(fusion='none', graph=False),
    dict(fusion='mid', contrastive=False),
    dict(fusion='shared', decoder='separate'),
    dict(fusion='none', modality_embed=False, projectors=dict(
        imgs=dict(type='Projector', in_dims=WIDTH, out_dims=8),
        imu=dict(type='Projector', in_dims=WIDTH, out_dims=8))),
])
def test_other_variants_reach_every_parameter(seeded, kwargs):
    model = build(**kwargs)
    losses = run(model, inputs(), PRESENCE)
    assert ('loss_contrast' in losses) == kwargs.get('contrastive', True)
    assert ('loss_graph' in losses) == kwargs.get('graph', True)
    sum(losses.values()).backward()
    assert not no_grad_params(model)


@pytest.mark.parametrize('device_fusion', ['mean', 'concat'])
def test_absent_device_data_does_not_change_any_loss(device_fusion):
    model = build(device_fusion=device_fusion)  # train mode: BN, dropout
    tokens = tiny_model(device_fusion=device_fusion)[1]
    data = inputs()
    base = run(model, data, PRESENCE, imu_tokens=tokens)
    changed = copy.deepcopy(data)
    changed['imu'][1, 1] = 100 * torch.randn(CHANNELS, SAMPLES)
    changed['imu'][2, :2] = float('nan')
    after = run(model, changed, PRESENCE, imu_tokens=tokens)
    for key in base:
        torch.testing.assert_close(after[key], base[key], rtol=0, atol=0)
    # the same change on a present device moves the IMU loss
    changed = copy.deepcopy(data)
    changed['imu'][1, 0] = 100 * torch.randn(CHANNELS, SAMPLES)
    moved = run(model, changed, PRESENCE, imu_tokens=tokens)
    assert not torch.allclose(moved['loss_imu'], base['loss_imu'])


def test_sample_without_devices_adds_nothing_to_imu_losses():
    model = build(graph=False).eval()
    data = inputs()
    batch = samples([[True, True, False], [False] * 3, [True, False, True]])
    full = model(data, batch, mode='loss')
    kept = [0, 2]
    reduced = model({k: v[kept] for k, v in data.items()},
                    [batch[i] for i in kept], mode='loss')
    for key in ('loss_imu', 'loss_contrast'):
        torch.testing.assert_close(full[key], reduced[key])


def test_batch_without_any_device_trains_video_only(seeded):
    model = build(device_fusion='concat')
    losses = run(model, inputs(), [[False] * 3] * 3, imu_tokens=12)
    for key in ('loss_imu', 'loss_contrast', 'loss_graph'):
        assert losses[key].item() == 0, key
    assert losses['loss_video'] > 0
    sum(losses.values()).backward()
    # every parameter stays in the graph (DDP needs a gradient for each)
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


def test_exact_reproduction_under_seed():
    def once():
        torch.manual_seed(0)
        np.random.seed(0)
        model = build(tokenizer='spectrogram')
        batch = []
        for present in ([True, True, False], [True, True, True]):
            results = dict(imgs=np.zeros((1, 3, 4, 32, 32), np.uint8),
                           imu_presence=np.array(present))
            results = TubeMaskGenerator(0.75)(results)
            results = IMURandomMaskGenerator(0.75, num_tokens=4)(results)
            sample = ActionDataSample()
            for key in ('visible_ids', 'masked_ids', 'imu_visible_ids',
                        'imu_masked_ids', 'imu_presence'):
                sample.set_field(results[key], key)
            batch.append(sample)
        losses = model(inputs(2), batch, mode='loss')
        sum(losses.values()).backward()
        return losses, model.encoders['imu'].tokenizer.projection.weight.grad

    first, grad = once()
    second, grad_again = once()
    for key in first:
        torch.testing.assert_close(first[key], second[key], rtol=0, atol=0)
    torch.testing.assert_close(grad, grad_again, rtol=0, atol=0)


def test_tensor_mode_leaves_absent_devices_out(seeded):
    model = build(device_fusion='concat').eval()
    data = inputs()
    feats = model(data, samples(PRESENCE, 12), mode='tensor')
    assert feats['imgs'].shape == (3, WIDTH) and feats['imu'].shape == (3,
                                                                        WIDTH)
    data['imu'][1, 1] = 50.
    again = model(data, samples(PRESENCE, 12), mode='tensor')
    torch.testing.assert_close(again['imu'], feats['imu'], rtol=0, atol=0)


def test_pipeline_packing_and_data_preprocessor(seeded):
    model = build()
    pack = PackActionInputs(
        collect_keys=('imgs', 'imu'),
        algorithm_keys=('visible_ids', 'masked_ids', 'imu_visible_ids',
                        'imu_masked_ids', 'imu_presence'))
    items = []
    for present in ([True, False, True], [False, False, False]):
        results = dict(
            imgs=np.random.randint(0, 255, (1, 3, 4, 32, 32), np.uint8),
            imu=np.random.randn(DEVICES, CHANNELS, SAMPLES).astype(
                np.float32),
            imu_presence=np.array(present))
        results = TubeMaskGenerator(0.75, tubelet_size=2)(results)
        results = IMURandomMaskGenerator(0.75, num_tokens=4)(results)
        items.append(pack(results))
    data = model.data_preprocessor(pseudo_collate(items), training=True)
    assert data['inputs']['imgs'].shape == (2, 1, 3, 4, 32, 32)
    assert data['inputs']['imu'].shape == (2, DEVICES, CHANNELS, SAMPLES)
    assert data['inputs']['imu'].dtype == torch.float32
    losses = model(**data, mode='loss')
    assert all(torch.isfinite(v) for v in losses.values())


# ------------------------------------------------------------------ errors
def _spectrogram_head(cfg):
    cfg['heads']['imu']['patch_size'] = 8
    return cfg


def _wrong_out_dims(cfg):
    cfg['decoder']['out_dims']['imu'] = VALUES['signal']
    return cfg


def _wrong_graph_width(cfg):
    cfg['graph']['in_dims'] = 16
    return cfg


@pytest.mark.parametrize('edit,match', [
    (_spectrogram_head, 'patch_size=8 differs'),
    (_wrong_out_dims,
     'predicts 64 values per IMU token but the target has 192'),
    (_wrong_graph_width, 'graph.in_dims=16'),
])
def test_build_errors_are_clear(edit, match):
    cfg, _ = tiny_model()
    with pytest.raises(ValueError, match=match):
        MODELS.build(edit(cfg))


def test_input_errors_name_the_missing_key(seeded):
    model = build()
    with pytest.raises(KeyError, match='collect_keys'):
        model(dict(imgs=inputs()['imgs']), samples(PRESENCE), mode='loss')
    batch = samples(PRESENCE)
    for sample in batch:
        del sample.imu_presence
    with pytest.raises(KeyError, match='imu_presence'):
        model(inputs(), batch, mode='loss')
    batch = samples(PRESENCE)
    for sample in batch:
        del sample.imu_visible_ids
    with pytest.raises(KeyError, match='IMURandomMaskGenerator'):
        model(inputs(), batch, mode='loss')
    with pytest.raises(ValueError, match='imu masks cover 8 tokens but the '
                       'input has 4'):
        model(inputs(), samples(PRESENCE, imu_tokens=8), mode='loss')
    with pytest.raises(ValueError, match=r'imu_presence of shape \(3, 2\)'):
        model(inputs(), samples([[True, True]] * 3), mode='loss')


# ------------------------------------------------------- heads and losses
@pytest.mark.parametrize('tokenizer', ['signal', 'spectrogram'])
def test_imu_target_patches_follow_the_token_order(tokenizer):
    """A tokenizer whose tokens sum their patch's values: token k of device
    d equals the sum of the head's patch k of device d."""
    embed = (IMUPatchEmbed if tokenizer == 'signal' else IMUSpectrogramEmbed)
    options = {k: v for k, v in TOKENIZERS[tokenizer].items() if k != 'type'}
    embed = embed(in_channels=CHANNELS, embed_dims=1, **options)
    torch.nn.init.ones_(embed.projection.weight)
    torch.nn.init.zeros_(embed.projection.bias)
    x = torch.randn(2, DEVICES, CHANNELS, SAMPLES)
    source = x if tokenizer == 'signal' else embed.spectrogram(x)
    patches = IMUReconstructionHead(PATCH, norm_pix=False).patchify(source)
    assert patches.shape == (2, DEVICES, 4, VALUES[tokenizer])
    torch.testing.assert_close(patches.sum(-1), embed(x)[..., 0],
                               rtol=1e-5, atol=1e-4)
    # the first signal patch is the first 16 samples, channel-major
    if tokenizer == 'signal':
        torch.testing.assert_close(patches[1, 2, 0], x[1, 2, :, :16].reshape(
            -1))


def test_imu_head_weights_present_device_patches():
    head = IMUReconstructionHead(PATCH, norm_pix=False)
    x = torch.randn(2, DEVICES, CHANNELS, SAMPLES)
    target = head.construct_target(x)  # (B, D, n, V)
    presence = torch.tensor([[True, False, True], [False, False, False]])
    ids = torch.tensor([[1, 3], [0, 2]])
    pred = torch.zeros(2, 2, DEVICES * VALUES['signal'])
    expected = torch.stack([
        target[0, d, k].pow(2).mean() for d in (0, 2) for k in (1, 3)
    ]).mean()
    torch.testing.assert_close(head.loss(pred, x, ids, presence), expected)
    # concat: token d * 4 + k is device d's patch k
    ids = torch.tensor([[1, 5, 9], [0, 1, 2]])
    pred = torch.zeros(2, 3, VALUES['signal'])
    expected = torch.stack([target[0, 0, 1], target[0, 2, 1]]).pow(2).mean()
    torch.testing.assert_close(
        head.loss(pred, x, ids, presence, 'concat'), expected)
    with pytest.raises(ValueError, match="check the decoder's out_dims"):
        head.loss(pred, x, ids % 4, presence, 'mean')
    normed = IMUReconstructionHead(PATCH).construct_target(x)
    torch.testing.assert_close(normed.mean(-1), torch.zeros(2, DEVICES, 4),
                               atol=1e-5, rtol=0)


def test_sce_loss_equals_hand_computation():
    pred = torch.tensor([[1., 0.], [1., 1.], [0., 2.]])
    target = torch.tensor([[1., 0.], [1., 0.], [0., -1.]])
    errors = torch.tensor([0., 1 - 2**-.5, 2.])
    loss = SCELoss(alpha=2., loss_weight=3.)
    torch.testing.assert_close(loss(pred, target), 3 * errors.pow(2).mean())
    weight = torch.tensor([0., 1., 1.])
    torch.testing.assert_close(
        loss(pred, target, weight), 3 * errors[1:].pow(2).mean())
    assert loss(pred, target, torch.zeros(3)).item() == 0
    with pytest.raises(ValueError, match='alpha must be >= 1'):
        SCELoss(alpha=.5)


def test_graph_head_masks_only_present_devices(seeded):
    head = DeviceGraphMAEHead(in_dims=8, hidden_dims=16)
    nodes = torch.randn(4, DEVICES, 8, requires_grad=True)
    presence = torch.tensor([[True] * 3, [True, False, True],
                             [False, False, True], [False] * 3])
    loss = head.loss(nodes, presence)
    assert torch.isfinite(loss) and loss > 0
    loss.backward()
    # absent devices are never read, so their features get no gradient
    assert nodes.grad[~presence].abs().sum() == 0
    assert nodes.grad[presence].abs().sum() > 0
    # one present device per sample: 0.5 masks none of them, no loss
    single = torch.tensor([[True, False, False]] * 4)
    assert head.loss(nodes, single).item() == 0
    assert head(nodes, presence).shape == (4, 16)
    with pytest.raises(ValueError, match='mask_ratio must be in'):
        DeviceGraphMAEHead(in_dims=8, mask_ratio=0.)


def test_imu_mask_generator_counts_and_seed():
    generator = IMURandomMaskGenerator(0.75, num_tokens=16)
    np.random.seed(3)
    first = generator({})
    assert len(first['imu_visible_ids']) == 4
    assert len(first['imu_masked_ids']) == 12
    assert first['imu_masked_ids'].dtype == np.int64
    assert sorted(np.concatenate([first['imu_visible_ids'],
                                  first['imu_masked_ids']])) == list(
                                      range(16))
    np.random.seed(3)
    again = generator({})
    np.testing.assert_array_equal(again['imu_visible_ids'],
                                  first['imu_visible_ids'])
    with pytest.raises(ValueError, match='mask_ratio must be in'):
        IMURandomMaskGenerator(1., num_tokens=16)
    with pytest.raises(ValueError, match='leaves 4 of num_tokens=4'):
        IMURandomMaskGenerator(0.2, num_tokens=4)


# --------------------------------------------------------------- the demo
PRETRAIN = 'evi-mae_vit-tiny-p8_1xb8-toy_pretrain'
FINETUNE = 'evi-mae_vit-tiny-p8_1xb8-toy_finetune'
SMALL = {'train_dataloader.batch_size': 4, 'train_cfg.max_epochs': 1}


@pytest.fixture(scope='module')
def pretrained(tmp_path_factory):
    """Two iterations of the demo on 8 toy videos, half of them with a
    dead IMU device."""
    data = str(tmp_path_factory.mktemp('toy_imu'))
    load_toy_generator().generate(
        data, num_train=8, num_val=4, size=64, frames=32, seed=0,
        num_classes=4, progress=False, imu=True, imu_dead_prob=0.5)
    work_dir = str(tmp_path_factory.mktemp('evi_mae'))
    runner = Runner.from_cfg(demo_config(PRETRAIN, data, work_dir, **SMALL))
    runner.train()
    losses = {
        key: runner.message_hub.get_scalar(f'train/{key}').current()
        for key in ('loss_video', 'loss_imu', 'loss_contrast', 'loss_graph')
    }
    loader = next(t for t in runner.train_dataloader.dataset.pipeline
                  .transforms if isinstance(t, LoadIMUWindow))
    return data, osp.join(work_dir, 'epoch_1.pth'), losses, loader, runner


def test_demo_pretrains_with_dead_devices(pretrained):
    _, checkpoint, losses, loader, runner = pretrained
    assert runner.iter == 2
    assert all(np.isfinite(v) and 0 < v < 100 for v in losses.values()), (
        losses)
    assert loader.missing > 0  # dead devices were filled and marked absent
    state = torch.load(checkpoint, weights_only=True)['state_dict']
    for key in ('encoders.imu.tokenizer.projection.weight',
                'fusion.blocks.0.modality_norm1.imu.weight',
                'decoder.heads.imu.weight', 'graph.encoder.mask_token'):
        assert key in state, key


def test_demo_finetune_loads_the_video_encoder(pretrained, tmp_path):
    data, checkpoint, *_ = pretrained
    cfg = demo_config(
        FINETUNE, data, str(tmp_path),
        **{'model.backbone.init_cfg.checkpoint': checkpoint, **SMALL})
    runner = Runner.from_cfg(cfg)
    runner.train()
    state = torch.load(checkpoint, weights_only=True)['state_dict']
    torch.testing.assert_close(
        runner.model.backbone.patch_embed.projection.weight.detach(),
        state['encoders.imgs.patch_embed.projection.weight'],
        atol=0.05, rtol=0)  # one epoch of fine-tuning moves it a little


def test_video_encoder_embeds_only_its_visible_tubelets(monkeypatch):
    model = build()
    embedded = refuse_full_patch_embedding(monkeypatch)
    losses = run(model, inputs(), PRESENCE)
    assert all(torch.isfinite(v) for v in losses.values())
    assert embedded == [(3, 2)]
