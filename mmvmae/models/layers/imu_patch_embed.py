"""Per-device 1-D patch tokens of IMU signals."""
import torch
from torch import nn

from mmvmae.registry import MODELS


def check_imu_shape(x: torch.Tensor, in_channels: int) -> None:
    """Raise if ``x`` is not (B, devices, ``in_channels``, samples)."""
    if x.dim() != 4 or x.shape[2] != in_channels:
        raise ValueError('expected IMU signals of shape (B, devices, '
                         f'{in_channels}, samples), got {tuple(x.shape)}')


@MODELS.register_module()
class IMUPatchEmbed(nn.Module):
    """Cut each device's signal into ``patch_size``-sample patches.

    One ``Conv1d`` (kernel = stride = ``patch_size``, named ``projection``)
    is shared by the devices (stacked along the batch, as EVI-MAE does);
    the encoder's device embedding tells them apart.

    Args:
        in_channels (int): Channels per device (3 for 3-axis
            acceleration). Defaults to 3.
        embed_dims (int): Token width. Defaults to 768.
        patch_size (int): Samples per token. Defaults to 16.
    """

    def __init__(self,
                 in_channels: int = 3,
                 embed_dims: int = 768,
                 patch_size: int = 16) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.embed_dims = embed_dims
        self.patch_size = patch_size
        self.projection = nn.Conv1d(
            in_channels, embed_dims, patch_size, stride=patch_size)

    def num_tokens(self, num_samples: int) -> int:
        """Tokens per device for windows of ``num_samples``.

        Raises:
            ValueError: If ``num_samples`` is not divisible by the patch.
        """
        if num_samples % self.patch_size:
            raise ValueError(f'{num_samples} IMU samples are not divisible '
                             f'by patch_size={self.patch_size}')
        return num_samples // self.patch_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, D, C, S) signals -> (B, D, S / patch, E) tokens in time
        order."""
        check_imu_shape(x, self.in_channels)
        b, d, _, s = x.shape
        self.num_tokens(s)
        tokens = self.projection(x.flatten(0, 1)).transpose(1, 2)
        return tokens.reshape(b, d, -1, self.embed_dims)
