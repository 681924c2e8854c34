"""Timing, memory and metadata helpers shared by the benchmark tools.

The tools in ``tools/analysis/`` measure; nothing here asserts a timing.
Everything is plain Python / torch so that the tools can import it without
building a runner.

- :func:`resolve_device` turns ``'cpu'`` / ``'cuda'`` / None into a device
  and fails clearly when the one asked for is absent.
- :func:`time_steps` times a step function after warm-up (CUDA events per
  step and one synchronization at the end on GPU, ``perf_counter`` on CPU)
  and :func:`summarize_steps` turns the times into clips/s and percentiles.
- :class:`PeakMemory` measures the peak memory of a block: CUDA
  ``max_memory_allocated`` on GPU, the peak resident set size above the
  starting one (``resource.getrusage``) on CPU.
  :func:`estimate_peak_memory` counts the tensor bytes of training steps
  on fake tensors instead (no compute, any model size on any machine).
- :func:`peak_flops` looks the device's dense peak up in :data:`PEAK_TFLOPS`
  and :func:`mfu` divides achieved FLOP/s by it.
- :func:`environment_metadata` records versions and the device,
  :func:`write_json` saves a result and :func:`finish_report` stamps the
  end load average into a report and saves it.
- :func:`setup_device` applies a tool's per-device defaults,
  :func:`abba_rounds` runs the compared models in ABBA order, and
  :func:`add_device_argument`, :func:`add_clip_arguments` and
  :func:`add_depth_arguments` add the options the tools share.
"""
import ctypes
import argparse
import datetime
import gc
import importlib.util
import json
import os
import os.path as osp
import platform
import resource
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

# Dense (no sparsity) peak TFLOP/s per GPU model and math mode, from the
# vendor data sheets. Keys are matched against
# ``torch.cuda.get_device_name()`` in order, so the more specific names come
# first. 'tf32' applies to fp32 matmuls when
# ``torch.backends.cuda.matmul.allow_tf32`` is on, 'fp32' when it is off
# (PyTorch's default).
PEAK_TFLOPS: Dict[str, Dict[str, float]] = {
    'H200 NVL': dict(bf16=835.0, tf32=417.5, fp32=60.0),
    'H200': dict(bf16=989.4, tf32=494.7, fp32=66.9),
    'H100 NVL': dict(bf16=835.0, tf32=417.5, fp32=60.0),
    'H100 PCIe': dict(bf16=756.0, tf32=378.0, fp32=51.2),
    'H100': dict(bf16=989.4, tf32=494.7, fp32=66.9),  # SXM5
    'A100': dict(bf16=312.0, tf32=156.0, fp32=19.5),
}


def load_sibling_tool(tool_file: str, name: str):
    """Import ``<name>.py`` beside ``tool_file`` (tools are not a package),
    once per process."""
    module_name = f'_mmvmae_tools_{name}'
    if module_name in sys.modules:
        return sys.modules[module_name]
    path = osp.join(osp.dirname(osp.abspath(tool_file)), f'{name}.py')
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def resolve_device(name: Optional[str] = None) -> torch.device:
    """The device to benchmark on.

    Args:
        name (str, optional): ``'cpu'``, ``'cuda'`` or ``'cuda:N'``. None
            picks ``'cuda'`` when available, else ``'cpu'``.

    Raises:
        RuntimeError: If a CUDA device is asked for but absent.
        ValueError: If the name is neither CPU nor CUDA.
    """
    if name is None:
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    device = torch.device(name)
    if device.type == 'cuda':
        if not torch.cuda.is_available():
            raise RuntimeError(
                f'--device {name} was asked for but CUDA is not available '
                f'(torch {torch.__version__}, built for CUDA '
                f'{torch.version.cuda}, {torch.cuda.device_count()} '
                'visible devices); use --device cpu')
        index = device.index or 0
        if index >= torch.cuda.device_count():
            raise RuntimeError(
                f'--device {name} was asked for but only '
                f'{torch.cuda.device_count()} CUDA device(s) are visible')
        return torch.device('cuda', index)
    if device.type != 'cpu':
        raise ValueError(f"device must be 'cpu' or 'cuda', got {name!r}")
    return device


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work (no-op on CPU)."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_steps(step: Callable[[], object],
               iters: int,
               warmup: int,
               device: torch.device) -> Tuple[List[float], float]:
    """Run ``warmup`` untimed then ``iters`` timed calls of ``step``.

    On CUDA each step is bracketed by CUDA events and the host synchronizes
    once after the loop, so the timing adds no synchronization of its own
    (the step may still have some). On CPU each step is timed with
    :func:`time.perf_counter`.

    Args:
        step (callable): One training step.
        iters (int): Timed steps, at least 1.
        warmup (int): Untimed steps before them.
        device (torch.device): Where the step runs.

    Returns:
        tuple: Per-step times in seconds and the wall time of all timed
        steps in seconds.
    """
    if iters < 1:
        raise ValueError(f'iters must be >= 1, got {iters}')
    for _ in range(warmup):
        step()
    synchronize(device)
    if device.type == 'cuda':
        events = [(torch.cuda.Event(enable_timing=True),
                   torch.cuda.Event(enable_timing=True))
                  for _ in range(iters)]
        start = time.perf_counter()
        for begin, end in events:
            begin.record()
            step()
            end.record()
        synchronize(device)
        wall = time.perf_counter() - start
        times = [begin.elapsed_time(end) / 1e3 for begin, end in events]
        return times, wall
    times = []
    start = time.perf_counter()
    for _ in range(iters):
        begin = time.perf_counter()
        step()
        times.append(time.perf_counter() - begin)
    return times, time.perf_counter() - start


def summarize_steps(times: Sequence[float], wall: float,
                    items_per_step: int) -> Dict[str, float]:
    """Throughput and step-time statistics.

    Args:
        times (Sequence[float]): Per-step seconds from :func:`time_steps`.
        wall (float): Wall seconds of all the steps.
        items_per_step (int): Clips per step (the batch size).

    Returns:
        dict: ``clips_per_s`` (items over wall time) and ``step_time_s``
        with ``p50``, ``p90``, ``mean``, ``min`` and ``max``.
    """
    arr = np.asarray(times, dtype=np.float64)
    return dict(
        clips_per_s=items_per_step * len(arr) / wall,
        step_time_s=dict(
            p50=float(np.percentile(arr, 50)),
            p90=float(np.percentile(arr, 90)),
            mean=float(arr.mean()),
            min=float(arr.min()),
            max=float(arr.max())),
        timed_steps=len(arr),
        wall_s=wall)


def current_rss() -> int:
    """Resident set size of this process in bytes (Linux; else 0)."""
    try:
        with open('/proc/self/statm') as f:
            pages = int(f.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return pages * os.sysconf('SC_PAGE_SIZE')


def peak_rss() -> int:
    """Peak resident set size of this process in bytes (``resource``)."""
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is in KiB on Linux and in bytes on macOS.
    return maxrss if sys.platform == 'darwin' else maxrss * 1024


def reset_peak_rss() -> bool:
    """Reset the kernel's RSS high-water mark to the current RSS.

    Writing ``5`` to ``/proc/self/clear_refs`` (Linux >= 4.0) resets the
    mark that ``getrusage`` reports as ``ru_maxrss``, so the peak of a later
    block can be read on its own.

    Returns:
        bool: Whether the reset was possible.
    """
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        return False
    return True


def release_memory(device: Optional[torch.device] = None) -> None:
    """Free what the last model left: garbage, CUDA cache, malloc arenas."""
    gc.collect()
    if device is not None and device.type == 'cuda':
        torch.cuda.empty_cache()
    try:  # glibc keeps freed heap pages resident unless trimmed
        ctypes.CDLL('libc.so.6').malloc_trim(0)
    except (OSError, AttributeError):
        pass


class PeakMemory:
    """Peak memory of the code inside a ``with`` block.

    On CUDA: ``torch.cuda.max_memory_allocated`` after resetting the peak
    statistics at entry (absolute: parameters, gradients, optimizer state
    and activations allocated in or before the block). On CPU: the process'
    peak RSS from ``resource.getrusage`` minus the RSS at entry, with the
    kernel's high-water mark reset at entry when Linux allows it (else the
    delta is of the process-wide peak and may read low; ``exact`` says
    which).

    Args:
        device (torch.device): The device the block runs on.
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.result: Dict[str, object] = {}

    def __enter__(self) -> 'PeakMemory':
        release_memory(self.device)
        if self.device.type == 'cuda':
            synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._start = torch.cuda.memory_allocated(self.device)
        else:
            self._exact = reset_peak_rss()
            self._start = current_rss()
            self._start_peak = peak_rss()
        return self

    def __exit__(self, *exc) -> None:
        if self.device.type == 'cuda':
            synchronize(self.device)
            peak = torch.cuda.max_memory_allocated(self.device)
            self.result = dict(
                kind='cuda_max_memory_allocated',
                peak_bytes=peak,
                peak_mib=peak / 2**20,
                start_bytes=self._start,
                reserved_peak_bytes=torch.cuda.max_memory_reserved(
                    self.device))
        else:
            peak = peak_rss()
            base = self._start if self._exact else self._start_peak
            delta = max(0, peak - base)
            self.result = dict(
                kind='cpu_peak_rss_delta',
                peak_bytes=delta,
                peak_mib=delta / 2**20,
                process_peak_rss_bytes=peak,
                start_rss_bytes=self._start,
                exact=self._exact)


def estimate_peak_memory(build: Callable[[], tuple],
                         step: Callable[[object], object],
                         steps: int = 2) -> Dict[str, object]:
    """Peak tensor memory of training steps, counted on fake tensors.

    ``build`` and the steps run under ``FakeTensorMode``: every tensor has
    its shape, dtype and CPU kernels' choices (e.g. SDPA's flash kernel) but
    no storage, so nothing is computed. PyTorch's ``MemTracker`` adds up
    the bytes of the live tensors after every operation (parameters,
    buffers, gradients, AdamW state, activations saved for backward,
    temporaries) and keeps the peak. Two steps are counted by default: the
    second one has the optimizer state. It is the analogue of CUDA's
    ``max_memory_allocated`` without the allocator's rounding and
    fragmentation, the CUDA context and kernel workspaces.

    Args:
        build (callable): Builds and returns ``(trainee, model,
            optimizer)``; called inside the fake mode, so the model must be
            built there and not moved with ``.to()``.
        step (callable): One training step of the trainee.
        steps (int): Steps to count.

    Returns:
        dict: ``kind``, ``peak_bytes``, ``peak_mib`` and ``by_category``
        (bytes per category at the peak).
    """
    from torch._subclasses.fake_tensor import FakeTensorMode
    from torch.distributed._tools.mem_tracker import MemTracker
    with FakeTensorMode(allow_non_fake_inputs=True):
        trainee, model, optimizer = build()
        tracker = MemTracker()
        tracker.track_external(model, optimizer)
        with tracker:
            for _ in range(steps):
                step(trainee)
                tracker.reset_mod_stats()
        (peak, ) = tracker.get_tracker_snapshot('peak').values()
    total = peak.pop('Total')
    return dict(
        kind='fake_tensor_memtracker_estimate',
        peak_bytes=int(total),
        peak_mib=total / 2**20,
        by_category={str(key.value).lower().replace(' ', '_'): int(value)
                     for key, value in peak.items()})


def peak_flops(device: torch.device, dtype: str) -> Tuple[Optional[float],
                                                          Optional[str]]:
    """Dense peak FLOP/s of ``device`` for ``dtype`` and the table row used.

    Args:
        device (torch.device): The device.
        dtype (str): ``'bf16'`` or ``'fp32'``; fp32 reads the TF32 peak when
            ``torch.backends.cuda.matmul.allow_tf32`` is on.

    Returns:
        tuple: ``(flops_per_s, row)``; ``(None, None)`` on CPU or for a GPU
        missing from :data:`PEAK_TFLOPS`.
    """
    if device.type != 'cuda':
        return None, None
    name = torch.cuda.get_device_name(device)
    mode = dtype
    if dtype == 'fp32' and torch.backends.cuda.matmul.allow_tf32:
        mode = 'tf32'
    for key, peaks in PEAK_TFLOPS.items():
        if key in name:
            return peaks[mode] * 1e12, f'{key} {mode}'
    return None, None


def mfu(flops_per_step: Optional[float], steps_per_s: float,
        peak: Optional[float]) -> Optional[float]:
    """Model FLOPs utilisation, or None without a FLOP count or a peak."""
    if not flops_per_step or not peak:
        return None
    return flops_per_step * steps_per_s / peak


def _version(module: str) -> Optional[str]:
    try:
        return __import__(module).__version__
    except Exception:  # noqa: BLE001 - missing or broken: reported as None
        return None


def _cpu_name() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_commit() -> Optional[str]:
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    try:
        out = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=root,
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def environment_metadata(device: torch.device) -> Dict[str, object]:
    """Versions, host and device of a benchmark run.

    Args:
        device (torch.device): The device benchmarked.

    Returns:
        dict: JSON-serializable metadata.
    """
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count()
    meta = dict(
        timestamp=datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec='seconds'),
        python=platform.python_version(),
        platform=platform.platform(),
        mmvmae_git_commit=_git_commit(),
        versions={
            name: _version(name)
            for name in ('torch', 'transformers', 'mmengine', 'mmcv',
                         'mmaction', 'mmvmae', 'decord', 'numpy')
        },
        torch_cuda_build=torch.version.cuda,
        cpu=dict(
            name=_cpu_name(),
            logical_cores=os.cpu_count(),
            usable_cores=affinity,
            torch_threads=torch.get_num_threads(),
            omp_num_threads=os.environ.get('OMP_NUM_THREADS')),
        device=dict(type=device.type, name=_cpu_name()),
        load_average=list(os.getloadavg()) if hasattr(os, 'getloadavg')
        else None)
    if device.type == 'cuda':
        props = torch.cuda.get_device_properties(device)
        meta['device'] = dict(
            type='cuda',
            index=device.index,
            name=props.name,
            capability=f'{props.major}.{props.minor}',
            total_memory_bytes=props.total_memory,
            multiprocessors=props.multi_processor_count,
            count=torch.cuda.device_count())
        meta['cudnn'] = torch.backends.cudnn.version()
        meta['matmul_allow_tf32'] = torch.backends.cuda.matmul.allow_tf32
        meta['cudnn_allow_tf32'] = torch.backends.cudnn.allow_tf32
        meta['sdpa_backends_enabled'] = dict(
            flash=torch.backends.cuda.flash_sdp_enabled(),
            mem_efficient=torch.backends.cuda.mem_efficient_sdp_enabled(),
            cudnn=torch.backends.cuda.cudnn_sdp_enabled(),
            math=torch.backends.cuda.math_sdp_enabled())
    return meta


def write_json(path: str, data: dict) -> None:
    """Write ``data`` as indented JSON, creating the folder if needed."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with open(path, 'w') as f:
        json.dump(data, f, indent=2, sort_keys=False)
        f.write('\n')


def finish_report(report: dict, out: Optional[str]) -> dict:
    """Stamp the load average at the end into ``report['environment']``,
    write the report to ``out`` (if given, saying so) and return it."""
    if hasattr(os, 'getloadavg'):
        report['environment']['load_average_end'] = list(os.getloadavg())
    if out:
        write_json(out, report)
        print(f'wrote {out}')
    return report


def setup_device(args: argparse.Namespace,
                 device_defaults: Dict[str, dict]) -> torch.device:
    """Resolve ``args.device`` and prepare the process for it.

    Fills every option of ``device_defaults[device.type]`` that ``args``
    leaves None, sets ``torch.set_num_threads(args.threads)`` when threads
    are given and, for a tool with a ``--tf32`` option, switches TF32
    matmuls and convolutions on CUDA to ``args.tf32``.

    Returns:
        torch.device: The device, from :func:`resolve_device`.
    """
    device = resolve_device(args.device)
    for key, value in device_defaults[device.type].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.threads:
        torch.set_num_threads(args.threads)
    if device.type == 'cuda' and hasattr(args, 'tf32'):
        torch.backends.cuda.matmul.allow_tf32 = args.tf32
        torch.backends.cudnn.allow_tf32 = args.tf32
    return device



def abba_rounds(names: Sequence[str], rounds: int,
                run: Callable[[str, int], dict],
                describe: Callable[[int, str, dict], str]
                ) -> Dict[str, List[dict]]:
    """Run every name once per round, in ABBA order (``names``, then
    reversed, ...) so that a drift of machine load hits all of them alike.

    Args:
        names (Sequence[str]): What is compared, in first-round order.
        rounds (int): Rounds.
        run (callable): ``run(name, round_index)`` measures one name.
        describe (callable): ``describe(round_index, name, result)``, the
            line printed after each measurement.

    Returns:
        dict: Each name's results in round order, keyed in ``names`` order.
    """
    results: Dict[str, List[dict]] = {name: [] for name in names}
    for index in range(rounds):
        order = names if index % 2 == 0 else names[::-1]
        for name in order:
            result = run(name, index)
            results[name].append(result)
            print(describe(index, name, result), flush=True)
    return results


def add_device_argument(parser: argparse.ArgumentParser) -> None:
    """``--device`` (default: CUDA if available)."""
    parser.add_argument('--device', default=None,
                        help="'cpu' or 'cuda' (default: cuda if available)")


STEP_OPTION_HELP = dict(
    batch_size='clips per step',
    iters='timed steps',
    warmup='untimed steps first',
    rounds='build-warm-up-time rounds per model, in ABBA order; step '
    'times are pooled')


def add_step_arguments(parser: argparse.ArgumentParser,
                       device_defaults: Dict[str, dict]) -> None:
    """``--batch-size``, ``--iters``, ``--warmup``, ``--rounds`` (those
    that ``device_defaults`` sets) and ``--threads``, each defaulting per
    device (filled in by :func:`setup_device`, quoted in the help)."""
    cpu, cuda = device_defaults['cpu'], device_defaults['cuda']
    for key, text in STEP_OPTION_HELP.items():
        if key in cpu:
            parser.add_argument(
                '--' + key.replace('_', '-'), type=int,
                help=f'{text} (CPU {cpu[key]}, CUDA {cuda[key]})')
    parser.add_argument(
        '--threads', type=int,
        help=f"torch.set_num_threads (CPU {cpu['threads']}; 0 keeps "
        "torch's default)")


def add_dtype_argument(parser: argparse.ArgumentParser,
                       note: str = 'fp32 weights') -> None:
    """``--dtype fp32|bf16`` (bf16: autocast; ``note`` ends the help)."""
    parser.add_argument('--dtype', choices=('fp32', 'bf16'), default='fp32',
                        help=f'bf16: torch.autocast(bfloat16), {note}')


def add_optimizer_speed_arguments(parser: argparse.ArgumentParser) -> None:
    """``--fused-adamw`` and ``--tf32``."""
    parser.add_argument('--fused-adamw', action='store_true',
                        help='AdamW(fused=True) instead of foreach')
    parser.add_argument('--tf32', action='store_true',
                        help='allow TF32 matmuls on CUDA (an MFU then uses '
                        'the TF32 peak for fp32)')


def add_clip_arguments(parser: argparse.ArgumentParser) -> None:
    """``--frames``, ``--img-size``, ``--patch-size``, ``--tubelet-size``
    with VideoMAE's clip (16 x 224^2, patch 16, tubelet 2) as defaults."""
    parser.add_argument('--frames', type=int, default=16)
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--patch-size', type=int, default=16)
    parser.add_argument('--tubelet-size', type=int, default=2)


def add_depth_arguments(parser: argparse.ArgumentParser) -> None:
    """``--depth`` and ``--decoder-depth``: smaller VideoMAE encoders and
    decoders for smoke tests."""
    parser.add_argument('--depth', type=int,
                        help='override the encoder depth (smoke tests)')
    parser.add_argument('--decoder-depth', type=int,
                        help='override the decoder depth (smoke tests)')
