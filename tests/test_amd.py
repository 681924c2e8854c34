"""AMD: asymmetric tube masks, frozen teacher loading, alignment losses,
gradients, and two training iterations of the demo config."""
import copy
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import DEMO, demo_config, refuse_full_patch_embedding
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner

from mmvmae.datasets.transforms import AsymmetricTubeMaskGenerator
from mmvmae.models import FeatureAlignmentLoss
from mmvmae.registry import MODELS, TRANSFORMS
from mmvmae.utils import mmvmae_to_hf, mmvmae_to_official

AMD_DEMO = 'amd_vit-tiny-p8_1xb8-toy_pretrain'
VIDEOMAE_DEMO = 'videomae_vit-tiny-p8_1xb8-toy_pretrain'
# 4 frames x 32x32, patch 8, tubelet 2: a (2, 4, 4) grid. At 0.9 / 0.75 a
# slice has 2 student-visible, 4 teacher-visible and 2 diff positions.
CLIP = dict(img_size=32, patch_size=8, num_frames=4)
TEACHER_DIMS = 64


def clip(frames=16, size=224):
    return dict(imgs=np.zeros((1, 3, frames, size, size), np.uint8))


def teacher_cfg(**overrides) -> dict:
    cfg = dict(type='VideoViT',
               arch=dict(embed_dims=TEACHER_DIMS, depth=3, num_heads=2),
               use_mean_pooling=False, **CLIP)
    cfg.update(overrides)
    return cfg


def videomae_teacher_cfg() -> dict:
    """A tiny VideoMAE whose encoder has the teacher's arch."""
    return dict(
        type='VideoMAE',
        backbone=teacher_cfg(),
        neck=dict(type='MAEDecoder', in_dims=TEACHER_DIMS, embed_dims=16,
                  depth=1, num_heads=2, out_dims=2 * 8 * 8 * 3),
        head=dict(type='PixelReconstructionHead', patch_size=8))


def amd_cfg(teacher_checkpoint: str, **overrides) -> dict:
    cfg = dict(
        type='AMD',
        backbone=dict(type='VideoViT',
                      arch=dict(embed_dims=32, depth=2, num_heads=2),
                      use_mean_pooling=False, **CLIP),
        neck=dict(type='MAEDecoder', in_dims=32, embed_dims=16, depth=1,
                  num_heads=2, out_dims=2 * 8 * 8 * 3),
        head=dict(type='PixelReconstructionHead', patch_size=8),
        teacher=teacher_cfg(),
        teacher_checkpoint=teacher_checkpoint,
        layer_pairs=((1, 2), (2, 3)))
    cfg.update(overrides)
    return cfg


@pytest.fixture
def teacher_file(tmp_path):
    """An mmvmae checkpoint of a tiny VideoMAE with the teacher's arch."""
    torch.manual_seed(1)
    state = MODELS.build(videomae_teacher_cfg()).state_dict()
    path = str(tmp_path / 'teacher.pth')
    torch.save(dict(state_dict=state, meta=dict()), path)
    return path


def build_amd(teacher_file: str, **overrides):
    torch.manual_seed(0)
    model = MODELS.build(amd_cfg(teacher_file, **overrides))
    model.init_weights()
    return model


def amd_samples(batch: int = 2, seed: int = 0) -> list:
    """Data samples carrying asymmetric masks of the (2, 4, 4) grid."""
    np.random.seed(seed)
    generator = AsymmetricTubeMaskGenerator(patch_size=8)
    samples = []
    for _ in range(batch):
        masks = generator(clip(frames=4, size=32))
        sample = ActionDataSample()
        for key in ('visible_ids', 'masked_ids', 'diff_ids'):
            sample.set_field(masks[key], key)
        samples.append(sample)
    return samples


def total_loss(model, seed: int = 0):
    torch.manual_seed(seed)
    inputs = torch.randn(2, 3, 4, 32, 32)
    losses = model.loss(inputs, amd_samples(seed=seed))
    return sum(losses.values()), losses


# --- masks -----------------------------------------------------------------


def test_asymmetric_mask_counts_at_14x14(seeded):
    out = AsymmetricTubeMaskGenerator()(clip())
    assert out['token_grid'] == (8, 14, 14)
    counts = {key: len(out[key]) for key in (
        'visible_ids', 'masked_ids', 'teacher_visible_ids', 'diff_ids')}
    assert counts == dict(visible_ids=8 * 20, masked_ids=8 * 176,
                          teacher_visible_ids=8 * 49, diff_ids=8 * 29)
    for key in counts:
        assert out[key].dtype == np.int64
        assert np.array_equal(out[key], np.sort(out[key]))
    visible, masked = set(out['visible_ids']), set(out['masked_ids'])
    teacher, diff = set(out['teacher_visible_ids']), set(out['diff_ids'])
    assert visible | masked == set(range(1568)) and not visible & masked
    assert visible < teacher  # the teacher sees all the student sees
    assert diff == teacher - visible and diff <= masked
    # tubes: the same positions in every slice, for both models
    for key, per_slice in (('visible_ids', 20), ('teacher_visible_ids', 49)):
        positions = out[key].reshape(8, per_slice) % 196
        assert (positions == positions[0]).all()


def test_asymmetric_mask_is_deterministic_under_seed():
    generator = AsymmetricTubeMaskGenerator()
    np.random.seed(5)
    first = generator(clip())
    np.random.seed(5)
    again = generator(clip())
    assert all(np.array_equal(first[k], again[k]) for k in (
        'visible_ids', 'teacher_visible_ids', 'diff_ids'))
    assert not np.array_equal(first['diff_ids'], generator(clip())['diff_ids'])


@pytest.mark.parametrize('student, teacher', [(0.9, 0.9), (0.75, 0.9),
                                              (0.9, 0.), (1., 0.75)])
def test_bad_ratios_fail_at_build(student, teacher):
    with pytest.raises(ValueError, match='ratio'):
        AsymmetricTubeMaskGenerator(student, teacher)


def test_grid_without_diff_tokens_is_named():
    # 2x2 positions per slice: 0.9 and 0.75 both hide 3, no diff token
    with pytest.raises(ValueError, match=r'grid \(8, 2, 2\)'):
        AsymmetricTubeMaskGenerator(patch_size=16)(clip(size=32))


# --- model -----------------------------------------------------------------


def test_losses_and_gradients_reach_every_trainable_parameter(teacher_file):
    model = build_amd(teacher_file)
    loss, losses = total_loss(model)
    assert set(losses) == {
        'loss_pix', 'loss_align_direct', 'loss_align_generation'}
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())
    loss.backward()
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and not any(n.startswith('teacher.') for n in trainable)
    for name in ('generators.0.mask_token', 'generators.1.mask_token',
                 'projectors.0.weight', 'projectors.1.weight'):
        assert name in trainable
    no_grad = [n for n, p in trainable.items()
               if p.grad is None or not p.grad.abs().sum() > 0]
    assert not no_grad
    assert all(p.grad is None for p in model.teacher.parameters())


def test_dual_masking_decoder_predicts_decoder_kept_tokens(teacher_file):
    """With VideoMAE V2's running-cell mask after the asymmetric one, the
    student decoder predicts the decoder-kept tokens."""
    np.random.seed(0)
    transforms = [AsymmetricTubeMaskGenerator(patch_size=8),
                  TRANSFORMS.build(dict(type='RunningCellDecoderMask'))]
    samples = []
    for _ in range(2):
        results = clip(frames=4, size=32)
        for transform in transforms:
            results = transform(results)
        sample = ActionDataSample()
        for key in ('visible_ids', 'masked_ids', 'diff_ids', 'decoder_ids'):
            sample.set_field(results[key], key)
        samples.append(sample)
    model = build_amd(teacher_file)
    queries = []
    model.neck.register_forward_hook(
        lambda module, args, out: queries.append(args[2]))
    losses = model.loss(torch.randn(2, 3, 4, 32, 32), samples)
    assert torch.isfinite(sum(losses.values()))
    assert queries[0].shape == (2, 16)  # half of the 32 tokens
    assert torch.equal(queries[0][0],
                       torch.as_tensor(samples[0].decoder_ids))


def test_predict_mode_reconstructs_for_visualization(teacher_file):
    model = build_amd(teacher_file)
    out = model(torch.randn(2, 3, 4, 32, 32), amd_samples(), mode='predict')
    assert out['recon'].shape == (2, 3, 4, 32, 32)


def test_teacher_is_frozen_through_an_optimizer_step(teacher_file):
    model = build_amd(teacher_file)
    model.train()
    assert not model.teacher.training and model.backbone.training
    assert not any(p.requires_grad for p in model.teacher.parameters())
    teacher_before = copy.deepcopy(model.teacher.state_dict())
    student_before = model.backbone.blocks[0].attn.qkv.weight.detach().clone()
    wrapper = build_optim_wrapper(model, dict(
        type='FiniteLossOptimWrapper',
        optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
        clip_grad=dict(max_norm=0.02)))
    wrapper.update_params(total_loss(model)[0])
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, teacher_before[key]), key
    assert not torch.equal(model.backbone.blocks[0].attn.qkv.weight,
                           student_before)


def test_mask_tokens_and_projectors_are_saved(teacher_file):
    state = build_amd(teacher_file).state_dict()
    for i in (0, 1):
        assert state[f'generators.{i}.mask_token'].shape == (
            1, 1, TEACHER_DIMS)
        assert state[f'projectors.{i}.weight'].shape == (TEACHER_DIMS, 32)
        assert f'projectors.{i}.bias' not in state


def test_teacher_sees_student_visible_then_diff_tokens(teacher_file):
    """The teacher's targets are its features on exactly the
    teacher-visible tokens (attention does not depend on their order)."""
    model = build_amd(teacher_file).eval()
    inputs = torch.randn(2, 3, 4, 32, 32)
    samples = amd_samples()
    visible = torch.as_tensor(np.stack([s.visible_ids for s in samples]))
    diff = torch.as_tensor(np.stack([s.diff_ids for s in samples]))
    direct, generation = model.teacher_features(inputs, visible, diff)
    union, order = torch.cat([visible, diff], 1).sort(dim=1)
    _, features = model.teacher.encode_tokens(
        model.teacher.embed(inputs), union, layers=(2, 3))
    for i, feats in enumerate(features):
        expected = torch.empty_like(feats).scatter_(
            1, order[..., None].expand_as(feats), feats)
        torch.testing.assert_close(
            torch.cat([direct[i], generation[i]], 1), expected)
        assert direct[i].shape[1] == 4 and generation[i].shape[1] == 4


@pytest.mark.parametrize('criterion, reference', [
    ('l2', F.mse_loss), ('l1', F.l1_loss), ('smooth_l1', F.smooth_l1_loss)])
def test_alignment_loss_types(criterion, reference, teacher_file):
    pred, target = torch.randn(2, 5, 8) * 3, torch.randn(2, 5, 8)
    loss = FeatureAlignmentLoss(criterion, loss_weight=2.)(pred, target)
    torch.testing.assert_close(loss, 2 * reference(pred, target))
    chosen = dict(type='FeatureAlignmentLoss', criterion=criterion)
    model = build_amd(teacher_file, direct_loss=chosen,
                      generation_loss=chosen)
    assert all(torch.isfinite(v) for v in total_loss(model)[1].values())


def test_unknown_loss_type_is_named():
    with pytest.raises(ValueError, match="'cosine'"):
        FeatureAlignmentLoss('cosine')


# --- teacher loading -------------------------------------------------------


def saved_backbone(path: str) -> dict:
    state = torch.load(path, weights_only=True)['state_dict']
    return {k[len('backbone.'):]: v for k, v in state.items()
            if k.startswith('backbone.')}


def assert_teacher_equals(model, expected: dict) -> None:
    loaded = model.teacher.state_dict()
    assert set(expected) <= set(loaded)
    for key, value in expected.items():
        assert torch.equal(loaded[key], value), key


def test_teacher_from_mmvmae_checkpoint(teacher_file):
    expected = saved_backbone(teacher_file)
    fresh = MODELS.build(amd_cfg(teacher_file)).teacher.state_dict()
    assert not torch.equal(fresh['blocks.0.attn.qkv.weight'],
                           expected['blocks.0.attn.qkv.weight'])
    assert_teacher_equals(build_amd(teacher_file), expected)


@pytest.mark.parametrize('layout', ['official', 'transformers'])
def test_teacher_from_foreign_layouts(teacher_file, tmp_path, layout):
    state = torch.load(teacher_file, weights_only=True)['state_dict']
    if layout == 'official':
        path = tmp_path / 'official.pth'
        torch.save(dict(model=mmvmae_to_official(state).state_dict,
                        epoch=1599), path)
    else:
        path = tmp_path / 'pytorch_model.bin'
        torch.save(mmvmae_to_hf(state).state_dict, path)
    # Neither layout saves the fixed sinusoid: the teacher computes the same.
    assert_teacher_equals(build_amd(str(path)), saved_backbone(teacher_file))


def test_teacher_shape_mismatch_names_key_shapes_and_path(tmp_path):
    cfg = videomae_teacher_cfg()
    cfg['backbone']['arch'] = dict(embed_dims=48, depth=3, num_heads=2)
    cfg['neck']['in_dims'] = 48
    path = str(tmp_path / 'wide.pth')
    torch.save(dict(state_dict=MODELS.build(cfg).state_dict()), path)
    with pytest.raises(ValueError) as error:
        build_amd(path)
    message = str(error.value)
    assert path in message and 'model.teacher_checkpoint' in message
    assert ('backbone.blocks.0.attn.qkv.weight: (144, 48) in the checkpoint,'
            ' (192, 64) in the model') in message


def test_teacher_missing_block_is_named(teacher_file, tmp_path):
    state = torch.load(teacher_file, weights_only=True)['state_dict']
    del state['backbone.blocks.2.norm1.weight']
    path = str(tmp_path / 'incomplete.pth')
    torch.save(dict(state_dict=state), path)
    with pytest.raises(ValueError, match='missing backbone.blocks.2.norm1'):
        build_amd(path)


def test_missing_teacher_file_is_named(tmp_path):
    path = str(tmp_path / 'no_teacher.pth')
    model = MODELS.build(amd_cfg(path))  # building reads no file
    with pytest.raises(FileNotFoundError,
                       match=r'AMD teacher \(model.teacher_checkpoint\) at '
                       r'.*no_teacher.pth'):
        model.init_weights()


@pytest.mark.parametrize('overrides, match', [
    (dict(layer_pairs=((1, 4), )), r'layer pair \(1, 4\)'),
    (dict(layer_pairs=((3, 1), )), r'layer pair \(3, 1\)'),
    (dict(layer_pairs=()), 'layer_pairs is empty'),
    (dict(teacher=teacher_cfg(patch_size=16)), 'patch 16'),
    (dict(generator=dict(type='FeatureGenerator', embed_dims=32)),
     'teacher width 64'),
])
def test_bad_model_config_fails_at_build(overrides, match):
    with pytest.raises(ValueError, match=match):
        MODELS.build(amd_cfg('unused.pth', **overrides))


def test_empty_teacher_checkpoint_fails_at_build():
    with pytest.raises(ValueError, match='teacher_checkpoint'):
        MODELS.build(amd_cfg(''))


# --- demo ------------------------------------------------------------------


def test_demo_trains_two_iterations(toy_data, tmp_path):
    videomae = Config.fromfile(osp.join(DEMO, VIDEOMAE_DEMO + '.py'))
    torch.manual_seed(2)
    teacher = MODELS.build(videomae.model).state_dict()
    teacher_path = str(tmp_path / 'teacher.pth')
    torch.save(dict(state_dict=teacher), teacher_path)
    # 8 toy videos at 4 per batch: two iterations in the epoch.
    cfg = demo_config(AMD_DEMO, toy_data, str(tmp_path / 'work'), **{
        'model.teacher_checkpoint': teacher_path,
        'train_cfg.max_epochs': 1,
        'train_dataloader.batch_size': 4,
        'custom_hooks': []})
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    for key in ('loss_pix', 'loss_align_direct', 'loss_align_generation'):
        value = runner.message_hub.get_scalar(f'train/{key}').current()
        assert np.isfinite(value) and value > 0
    saved = torch.load(str(tmp_path / 'work' / 'epoch_1.pth'),
                       weights_only=True)['state_dict']
    assert 'generators.1.mask_token' in saved
    for key, value in teacher.items():
        if key.startswith('backbone.'):
            assert torch.equal(saved['teacher.' + key[len('backbone.'):]],
                               value), key


def test_vit_b_teacher_override_builds_and_runs():
    """The ViT-S K400 config with a ViT-B teacher (docs/methods/amd.md):
    projectors and generators follow the teacher width; the loss runs on
    the meta device on the config's own masks."""
    path = osp.join(osp.dirname(DEMO), 'amd',
                    'amd_vit-small-p16_32xb16-200e_k400-pretrain.py')
    cfg = Config.fromfile(path)
    cfg.merge_from_dict({'model.teacher.arch': 'base',
                         'model.layer_pairs': [[6, 6], [12, 12]]})
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    assert model.teacher.embed_dims == 768
    assert all(p.weight.shape == (768, 384) for p in model.projectors)
    generator = TRANSFORMS.build(
        next(t for t in cfg.train_dataloader.dataset.pipeline
             if t['type'] == 'AsymmetricTubeMaskGenerator'))
    np.random.seed(0)
    results = generator(clip())
    sample = ActionDataSample()
    for key in ('visible_ids', 'masked_ids', 'diff_ids'):
        sample.set_field(results[key], key)
    losses = model(torch.empty(1, 3, 16, 224, 224, device='meta'), [sample],
                   mode='loss')
    assert set(losses) == {'loss_pix', 'loss_align_direct',
                           'loss_align_generation'}


def test_student_and_teacher_embed_only_the_tubelets_they_read(
        teacher_file, monkeypatch):
    """Neither encoder projects every tubelet of the clip in a train step:
    the student embeds its visible ones, the teacher visible + diff."""
    model = build_amd(teacher_file)
    embedded = refuse_full_patch_embedding(monkeypatch)
    total, _ = total_loss(model)
    assert torch.isfinite(total)
    # student: 4 visible of 32 tokens; teacher: 4 visible + 4 diff
    assert embedded == [(2, 4), (2, 8)]
