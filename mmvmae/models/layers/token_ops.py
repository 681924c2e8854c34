"""Index-based token selection (static shapes, no host sync)."""
import torch


def gather_tokens(x: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """Select tokens ``ids`` (B, K) from ``x`` (B or 1, N, C) -> (B, K, C)."""
    if x.shape[0] == 1 and ids.shape[0] != 1:
        x = x.expand(ids.shape[0], -1, -1)
    index = ids.unsqueeze(-1).expand(-1, -1, x.shape[-1])
    return torch.gather(x, 1, index)
