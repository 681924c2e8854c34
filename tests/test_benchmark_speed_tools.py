"""Smoke tests of ``tools/analysis/benchmark_finetune.py`` and
``benchmark_data_wait.py``: they run on tiny settings and write the
expected keys; no timing is asserted."""
import json

import pytest
import torch
from conftest import DEMO
from test_benchmarks import load_tool


def test_benchmark_finetune_smoke(tmp_path):
    tool = load_tool('benchmark_finetune')
    out = tmp_path / 'finetune.json'
    report = tool.main([
        '--device', 'cpu', '--arch', 's', '--depth', '1', '--frames', '4',
        '--img-size', '32', '--iters', '1', '--warmup', '0', '--rounds',
        '2', '--num-classes', '5', '--out', str(out)
    ])
    assert json.loads(out.read_text()) == json.loads(json.dumps(report))
    assert {'args', 'resolved_args', 'environment', 'results'} <= set(report)
    assert report['environment']['versions']['mmaction'] is not None
    result, = report['results']
    assert result['parity_max_abs_diff'] < 1e-4  # the same weights
    models = result['models']
    assert set(models) == {'mmvmae', 'mmaction2'}
    for res in models.values():
        assert res['clips_per_s'] > 0
        assert len(res['clips_per_s_per_round']) == 2
        assert res['step_time_s']['p90'] >= res['step_time_s']['p50'] > 0
        assert res['flops_per_step'] > 0
        assert res['loss_finite']
    assert models['mmvmae']['what_ran']['attention_kernel'].startswith(
        'sdpa')
    assert models['mmaction2']['what_ran']['attention_kernel'] == 'eager'
    assert models['mmvmae']['params'] == models['mmaction2']['params']
    ratio = result['ratio_mmvmae_over_mmaction2']
    assert ratio['flops_per_step'] == 1
    assert ratio['clips_per_s'] > 0


def test_benchmark_finetune_records_compile(tmp_path):
    tool = load_tool('benchmark_finetune')
    report = tool.main([
        '--device', 'cpu', '--arch', 's', '--depth', '1', '--frames', '4',
        '--img-size', '32', '--iters', '1', '--warmup', '0', '--rounds',
        '1', '--models', 'mmvmae', '--compile', '--compile-backend',
        'aot_eager'
    ])
    record = report['results'][0]['models']['mmvmae']['what_ran']['compile']
    assert record['module'] == 'mmvmae.backbone'
    assert record['state'] == 'compiled' and record['graphs'] >= 1
    assert record['backend'] == 'aot_eager'
    assert record['compile_kwargs']['dynamic'] is False
    assert record['error'] is None


@pytest.mark.skipif(torch.cuda.is_available(), reason='CUDA is present')
def test_benchmark_finetune_absent_device():
    with pytest.raises(RuntimeError, match='CUDA is not available'):
        load_tool('benchmark_finetune').main(['--device', 'cuda'])


def test_benchmark_data_wait_smoke(toy_data, tmp_path):
    tool = load_tool('benchmark_data_wait')
    out = tmp_path / 'wait.json'
    report = tool.main([
        f'{DEMO}/videomae_vit-tiny-p8_1xb8-toy_pretrain.py', '--workers', '0',
        '1', '--iters', '2', '--warmup', '1', '--out', str(out),
        '--cfg-options', 'train_dataloader.batch_size=2',
        f'train_dataloader.dataset.ann_file={toy_data}/pretrain_list.txt',
        f'train_dataloader.dataset.data_prefix.video={toy_data}/videos'
    ])
    assert json.loads(out.read_text()) == json.loads(json.dumps(report))
    assert [r['num_workers'] for r in report['results']] == [0, 1]
    for result in report['results']:
        assert 0 < result['data_time_share'] < 1
        assert result['clips_per_iter'] == 2 * 2  # batch x num_repeats
        assert result['timed_iters'] == 2
        assert result['clips_per_s'] > 0
        assert result['iteration_time_s']['p50'] > 0
        assert result['data_time_s']['max'] >= result['data_time_s']['p50']
        assert result['model_device'] == 'cpu'


def test_benchmark_memory_smoke(tmp_path):
    tool = load_tool('benchmark_memory')
    out = tmp_path / 'memory.json'
    report = tool.main([
        '--device', 'cpu', '--arch', 's', '--depth', '1', '--decoder-depth',
        '1', '--frames', '4', '--img-size', '32', '--iters', '1',
        '--warmup', '0', '--out', str(out)
    ])
    assert json.loads(out.read_text()) == json.loads(json.dumps(report))
    rows = report['results']
    assert [(r['decoder_masking'], r['with_cp']) for r in rows] == [
        ('v1', False), ('v1', True), ('v2', False), ('v2', True)]
    # 8 tokens, 2 visible: v1 decodes the 6 masked, v2 half of the 8
    assert [r['decoder_tokens'] for r in rows] == [6, 6, 4, 4]
    for row in rows:
        assert row['oom'] is False
        assert row['peak_memory']['kind'] == 'cpu_peak_rss_delta'
        assert row['step_time_s']['p50'] > 0 and row['clips_per_s'] > 0


def test_benchmark_memory_estimate_orders_the_variants(tmp_path):
    """Counted on fake tensors: checkpointing and dual masking each lower
    the peak, and the parameter bytes are the model's (fp32)."""
    tool = load_tool('benchmark_memory')
    report = tool.main([
        '--estimate', '--arch', 's', '--depth', '2', '--decoder-depth', '2',
        '--frames', '16', '--img-size', '96', '--batch-size', '64',
        '--dtype', 'bf16', '--out', str(tmp_path / 'estimate.json')
    ])
    assert report['resolved_args']['device'] == 'cpu'
    peaks = {(r['decoder_masking'], r['with_cp']): r['peak_memory']
             for r in report['results']}
    assert all(p['kind'] == 'fake_tensor_memtracker_estimate'
               for p in peaks.values())
    total = {key: p['peak_bytes'] for key, p in peaks.items()}
    assert total[('v1', True)] < total[('v1', False)]
    assert total[('v2', False)] < total[('v1', False)]
    assert total[('v2', True)] < total[('v2', False)]
    params = {p['by_category']['parameter'] for p in peaks.values()}
    assert len(params) == 1 and params.pop() % 4 == 0


def test_benchmark_memory_estimate_refuses_a_device():
    tool = load_tool('benchmark_memory')
    with pytest.raises(SystemExit, match='fake CPU tensors'):
        tool.main(['--estimate', '--device', 'cuda'])
