"""Optimizer wrappers that stop (or skip) on a NaN / inf loss."""
from typing import Dict, Optional

import torch
import torch.distributed as dist
from mmengine.logging import MessageHub, print_log
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from mmvmae.registry import OPTIM_WRAPPERS

POLICIES = ('raise', 'skip')


class FiniteLossMixin:
    """Check the loss before backward; raise or skip the step if it is not
    finite.

    The check costs one host sync per step (mmengine's logging already makes
    one). Under DDP every rank takes the same decision (all-reduce), so a
    skipped step never leaves ranks out of step.

    Args:
        nonfinite (str): ``'raise'`` (default) stops training with an error
            naming the iteration; ``'skip'`` drops the step, counts it and
            logs a warning.
        max_skips (int): With ``'skip'``, raise once more steps than this
            were skipped. Defaults to 100.
    """

    def __init__(self, *args, nonfinite: str = 'raise', max_skips: int = 100,
                 **kwargs) -> None:
        if nonfinite not in POLICIES:
            raise ValueError(f'nonfinite must be one of {POLICIES}, got '
                             f'{nonfinite!r}')
        super().__init__(*args, **kwargs)
        self.nonfinite = nonfinite
        self.max_skips = max_skips
        self.skipped_steps = 0

    @staticmethod
    def all_finite(loss: torch.Tensor) -> bool:
        """Whether the loss is finite on every rank."""
        finite = torch.isfinite(loss.detach()).all().float()
        if dist.is_available() and dist.is_initialized():
            dist.all_reduce(finite, op=dist.ReduceOp.MIN)
        return bool(finite.item())

    def update_params(self,
                      loss: torch.Tensor,
                      step_kwargs: Optional[Dict] = None,
                      zero_kwargs: Optional[Dict] = None) -> None:
        """Update parameters unless the loss is NaN / inf."""
        if self.all_finite(loss):
            super().update_params(loss, step_kwargs, zero_kwargs)
            return
        iteration = MessageHub.get_current_instance().get_info('iter', -1)
        message = (f'non-finite loss ({loss.detach().float().item()}) at '
                   f'iteration {iteration + 1}')
        if self.nonfinite == 'raise':
            raise FloatingPointError(
                f'{message}; lower the learning rate, check the data, or set '
                "optim_wrapper.nonfinite='skip' to skip such steps")
        self.skipped_steps += 1
        print_log(
            f'{message}: step skipped ({self.skipped_steps} so far)',
            logger='current', level=30)
        if self.skipped_steps > self.max_skips:
            raise FloatingPointError(
                f'{self.skipped_steps} steps with a non-finite loss exceed '
                f'max_skips={self.max_skips} (last: {message})')


@OPTIM_WRAPPERS.register_module()
class FiniteLossOptimWrapper(FiniteLossMixin, OptimWrapper):
    """``OptimWrapper`` with the non-finite loss check of
    :class:`FiniteLossMixin`."""


@OPTIM_WRAPPERS.register_module()
class FiniteLossAmpOptimWrapper(FiniteLossMixin, AmpOptimWrapper):
    """``AmpOptimWrapper`` with the non-finite loss check of
    :class:`FiniteLossMixin`."""
