"""InfoNCE between paired features of two modalities, across ranks."""
import contextlib
import math
from typing import Optional, Tuple

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.distributed.nn.functional import all_gather as all_gather_grad

from mmvmae.registry import MODELS

DIRECTIONS = ('a2b', 'b2a')


def distributed_world() -> Tuple[int, int]:
    """(rank, world size) of the default group; (0, 1) without one."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def gather_rows(x: torch.Tensor, with_grad: bool) -> torch.Tensor:
    """Rows of ``x`` from every rank, in rank order (equal sizes).

    With ``with_grad`` the gradient flows back to every rank's ``x``: the
    backward pass sums the gradients all ranks computed for each row.
    """
    if with_grad:
        return torch.cat(all_gather_grad(x.contiguous()))
    parts = [torch.empty_like(x) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, x.contiguous())
    return torch.cat(parts)


def full_precision(device: torch.device):
    """Context that turns autocast off where the device has one."""
    if torch.amp.is_autocast_available(device.type):
        return torch.autocast(device.type, enabled=False)
    return contextlib.nullcontext()


@MODELS.register_module()
class InfoNCELoss(nn.Module):
    """Contrastive loss of paired features ``a[i] <-> b[i]`` (CLIP style).

    Features are L2-normalized; the logits are cosine similarities divided
    by the temperature, and each anchor's positive is its pair among all
    keys of the batch. ``symmetric`` averages the ``a -> b`` and ``b -> a``
    cross-entropies (UMT, InternVideo, IMU2CLIP); otherwise only
    ``direction`` is used (CAV-MAE and EVI-MAE: one way, temperature 0.05).

    A learnable temperature is stored as its log (``log_temperature``) and
    clamped into ``temperature_range`` before each use, in place, as CLIP
    and UMT clamp theirs; keep it out of weight decay
    (``paramwise_cfg=dict(custom_keys={'log_temperature':
    dict(decay_mult=0.)})``).

    ``weight`` (B,) marks present samples (a missing caption, audio track
    or IMU device): a sample with weight 0 is neither an anchor nor a
    negative; positive weights scale each anchor's term, and the loss is
    their weighted mean. A batch without any present sample gives a zero
    loss that still reaches the inputs (so DDP sees every parameter).

    Under ``torch.distributed`` with ``gather=True``, keys come from every
    rank (equal batch sizes per rank) and the gather passes gradients back
    to the rank that owns them. Each rank's anchors are its own rows and
    its loss is scaled so that the mean over ranks (what DDP's gradient
    averaging optimizes) equals the loss of the whole global batch in one
    process.

    Args:
        temperature (float): Initial (or fixed) temperature. Defaults to
            0.07.
        learnable_temperature (bool): Learn the temperature. Defaults to
            False.
        temperature_range (tuple[float, float]): Clamp range of the
            temperature. Defaults to (0.001, 0.5).
        symmetric (bool): Average both directions. Defaults to True.
        direction (str): ``'a2b'`` (anchors ``a``, keys ``b``) or ``'b2a'``
            when not symmetric. Defaults to ``'a2b'``.
        gather (bool): Gather keys across ranks. Defaults to True.
        loss_weight (float): Scale of the loss. Defaults to 1.
    """

    def __init__(self,
                 temperature: float = 0.07,
                 learnable_temperature: bool = False,
                 temperature_range: Tuple[float, float] = (0.001, 0.5),
                 symmetric: bool = True,
                 direction: str = 'a2b',
                 gather: bool = True,
                 loss_weight: float = 1.) -> None:
        super().__init__()
        low, high = temperature_range
        if not 0 < low <= temperature <= high:
            raise ValueError(
                f'temperature {temperature} must lie in temperature_range '
                f'{tuple(temperature_range)} with 0 < low <= high')
        if direction not in DIRECTIONS:
            raise ValueError(f'direction must be one of {DIRECTIONS}, got '
                             f'{direction!r}')
        self.log_range = (math.log(low), math.log(high))
        self.learnable_temperature = learnable_temperature
        if learnable_temperature:
            self.log_temperature = nn.Parameter(
                torch.tensor(math.log(temperature)))
        else:
            self.fixed_temperature = temperature
        self.symmetric = symmetric
        self.direction = direction
        self.gather = gather
        self.loss_weight = loss_weight

    def temperature(self) -> torch.Tensor:
        """The temperature in use; a learnable one is clamped first."""
        if not self.learnable_temperature:
            return torch.tensor(self.fixed_temperature)
        with torch.no_grad():
            self.log_temperature.clamp_(*self.log_range)
        return self.log_temperature.exp()

    def forward(self,
                a: torch.Tensor,
                b: torch.Tensor,
                weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Loss of paired features ``a`` (B, Da) and ``b`` (B, Db), Da = Db.

        Args:
            weight (Tensor, optional): (B,) non-negative presence weights;
                0 excludes a sample. None counts every sample.
        """
        if a.dim() != 2 or a.shape != b.shape:
            raise ValueError(f'InfoNCELoss expects paired (B, D) features, '
                             f'got a {tuple(a.shape)} and b '
                             f'{tuple(b.shape)}')
        if weight is None:
            weight = a.new_ones(a.shape[0])
        elif weight.shape != a.shape[:1]:
            raise ValueError(f'weight must have shape ({a.shape[0]},), got '
                             f'{tuple(weight.shape)}')
        rank, world = distributed_world()
        gathering = self.gather and world > 1
        with full_precision(a.device):
            a = F.normalize(a.float(), dim=-1)
            b = F.normalize(b.float(), dim=-1)
            weight = weight.float()
            keys_a, keys_b, weights = a, b, weight
            if gathering:
                keys_a = gather_rows(a, with_grad=True)
                keys_b = gather_rows(b, with_grad=True)
                weights = gather_rows(weight, with_grad=False)
            else:
                rank, world = 0, 1
            temperature = self.temperature().to(a.device)
            pairs = {'a2b': (a, keys_b), 'b2a': (b, keys_a)}
            used = DIRECTIONS if self.symmetric else (self.direction, )
            terms = [
                self.one_way(*pairs[name], weight, weights, rank, temperature)
                for name in used
            ]
            loss = sum(terms) / len(terms) * world
        return self.loss_weight * loss

    @staticmethod
    def one_way(anchors: torch.Tensor, keys: torch.Tensor,
                weight: torch.Tensor, key_weights: torch.Tensor, rank: int,
                temperature: torch.Tensor) -> torch.Tensor:
        """Weighted cross-entropy sum of this rank's anchors against all
        keys, divided by the total weight of all ranks' anchors."""
        num = anchors.shape[0]
        targets = torch.arange(num, device=anchors.device) + rank * num
        logits = anchors @ keys.t() / temperature
        is_target = targets[:, None] == torch.arange(
            keys.shape[0], device=keys.device)[None]
        absent_key = (key_weights <= 0)[None]
        logits = logits.masked_fill(absent_key & ~is_target, float('-inf'))
        errors = F.cross_entropy(logits, targets, reduction='none')
        return (errors * weight).sum() / key_weights.sum().clamp(min=1e-12)
