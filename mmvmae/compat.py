"""Shims for the pinned stack (ARCHITECTURE section 2), applied once.

Every shim names the upstream problem it works around and is tested in
``tests/test_compat.py`` (that the problem exists and that the shim fixes
it). ``apply_all()`` runs when :mod:`mmvmae` is imported, before any
mmaction2 model module is imported.
"""
import importlib.util
import sys
import types

_APPLIED = False


def stub_missing_drn() -> bool:
    """Insert a stub for ``mmaction.models.localizers.drn`` (mmaction2#2714).

    The PyPI wheel of mmaction2 1.2.0 lacks the ``drn`` folder (it has no
    ``__init__.py`` and ``find_packages`` drops it), so ``import
    mmaction.models`` fails. The stub registers nothing; DRN (a grounding
    model mmvmae does not use) stays unavailable.

    Returns:
        bool: True if the stub was inserted, False if the package exists.
    """
    name = 'mmaction.models.localizers.drn'
    if name in sys.modules or _module_exists(name):
        return False
    package = types.ModuleType(name)
    package.__path__ = []
    module = types.ModuleType(name + '.drn')

    class DRN:  # noqa: D101 - placeholder named in mmaction's __all__
        def __init__(self, *args, **kwargs):
            raise ImportError(
                'DRN is missing from the mmaction2 1.2.0 wheel '
                '(mmaction2#2714); install mmaction2 from source to use it.')

    module.DRN = DRN
    package.drn = module
    sys.modules[name] = package
    sys.modules[name + '.drn'] = module
    return True


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def disable_vindlu() -> None:
    """Skip mmaction2's VindLU package when importing ``mmaction.models``.

    VindLU imports ``timm`` (not a dependency) when transformers is present
    and breaks with transformers>=5. mmvmae ships its own text encoders, so
    ``WITH_MULTIMODAL`` is turned off before ``mmaction.models`` is imported.
    """
    from mmaction.utils import dependency
    dependency.WITH_MULTIMODAL = False


# Globals an mmengine 0.10.7 checkpoint (meta + message hub) needs, found
# with ``torch.serialization.get_unsafe_globals_in_checkpoint``. Each is a
# data container, never a callable that runs code. ``builtins.getattr`` is
# deliberately absent: mmvmae makes what it saves plain instead.
def _checkpoint_safe_globals() -> list:
    import numpy as np
    from mmengine.logging.history_buffer import HistoryBuffer
    multiarray = np._core.multiarray
    dtypes = [type(np.dtype(name)) for name in (
        'float64', 'float32', 'float16', 'int64', 'int32', 'int16', 'int8',
        'uint8', 'bool')]
    return [
        HistoryBuffer, np.ndarray, np.dtype, multiarray.scalar,
        multiarray._reconstruct, *dtypes
    ]


def _history_buffer_state(self) -> dict:
    """Plain pickled state of a ``HistoryBuffer``: numbers in lists only."""
    return dict(
        max_length=self.max_length,
        log_history=self._log_history.tolist(),
        count_history=self._count_history.tolist())


def _set_history_buffer_state(self, state: dict) -> None:
    import numpy as np
    self.max_length = state['max_length']
    self._log_history = np.array(state['log_history'])
    self._count_history = np.array(state['count_history'])
    # __init__ is skipped on unpickling: register min / max / current /
    # mean, or a resumed run fails at its first `statistics('mean')`.
    self._set_default_statistics()


def plain_history_buffers() -> None:
    """Pickle mmengine's ``HistoryBuffer`` as plain lists of numbers.

    A ``HistoryBuffer`` in the message hub of a checkpoint otherwise pickles
    numpy arrays and, once a custom statistic is registered, bound methods
    (``builtins.getattr``), which ``weights_only=True`` rightly refuses.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    HistoryBuffer.__getstate__ = _history_buffer_state
    HistoryBuffer.__setstate__ = _set_history_buffer_state


def allow_mmengine_checkpoints() -> None:
    """Let ``torch.load(weights_only=True)`` read mmengine checkpoints.

    torch>=2.6 loads with ``weights_only=True`` by default and mmengine
    0.10.7 (mmengine#1655) saves ``HistoryBuffer`` objects and numpy values
    in its checkpoints, so ``--resume`` and ``tools/test.py`` fail. Instead of
    turning ``weights_only`` off (which would execute pickled code from any
    downloaded file) the few data classes above are allow-listed.
    """
    import torch
    torch.serialization.add_safe_globals(_checkpoint_safe_globals())


def cpu_distributed() -> None:
    """Let ``--launcher pytorch`` run on machines without GPUs (gloo).

    mmengine 0.10.7 calls ``torch.cuda.set_device`` in its torchrun
    initialization and passes ``device_ids=[LOCAL_RANK]`` to DDP even for a
    CPU model; both fail without CUDA. Without CUDA the shim skips
    ``set_device``, replaces the GPU-only ``nccl`` backend by ``gloo`` (with
    a warning), and builds DDP with ``device_ids=None``.
    """
    import torch
    from mmengine.dist import utils as dist_utils
    from mmengine.model import MMDistributedDataParallel
    if getattr(dist_utils._init_dist_pytorch, 'mmvmae_shim', False):
        return
    init_with_cuda = dist_utils._init_dist_pytorch
    ddp_init = MMDistributedDataParallel.__init__

    def init_dist_pytorch(backend='nccl', init_backend='torch', **kwargs):
        if torch.cuda.is_available():
            return init_with_cuda(backend, init_backend, **kwargs)
        if backend == 'nccl':
            import warnings
            warnings.warn('no CUDA device: using the gloo backend instead of '
                          'nccl for CPU distributed training')
            backend = 'gloo'
        torch.distributed.init_process_group(backend=backend, **kwargs)

    def init_ddp(self, module, device_ids=None, **kwargs):
        if next(module.parameters()).device.type == 'cpu':
            device_ids = None
        ddp_init(self, module=module, device_ids=device_ids, **kwargs)

    init_dist_pytorch.mmvmae_shim = True
    dist_utils._init_dist_pytorch = init_dist_pytorch
    MMDistributedDataParallel.__init__ = init_ddp


def check_pkg_resources() -> None:
    """Fail early with a clear message when ``pkg_resources`` is missing.

    mmengine 0.10.7 imports ``pkg_resources`` to resolve ``mmaction::``
    configs; setuptools>=82 removed it (fixed only on mmengine main, #1676).
    """
    if importlib.util.find_spec('pkg_resources') is None:
        raise ImportError(
            'mmengine 0.10.7 needs pkg_resources, which setuptools>=82 '
            "removed: pip install 'setuptools<82'")


def numpy_nan_alias() -> bool:
    """Restore ``np.NAN`` (removed in NumPy 2.0) for mmaction2's AVA metric.

    mmaction2 1.2.0's ``ava_evaluation/metrics.py``
    (``compute_average_precision``) returns ``np.NAN`` for a class of the
    label map with detections but no ground truth (an AVA subset, custom
    classes, small validation sets); with NumPy 2 ``AVAMetric`` then fails
    with ``AttributeError``. The alias is the same float as ``np.nan``.

    Returns:
        bool: True if the alias was added, False if numpy has it.
    """
    import numpy as np
    if 'NAN' in vars(np):
        return False
    np.NAN = np.nan
    return True


def apply_all() -> None:
    """Apply every shim once (idempotent)."""
    global _APPLIED
    if _APPLIED:
        return
    check_pkg_resources()
    stub_missing_drn()
    disable_vindlu()
    plain_history_buffers()
    cpu_distributed()
    allow_mmengine_checkpoints()
    numpy_nan_alias()
    _APPLIED = True
