"""Token masks carried by data samples, stacked into index tensors."""
from dataclasses import dataclass
from typing import Optional, Sequence

import torch

MASK_KEYS = ('visible_ids', 'masked_ids', 'decoder_ids')


def stack_ids(data_samples: Sequence, key: str,
           device: torch.device) -> torch.Tensor:
    values = [sample.get(key) for sample in data_samples]
    if any(value is None for value in values):
        raise KeyError(
            f'data sample lacks {key!r}: add a mask generator (e.g. '
            "TubeMaskGenerator) to the pipeline and list the key in "
            "PackActionInputs(algorithm_keys=...)")
    lengths = {len(value) for value in values}
    if len(lengths) != 1:
        raise ValueError(f'{key!r} has different lengths {sorted(lengths)} '
                         'across the batch; mask generators must give equal '
                         'counts')
    stacked = torch.stack([torch.as_tensor(v) for v in values])
    return stacked.to(device, torch.long, non_blocking=True)


@dataclass
class TokenMasks:
    """Which tokens the encoder sees and which the decoder predicts.

    Attributes:
        visible_ids (Tensor): (B, K) encoder-visible tokens.
        masked_ids (Tensor): (B, M) encoder-masked tokens.
        query_ids (Tensor): (B, Q) tokens the decoder predicts.
        query_weight (Tensor, optional): (B, Q) loss weight per query: 1 for
            encoder-masked queries, 0 for visible ones. None when every
            query is encoder-masked (VideoMAE V1, MAE-ST).
    """
    visible_ids: torch.Tensor
    masked_ids: torch.Tensor
    query_ids: torch.Tensor
    query_weight: Optional[torch.Tensor] = None

    @classmethod
    def from_data_samples(cls, data_samples: Sequence,
                          device: torch.device) -> 'TokenMasks':
        """Stack the mask fields of a batch of ``ActionDataSample``."""
        visible = stack_ids(data_samples, 'visible_ids', device)
        masked = stack_ids(data_samples, 'masked_ids', device)
        if data_samples[0].get('decoder_ids') is None:
            return cls(visible, masked, masked)
        queries = stack_ids(data_samples, 'decoder_ids', device)
        is_masked = torch.zeros(
            visible.shape[0], visible.shape[1] + masked.shape[1],
            dtype=torch.bool, device=device)
        is_masked.scatter_(1, masked, True)
        return cls(visible, masked, queries, torch.gather(is_masked, 1,
                                                          queries).float())
