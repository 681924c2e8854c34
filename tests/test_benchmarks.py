"""Smoke tests of the benchmark tools (``tools/analysis``) and
:mod:`mmvmae.utils.benchmark`.

They run each tool's ``main`` with the tiniest settings and check the shape
of the JSON; they never assert a timing.
"""
import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import load_script

import mmvmae  # noqa: F401
from mmvmae.utils import benchmark


def load_tool(name: str):
    """Import ``tools/analysis/<name>.py`` as a module."""
    return load_script(f'tools/analysis/{name}.py')


def write_video(path: Path, frames: int = 40, width: int = 64,
                height: int = 48) -> None:
    """A small MPEG-4 video (PyAV) that decord can read."""
    av = pytest.importorskip('av')
    with av.open(str(path), 'w') as container:
        stream = container.add_stream('mpeg4', rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, \
            'yuv420p'
        for i in range(frames):
            img = np.full((height, width, 3), i * 5 % 255, np.uint8)
            img[:, i % width] = 255
            frame = av.VideoFrame.from_ndarray(img, format='rgb24')
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def test_attention_flops_do_not_depend_on_the_kernel():
    """CPU flash attention counts like the math path: backward = 2 x fwd."""
    get_flops = load_tool('get_flops')
    counts = []
    for device in ('cpu', 'meta'):
        q = torch.randn(2, 3, 16, 8, device=device, requires_grad=True)
        counts.append(
            get_flops.count_train_step_flops(
                lambda: F.scaled_dot_product_attention(q, q, q).sum()))
    forward = 2 * 2 * 2 * 3 * 16 * 16 * 8  # two matmuls, 2 FLOPs per MAC
    for count in counts:
        assert count['forward'] == forward
        assert count['backward'] == 2 * forward
    assert counts[0]['attention_backend'] == 'sdpa_cpu_flash'


def test_get_flops_table(capsys):
    get_flops = load_tool('get_flops')
    rows = get_flops.main(['--arch', 's', '--frames', '4', '--img-size',
                           '32'])
    row, = rows
    assert row['total'] == row['forward'] + row['backward'] > 0
    assert set(row['forward_by_module']) >= {'backbone', 'neck'}
    assert row['visible_tokens'] == 2 * (4 - int(0.9 * 4))
    assert 'videomae-s' in capsys.readouterr().out


CONFIGS = Path(__file__).resolve().parents[1] / 'configs'


@pytest.mark.parametrize('config, visible', [
    ('demo/amd_vit-tiny-p8_1xb8-toy_pretrain.py', 4 * (64 - int(.9 * 64))),
    ('demo/adamae_vit-tiny-p8_1xb8-toy_pretrain.py', 'model-side'),
])
def test_get_flops_of_methods_that_bypass_the_encoder_forward(
        config, visible):
    """AMD (teacher index keys) and AdaMAE (model-side masks) count; their
    encoders, run through ``embed`` / ``encode_tokens``, are credited."""
    get_flops = load_tool('get_flops')
    row = get_flops.config_flops(str(CONFIGS / config))
    assert row['visible_tokens'] == visible
    assert row['forward_by_module']['backbone'] > 0
    assert row['forward_by_module']['neck'] > 0
    assert sum(row['forward_by_module'].values()) <= row['forward']


def test_benchmark_pretrain_smoke(tmp_path):
    tool = load_tool('benchmark_pretrain')
    out = tmp_path / 'pretrain.json'
    report = tool.main([
        '--device', 'cpu', '--arch', 's', '--depth', '1', '--decoder-depth',
        '1', '--frames', '4', '--img-size', '32', '--batch-size', '1',
        '--iters', '1', '--warmup', '0', '--rounds', '1', '--out', str(out)
    ])
    assert json.loads(out.read_text()) == json.loads(json.dumps(report))
    assert {'args', 'resolved_args', 'environment', 'results'} <= set(report)
    assert report['environment']['versions']['torch'] == torch.__version__
    assert report['environment']['versions']['transformers']
    result, = report['results']
    models = result['models']
    assert set(models) == {'mmvmae', 'hf'}
    for res in models.values():
        assert res['clips_per_s'] > 0
        assert res['step_time_s']['p50'] > 0
        assert res['step_time_s']['p90'] >= res['step_time_s']['p50']
        assert res['peak_memory']['kind'] == 'cpu_peak_rss_delta'
        assert res['flops_per_step'] > 0
        assert res['mfu'] is None  # no peak for a CPU
        assert res['loss_finite']
        assert res['what_ran']['attention'] == 'sdpa'
    # Same configuration and parameters; mmvmae embeds only the visible
    # tubelets: 6 of 8 masked, forward + weight gradient of a 1536 -> 384
    # projection each fewer. Its loss sums each of the 6 predicted tokens'
    # 1536 squared errors as a dot product (bmm): 2 x 1536 FLOPs forward
    # and twice that backward each, which the counter sees as matmuls.
    assert models['mmvmae']['params'] == models['hf']['params']
    assert (models['hf']['flops_per_step'] -
            models['mmvmae']['flops_per_step']) == (4 * 6 * 1536 * 384 -
                                                    6 * 3 * 2 * 1536)
    assert result['ratio_mmvmae_over_hf']['clips_per_s'] > 0


@pytest.mark.skipif(torch.cuda.is_available(), reason='CUDA is present')
def test_benchmark_pretrain_absent_device():
    tool = load_tool('benchmark_pretrain')
    with pytest.raises(RuntimeError, match='CUDA is not available'):
        tool.main(['--device', 'cuda'])


def test_benchmark_loader_smoke(tmp_path):
    video = tmp_path / 'synthetic.mp4'
    write_video(video)
    tool = load_tool('benchmark_loader')
    out = tmp_path / 'loader.json'
    report = tool.main([
        '--no-fixtures', '--videos', str(video), '--iters', '2', '--warmup',
        '0', '--rounds', '1', '--clip-len', '4', '--frame-interval', '2',
        '--img-size', '32', '--out', str(out)
    ])
    assert json.loads(out.read_text())['results'] == report['results']
    assert report['videos'][0]['frames'] == 40
    result, = report['results']
    assert result['num_workers'] == 0
    for res in result['datasets'].values():
        assert res['clips_per_s_per_worker'] > 0
        assert res['clips_per_item'] == [4]
        assert res['clip_shape'] == [1, 3, 4, 32, 32]
        assert res['decode_s_per_item'] > 0
    ratio = result['ratio_mmvmae_over_mmaction2']
    assert ratio['clips_per_s_per_worker'] > 0
    # RepeatAugDataset decodes all 4 x 4 indices, mmvmae the unique ones.
    assert result['datasets']['mmaction2']['decoded_frames_per_item'] == 16
    assert result['datasets']['mmvmae']['decoded_frames_per_item'] <= 16


def test_loader_datasets_draw_the_same_clips(tmp_path):
    """Same seeds: same clips, crops and masks; only decoding differs."""
    video = tmp_path / 'synthetic.mp4'
    write_video(video)
    ann_file = tmp_path / 'list.txt'
    ann_file.write_text(f'{video} 0\n')
    tool = load_tool('benchmark_loader')
    args = tool.parse_args(['--clip-len', '4', '--frame-interval', '2',
                            '--img-size', '32'])
    items = {}
    for name in tool.DATASET_NAMES:
        dataset, decoder = tool.build_dataset(name, str(ann_file), args)
        random.seed(0)
        np.random.seed(0)
        items[name] = [dataset[0], dataset[0]]
        assert decoder.calls == 2
    for item_a, item_b in zip(*items.values()):
        assert len(item_a) == len(item_b) == 4
        for clip_a, clip_b in zip(item_a, item_b):
            assert torch.equal(clip_a['inputs'], clip_b['inputs'])
            np.testing.assert_array_equal(
                clip_a['data_samples'].visible_ids,
                clip_b['data_samples'].visible_ids)


def test_benchmark_loader_no_videos():
    tool = load_tool('benchmark_loader')
    with pytest.raises(FileNotFoundError, match='no videos'):
        tool.find_videos([], fixtures=False)
    with pytest.raises(FileNotFoundError, match='not found'):
        tool.find_videos(['/nonexistent/video.mp4'], fixtures=False)


def test_resolve_device_and_summary():
    assert benchmark.resolve_device('cpu') == torch.device('cpu')
    with pytest.raises(ValueError, match='cpu'):
        benchmark.resolve_device('mps')
    summary = benchmark.summarize_steps([1., 2., 3., 4.], 10., 2)
    assert summary['clips_per_s'] == pytest.approx(0.8)
    assert summary['step_time_s']['p50'] == pytest.approx(2.5)
    assert benchmark.mfu(None, 1., 1e12) is None
    assert benchmark.mfu(1e12, 2., 4e12) == pytest.approx(0.5)


def test_peak_memory_cpu():
    with benchmark.PeakMemory(torch.device('cpu')) as memory:
        block = torch.ones(64 * 2**20 // 4)  # 64 MiB, touched
        del block
    result = memory.result
    assert result['kind'] == 'cpu_peak_rss_delta'
    if result['exact']:
        assert result['peak_mib'] > 32


def test_estimate_peak_memory_counts_exact_bytes():
    """A bias-free 256x256 linear layer with AdamW, batch 8: the parameter
    is 256 KiB, AdamW keeps two moments of it, and the peak holds the
    weight, both moments and at least the input and output (8 KiB each)."""

    def build():
        model = torch.nn.Linear(256, 256, bias=False)
        optimizer = torch.optim.AdamW(model.parameters(), foreach=False)
        return (model, optimizer), model, optimizer

    def step(trainee):
        model, optimizer = trainee
        model(torch.ones(8, 256)).square().sum().backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    result = benchmark.estimate_peak_memory(build, step)
    parts = result['by_category']
    assert result['kind'] == 'fake_tensor_memtracker_estimate'
    assert parts['parameter'] == 256 * 256 * 4
    assert parts['optstate'] >= 2 * 256 * 256 * 4
    assert result['peak_bytes'] >= 3 * 256 * 256 * 4 + 2 * 8 * 256 * 4
    assert result['peak_bytes'] == sum(parts.values())


def test_benchmark_reencode_smoke(tmp_path):
    """Three variants made with resize_videos.py's code: the sizes and
    keyframe intervals asked for, each loaded with the same pipeline."""
    video = tmp_path / 'synthetic.mp4'
    write_video(video, frames=40)
    tool = load_tool('benchmark_reencode')
    report = tool.main([
        '--no-fixtures', '--videos', str(video), '--source-short-side', '96',
        '--source-gop', '40', '--short-side', '64', '--gop', '8',
        '--iters', '1', '--warmup', '0', '--rounds', '1', '--clip-len', '4',
        '--frame-interval', '2', '--img-size', '32', '--work-dir',
        str(tmp_path / 'work'), '--out', str(tmp_path / 'reencode.json')
    ])
    results = report['results']
    assert list(results) == ['source', 'recipe', '320_long_gop']
    files = {name: r['files'] for name, r in results.items()}
    assert files['source']['sizes'] == ['128x96']
    assert files['recipe']['sizes'] == files['320_long_gop']['sizes'] == [
        '86x64']
    assert all(f['frames'] == 40 for f in files.values())
    # a keyframe at least every 8 frames (x264 may add scene cuts)
    assert files['recipe']['keyframes'] >= 5
    for result in results.values():
        assert result['clips'] == 4
        ms = result['ms_per_clip']
        assert ms['decode'] > 0 and ms['crop_resize'] > 0
        assert ms['total'] == pytest.approx(
            ms['decode'] + ms['crop_resize'] + ms['rest'])
    assert set(report['ratio_over_source']) == {'recipe', '320_long_gop'}
    assert json.loads((tmp_path / 'reencode.json').read_text())[
        'results'].keys() == results.keys()


def test_benchmark_reencode_names_unreadable_video(tmp_path):
    """A video that cannot be re-encoded stops the run, named by its path."""
    bad = tmp_path / 'bad.mp4'
    bad.write_text('not a video')
    tool = load_tool('benchmark_reencode')
    with pytest.raises(RuntimeError, match=re.escape(str(bad))):
        tool.main(['--no-fixtures', '--videos', str(bad), '--work-dir',
                   str(tmp_path / 'work')])
