"""NT-Xent (SimCLR) loss over two views of each sample, across ranks."""
import torch
import torch.nn.functional as F
from torch import nn

from mmvmae.registry import MODELS
from .info_nce_loss import distributed_world, full_precision, gather_rows


@MODELS.register_module()
class NTXentLoss(nn.Module):
    """SimCLR's normalized temperature-scaled cross-entropy over 2N views.

    ``a[i]`` and ``b[i]`` are two views of sample ``i``. The 2N embeddings
    are L2-normalized; each one is an anchor whose positive is the other
    view of its sample and whose negatives are the other 2N - 2 views (of
    every rank): ``-log(exp(s_ip / t) / sum_{k != i} exp(s_ik / t))``,
    averaged over all anchors (ViC-MAE, temperature 0.1). It differs from
    a two-way :class:`InfoNCELoss`, where an anchor's negatives come from
    the other view only.

    Under ``torch.distributed`` with ``gather=True`` the keys come from
    every rank (equal batch sizes per rank) and the gather passes gradients
    back to the rank that owns them. Each rank's loss is the mean over its
    own anchors, so the mean over ranks (what DDP's gradient averaging
    optimizes) equals the loss of the whole global batch in one process.

    Args:
        temperature (float): Temperature of the logits. Defaults to 0.1.
        gather (bool): Gather keys across ranks. Defaults to True.
        loss_weight (float): Scale of the loss. Defaults to 1.
    """

    def __init__(self,
                 temperature: float = 0.1,
                 gather: bool = True,
                 loss_weight: float = 1.) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'temperature must be positive, got '
                             f'{temperature}')
        self.temperature = temperature
        self.gather = gather
        self.loss_weight = loss_weight

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Loss of the two views ``a`` and ``b``, each (N, D), paired by
        row."""
        if a.dim() != 2 or a.shape != b.shape or a.shape[0] < 1:
            raise ValueError(f'NTXentLoss expects two (N, D) views paired '
                             f'by row, got a {tuple(a.shape)} and b '
                             f'{tuple(b.shape)}')
        rank, world = distributed_world()
        if not (self.gather and world > 1):
            rank = 0
        with full_precision(a.device):
            views = F.normalize(torch.cat([a, b]).float(), dim=-1)
            keys = gather_rows(views, with_grad=True) if (
                self.gather and world > 1) else views
            count = views.shape[0]
            rows = torch.arange(count, device=views.device)
            own = rows + rank * count
            positive = (rows + count // 2) % count + rank * count
            logits = views @ keys.t() / self.temperature
            is_self = own[:, None] == torch.arange(
                keys.shape[0], device=keys.device)[None]
            logits = logits.masked_fill(is_self, float('-inf'))
            loss = F.cross_entropy(logits, positive)
        return self.loss_weight * loss
