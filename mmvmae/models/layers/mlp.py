"""Feed-forward network laid out like mmcv's ``FFN`` (same state-dict keys)."""
import torch
from torch import nn


class Mlp(nn.Module):
    """Linear -> GELU -> Dropout -> Linear -> Dropout.

    Parameters are named ``layers.0.0`` (fc1) and ``layers.1`` (fc2), as in
    mmcv's ``FFN`` used by mmaction2's ``VisionTransformer``.

    Args:
        embed_dims (int): Input and output width.
        hidden_dims (int): Hidden width.
        drop (float): Dropout probability. Defaults to 0.
    """

    def __init__(self, embed_dims: int, hidden_dims: int,
                 drop: float = 0.) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Sequential(
                nn.Linear(embed_dims, hidden_dims), nn.GELU(),
                nn.Dropout(drop)), nn.Linear(hidden_dims, embed_dims),
            nn.Dropout(drop))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the MLP token-wise."""
        return self.layers(x)
