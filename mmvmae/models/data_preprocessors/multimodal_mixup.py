"""Mixup of every modality of a batch with the same weights."""
from typing import Dict, List, Tuple

import torch
import torch.nn.functional as F
from torch.distributions import Beta

from mmvmae.registry import MODELS


@MODELS.register_module()
class MultiModalMixup:
    """Mix samples of a batch in every modality at once, and their labels.

    Each sample is mixed, with probability ``prob``, with a partner drawn by
    a random permutation of the batch, at a weight ``lam ~ Beta(alpha,
    alpha)`` of its own: every input (video, audio, ...) becomes
    ``lam * x + (1 - lam) * x[partner]`` and the label
    ``lam * y + (1 - lam) * y[partner]``. A sample that is not mixed keeps
    ``lam = 1``. Single labels become one-hot, multi-labels (a multi-hot
    ``gt_label`` of ``num_classes`` values) are mixed as they are.

    CAV-MAE's fine-tuning mixes audio and frame of a sample with a random
    other sample with probability 0.5 at ``lam ~ Beta(10, 10)``
    (``alpha=10, prob=0.5``); AV-MAE mixes whole batches at
    ``Beta(0.5, 0.5)`` (``alpha=0.5, prob=1``, here with a weight per
    sample).

    Args:
        num_classes (int): Classes of the labels.
        alpha (float): Beta distribution parameter. Defaults to 0.5.
        prob (float): Probability that a sample is mixed. Defaults to 1.
    """

    def __init__(self,
                 num_classes: int,
                 alpha: float = 0.5,
                 prob: float = 1.) -> None:
        if num_classes < 1 or alpha <= 0 or not 0 <= prob <= 1:
            raise ValueError(
                f'MultiModalMixup needs num_classes >= 1, alpha > 0 and prob '
                f'in [0, 1], got {num_classes}, {alpha}, {prob}')
        self.num_classes = num_classes
        self.beta = Beta(float(alpha), float(alpha))
        self.prob = prob

    def labels(self, data_samples: List) -> torch.Tensor:
        """(B, num_classes) float labels: one-hot or multi-hot."""
        labels = [sample.gt_label.float().reshape(-1) for sample in
                  data_samples]
        if all(label.numel() == 1 for label in labels):
            index = torch.stack(labels).long().reshape(-1)
            return F.one_hot(index, self.num_classes).float()
        sizes = {label.numel() for label in labels}
        if sizes != {self.num_classes}:
            raise ValueError(
                f'labels must be single class indices or {self.num_classes}'
                f'-value multi-hot vectors, got sizes {sorted(sizes)}')
        return torch.stack(labels)

    def __call__(self, inputs: Dict[str, torch.Tensor],
                 data_samples: List) -> Tuple[Dict[str, torch.Tensor], List]:
        """Mixed inputs (same keys and shapes) and samples with soft
        ``gt_label``."""
        batch = len(data_samples)
        for name, x in inputs.items():
            if x.shape[0] != batch:
                raise ValueError(f'input {name!r} has {x.shape[0]} rows for '
                                 f'{batch} samples')
        labels = self.labels(data_samples)
        partner = torch.randperm(batch)
        lam = self.beta.sample((batch, ))
        lam = torch.where(torch.rand(batch) < self.prob, lam,
                          torch.ones_like(lam))
        mixed = {}
        for name, x in inputs.items():
            weight = lam.to(x.device, x.dtype).reshape(-1,
                                                      *[1] * (x.dim() - 1))
            mixed[name] = weight * x + (1 - weight) * x[partner.to(x.device)]
        lam, partner = lam.to(labels.device), partner.to(labels.device)
        soft = lam[:, None] * labels + (1 - lam[:, None]) * labels[partner]
        for sample, label in zip(data_samples, soft):
            sample.set_gt_label(label)
        return mixed, data_samples
