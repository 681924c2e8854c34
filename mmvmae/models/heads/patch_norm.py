"""Per-patch standardization of reconstruction targets (MAE's norm_pix)."""
import torch


def standardize_patches(x: torch.Tensor, eps: float) -> torch.Tensor:
    """``(x - mean) / sqrt(var_unbiased + eps)`` over the last dimension."""
    mean = x.mean(dim=-1, keepdim=True)
    var = x.var(dim=-1, unbiased=True, keepdim=True)
    return (x - mean) / (var + eps)**.5
