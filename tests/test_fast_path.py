"""GPU fast-path pieces, exercised on CPU: the bf16 optim wrapper (no
GradScaler), fused AdamW from a config, patch embedding of the visible
tubelets only, and torch.compile of the encoder / decoder."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from conftest import (mask_samples, random_masks, refuse_full_patch_embedding,
                      tiny_videomae)
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper

from mmvmae.engine.hooks import CompileModulesHook
from mmvmae.models.encoders.video_vit import VideoViT
from mmvmae.models.layers import gather_tokens
from mmvmae.registry import MODELS
from mmvmae.utils.compiled_forward import CompiledForward

ADAMW = dict(type='AdamW', lr=1e-3, betas=(0.9, 0.95), weight_decay=0.05)


def tiny_model(seed=0):
    torch.manual_seed(seed)
    return MODELS.build(tiny_videomae())


def batch(size=2, seed=0):
    """A train_step batch: uint8-range clips and 2-of-8 visible masks."""
    gen = torch.Generator().manual_seed(seed)
    clips = [torch.randint(0, 256, (1, 3, 4, 32, 32), generator=gen).float()
             for _ in range(size)]
    samples = mask_samples(*random_masks(size, 8, 2, seed=seed))
    return dict(inputs=clips, data_samples=samples)


def output_dtypes(module):
    """Record the output dtype of every call of ``module``."""
    seen = []
    module.register_forward_hook(lambda m, i, out: seen.append(out.dtype))
    return seen


def test_bf16_wrapper_autocasts_forward_keeps_fp32_weights_no_scaler():
    model = tiny_model()
    wrapper = build_optim_wrapper(
        model, dict(type='BF16OptimWrapper', optimizer=ADAMW))
    assert wrapper.device_type == 'cpu'
    assert not hasattr(wrapper, 'loss_scaler')
    qkv = output_dtypes(model.backbone.blocks[0].attn)
    head = output_dtypes(model.neck.head)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    losses = model.train_step(batch(), wrapper)
    assert qkv == [torch.bfloat16] and head == [torch.bfloat16]
    assert losses['loss_pix'].dtype == torch.float32  # mse runs in fp32
    assert torch.isfinite(losses['loss_pix'])
    for name, param in model.named_parameters():
        assert param.dtype == torch.float32, name
        assert not torch.equal(param, before[name]), f'{name} did not move'
    state = wrapper.state_dict()
    assert 'loss_scaler' not in state
    assert all(s['exp_avg'].dtype == torch.float32
               for s in state['state'].values())


def test_bf16_wrapper_outside_its_context_is_fp32():
    model = tiny_model()
    build_optim_wrapper(model, dict(type='BF16OptimWrapper',
                                    optimizer=ADAMW))
    qkv = output_dtypes(model.backbone.blocks[0].attn)
    model.val_step(batch())
    assert qkv == [torch.float32]


def test_bf16_wrapper_names_the_unusable_device():
    model = tiny_model()
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match='CUDA is not available'):
            build_optim_wrapper(model, dict(
                type='BF16OptimWrapper', device_type='cuda',
                optimizer=ADAMW))
    with pytest.raises(RuntimeError, match="no autocast.*'meta'"):
        build_optim_wrapper(model, dict(
            type='BF16OptimWrapper', device_type='meta', optimizer=ADAMW))


def test_finite_loss_bf16_wrapper_stops_on_nan():
    model = tiny_model()
    wrapper = build_optim_wrapper(
        model, dict(type='FiniteLossBF16OptimWrapper', optimizer=ADAMW))
    MessageHub.get_current_instance().update_info('iter', 6)
    with pytest.raises(FloatingPointError, match='iteration 7'):
        with wrapper.optim_context(model):
            loss = model.backbone.pos_embed.sum() * float('nan')
        wrapper.update_params(loss)


def test_fused_adamw_from_the_pretrain_schedule_config_steps_on_cpu():
    from mmengine.config import Config
    schedule = Config.fromfile(
        'configs/_base_/schedules/pretrain_adamw_800e.py')
    cfg = schedule.optim_wrapper.to_dict()
    cfg.update(type='BF16OptimWrapper')
    cfg['optimizer'].update(fused=True)
    model = tiny_model()
    wrapper = build_optim_wrapper(model, cfg)
    assert all(g['fused'] for g in wrapper.optimizer.param_groups)
    assert {g['weight_decay'] for g in wrapper.optimizer.param_groups} == {
        0., 0.05}
    before = model.neck.mask_token.detach().clone()
    model.train_step(batch(), wrapper)
    assert not torch.equal(model.neck.mask_token, before)


@pytest.mark.parametrize('pos_embed_type', ['sincos', 'learned_separable'])
def test_visible_only_patch_embedding_equals_embed_then_gather(
        pos_embed_type):
    torch.manual_seed(0)
    vit = VideoViT(arch=dict(embed_dims=32, depth=1, num_heads=2),
                   img_size=32, patch_size=8, num_frames=4, tubelet_size=2,
                   pos_embed_type=pos_embed_type, use_mean_pooling=False)
    clip = torch.randn(3, 3, 4, 32, 32)
    visible, _ = random_masks(3, 32, 8, seed=1)
    ids = torch.from_numpy(np.stack(visible))
    full = gather_tokens(vit.embed(clip), ids)
    selected = vit.embed(clip, ids)
    assert selected.shape == (3, 8, 32)
    torch.testing.assert_close(selected, full, atol=1e-5, rtol=1e-5)
    # a non-contiguous clip (channels-last) takes the same path
    strided = clip.permute(0, 2, 3, 4, 1).contiguous().permute(0, 4, 1, 2, 3)
    torch.testing.assert_close(vit.embed(strided, ids), selected)
    # same weight gradient as the convolution over every tubelet
    grads = []
    for tokens in (lambda: gather_tokens(vit.embed(clip), ids),
                   lambda: vit.embed(clip, ids)):
        vit.zero_grad()
        (tokens() * torch.linspace(-1, 1, 32)).sum().backward()
        grads.append(vit.patch_embed.projection.weight.grad.clone())
    torch.testing.assert_close(grads[1], grads[0], atol=1e-5, rtol=1e-5)
    # the encoder's visible-only forward is the one over gathered tokens
    expected, _ = vit.encode_tokens(vit.embed(clip), ids)
    torch.testing.assert_close(vit(clip, ids), expected, atol=1e-5,
                               rtol=1e-5)


def test_videomae_train_step_embeds_only_the_visible_tubelets(monkeypatch):
    model = tiny_model()
    embedded = refuse_full_patch_embedding(monkeypatch)
    assert torch.isfinite(loss_of(model))
    assert embedded == [(2, 2)]


def loss_of(model, seed=0):
    data = model.data_preprocessor(batch(seed=seed), True)
    return model(**data, mode='loss')['loss_pix']


@pytest.mark.parametrize('backend', ['eager', 'aot_eager'])
def test_compiled_encoder_and_decoder_match_eager_and_report(backend):
    reference = loss_of(tiny_model())
    model = tiny_model()
    records = [CompiledForward(model.backbone, 'backbone', backend=backend),
               CompiledForward(model.neck, 'neck', backend=backend)]
    assert [r.record['state'] for r in records] == ['pending'] * 2
    loss = loss_of(model)
    loss.backward()
    torch.testing.assert_close(loss, reference)
    for compiled in records:
        assert compiled.record['state'] == 'compiled'
        assert compiled.record['graphs'] >= 1
        assert compiled.record['graph_breaks'] == 0
        assert compiled.record['compile_kwargs']['dynamic'] is False
    assert model.backbone.blocks[0].attn.qkv.weight.grad is not None
    assert set(model.state_dict()) == set(tiny_model().state_dict())
    with pytest.raises(ValueError, match='compiled already'):
        CompiledForward(model.neck, 'neck', backend=backend)


def broken_backend(graph_module, example_inputs):
    raise OSError('no C++ compiler found')


def test_failed_compile_raises_naming_module_and_backend():
    model = tiny_model()
    CompiledForward(model.neck, 'neck', backend=broken_backend)
    with pytest.raises(RuntimeError,
                       match=r"neck \(backend 'broken_backend'\).*C\+\+"):
        loss_of(model)


def test_failed_compile_falls_back_to_eager_when_asked():
    reference = loss_of(tiny_model())
    model = tiny_model()
    compiled = CompiledForward(model.neck, 'neck', backend=broken_backend,
                               on_error='eager')
    torch.testing.assert_close(loss_of(model), reference)
    torch.testing.assert_close(loss_of(model), reference)
    assert compiled.record['state'] == 'eager_fallback'
    assert 'no C++ compiler' in compiled.record['error']


def test_model_errors_are_not_taken_for_compile_errors():
    model = tiny_model()
    CompiledForward(model.backbone, 'backbone', backend='eager',
                    on_error='eager')
    with pytest.raises(ValueError, match='not divisible'):
        model.backbone(torch.randn(1, 3, 3, 32, 32),
                       torch.zeros(1, 2, dtype=torch.long))


def test_compile_hook_compiles_named_modules_and_records():
    model = tiny_model()
    hub = MessageHub.get_instance('test_compile_hook')
    runner = SimpleNamespace(model=model, message_hub=hub)
    hook = CompileModulesHook(backend='eager')
    hook.before_train(runner)
    loss_of(model)
    hook.after_train_iter(runner, 0)
    records = hub.get_info('compile')
    assert [(r['module'], r['state']) for r in records] == [
        ('backbone', 'compiled'), ('neck', 'compiled')]
    with pytest.raises(ValueError, match=r"no submodule \['decoder'\].*"
                       r"'backbone'"):
        CompileModulesHook(modules=['decoder']).before_train(
            SimpleNamespace(model=tiny_model()))
    with pytest.raises(ValueError, match='on_error'):
        CompileModulesHook(on_error='ignore')


def test_bf16_wrapper_on_meta_parameters_checks_at_the_first_step():
    with torch.device('meta'):
        model = MODELS.build(tiny_videomae())
    wrapper = build_optim_wrapper(
        model, dict(type='BF16OptimWrapper', optimizer=ADAMW))
    assert wrapper.device_type is None  # e.g. tests/test_configs.py
    with pytest.raises(RuntimeError, match="no autocast.*'meta'"):
        with wrapper.optim_context(model):
            pass


def test_bf16_wrapper_clips_fsdp_gradients_by_the_global_norm(monkeypatch):
    """Under FSDP the wrapper calls the model's clip_grad_norm_ (the norm
    over all shards); FSDP itself needs a GPU, so a stand-in is used."""
    from mmvmae.engine.optim_wrappers import bf16_optim_wrapper

    class ShardedStandIn(torch.nn.Linear):
        calls = []

        def clip_grad_norm_(self, **kwargs):
            self.calls.append(kwargs)
            return torch.tensor(3.)

    monkeypatch.setattr(bf16_optim_wrapper, 'FullyShardedDataParallel',
                        ShardedStandIn)
    model = ShardedStandIn(4, 2)
    wrapper = build_optim_wrapper(model, dict(
        type='BF16OptimWrapper', optimizer=ADAMW, clip_grad=dict(
            max_norm=0.02)))
    with wrapper.optim_context(model):
        loss = model(torch.ones(3, 4)).float().pow(2).sum()
    wrapper.update_params(loss)
    assert ShardedStandIn.calls == [dict(max_norm=0.02)]
    assert wrapper.message_hub.get_scalar('train/grad_norm').current() == 3.


def test_demo_trains_with_bf16_wrapper_and_compiled_modules(toy_data,
                                                            tmp_path):
    from conftest import demo_config
    from mmengine.runner import Runner
    cfg = demo_config(
        'videomae_vit-tiny-p8_1xb8-toy_pretrain', toy_data, str(tmp_path),
        **{
            'train_cfg.max_epochs': 1, 'train_dataloader.batch_size': 4,
            'optim_wrapper.type': 'FiniteLossBF16OptimWrapper',
            'custom_hooks': [dict(type='CompileModulesHook',
                                  backend='aot_eager')]
        })
    runner = Runner.from_cfg(cfg)
    runner.train()
    records = runner.message_hub.get_info('compile')
    assert [(r['module'], r['state']) for r in records] == [
        ('backbone', 'compiled'), ('neck', 'compiled')]
    assert runner.optim_wrapper.device_type == 'cpu'
    loss = runner.message_hub.get_scalar('train/loss_pix').current()
    assert np.isfinite(loss)
