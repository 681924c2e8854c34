"""bfloat16 autocast without a gradient scaler."""
from contextlib import contextmanager
from typing import Optional

import torch
from mmengine.optim import OptimWrapper
from torch import nn
from torch.distributed.fsdp import FullyShardedDataParallel

from mmvmae.registry import OPTIM_WRAPPERS
from .finite_loss import FiniteLossMixin


def check_bf16_autocast(device_type: str) -> None:
    """Fail clearly when ``device_type`` cannot autocast to bfloat16.

    Args:
        device_type (str): ``'cuda'``, ``'cpu'``, ...

    Raises:
        RuntimeError: If the device is absent, has no native bfloat16 (CUDA
            before Ampere, which only emulates it slowly) or has no
            autocast.
    """
    if device_type == 'cuda':
        if not torch.cuda.is_available():
            raise RuntimeError(
                "BF16OptimWrapper: device_type='cuda' but CUDA is not "
                'available; leave device_type unset to autocast where the '
                'parameters are')
        if not torch.cuda.is_bf16_supported(including_emulation=False):
            name = torch.cuda.get_device_name()
            major, minor = torch.cuda.get_device_capability()
            raise RuntimeError(
                f'BF16OptimWrapper: {name} (compute capability '
                f'{major}.{minor}) has no native bfloat16 (needs 8.0, '
                "Ampere, or newer); use type='AmpOptimWrapper' with "
                "dtype='float16' (a GradScaler) instead")
        return
    if not torch.amp.is_autocast_available(device_type):
        raise RuntimeError(
            f'BF16OptimWrapper: torch {torch.__version__} has no autocast '
            f'for device type {device_type!r}')


@OPTIM_WRAPPERS.register_module()
class BF16OptimWrapper(OptimWrapper):
    """Mixed precision with ``torch.autocast(dtype=torch.bfloat16)`` and no
    ``GradScaler``.

    bfloat16 has fp32's exponent range, so gradients need no loss scaling.
    mmengine's ``AmpOptimWrapper(dtype='bfloat16')`` still builds a
    ``GradScaler``, whose ``step`` reads ``found_inf`` on the host every
    iteration (a synchronization) and whose scale only costs time here.
    This wrapper only enters autocast around the forward (data
    preprocessor, model and loss: ``optim_context``); backward and the
    optimizer step are those of ``OptimWrapper``. Parameters, gradients and
    optimizer state stay fp32. Checkpoints hold no ``loss_scaler`` and
    resume into any ``OptimWrapper``.

    Under FSDP (mmengine's ``FSDPStrategy``) gradient clipping uses
    ``FullyShardedDataParallel.clip_grad_norm_``, the norm over all shards;
    ``OptimWrapper`` would clip each rank's shard by its own norm.

    Works on CUDA (compute capability >= 8.0) and on CPU (autocast bf16;
    fast only on CPUs with AVX512-BF16 / AMX).

    Args:
        device_type (str, optional): Autocast device type. None (default)
            takes the device of the optimizer's parameters (checked at
            build; for parameters still on the meta device, at the first
            step).
        **kwargs: ``optimizer``, ``clip_grad``, ``accumulative_counts`` of
            ``OptimWrapper``.

    Raises:
        RuntimeError: If the device cannot autocast to bfloat16 (see
            :func:`check_bf16_autocast`).
    """

    def __init__(self, device_type: Optional[str] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if device_type is None and self._param_device_type() != 'meta':
            device_type = self._param_device_type()
        if device_type is not None:
            check_bf16_autocast(device_type)
        self.device_type = device_type
        self._sharded_model = None

    def _param_device_type(self) -> str:
        for group in self.optimizer.param_groups:
            for param in group['params']:
                return param.device.type
        raise ValueError('BF16OptimWrapper: the optimizer has no parameters '
                         'to take the device type from; set device_type')

    @contextmanager
    def optim_context(self, model: nn.Module):
        """``OptimWrapper``'s context (no gradient sync while accumulating)
        plus bfloat16 autocast."""
        if self.device_type is None:
            self.device_type = self._param_device_type()
            check_bf16_autocast(self.device_type)
        if isinstance(model, FullyShardedDataParallel):
            self._sharded_model = model
        with super().optim_context(model), torch.autocast(
                self.device_type, dtype=torch.bfloat16):
            yield

    def _clip_grad(self) -> None:
        """Clip as ``OptimWrapper``, or by the norm over all FSDP shards."""
        if self._sharded_model is None or self.clip_func is not \
                torch.nn.utils.clip_grad_norm_:
            super()._clip_grad()
            return
        norm = self._sharded_model.clip_grad_norm_(**self.clip_grad_kwargs)
        self.message_hub.update_scalar(f'train/{self.grad_name}',
                                       float(norm))


@OPTIM_WRAPPERS.register_module()
class FiniteLossBF16OptimWrapper(FiniteLossMixin, BF16OptimWrapper):
    """:class:`BF16OptimWrapper` with the non-finite loss check of
    :class:`FiniteLossMixin`."""
