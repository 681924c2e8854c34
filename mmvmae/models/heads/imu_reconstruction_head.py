"""Per-device patch targets of IMU windows and the loss on them."""
from typing import Optional

import torch
from mmengine.model import BaseModule

from mmvmae.registry import MODELS
from ..layers import gather_tokens
from .patch_norm import standardize_patches

DEVICE_FUSIONS = ('mean', 'concat')


@MODELS.register_module()
class IMUReconstructionHead(BaseModule):
    """Reconstruction target of each device's IMU patches, and its loss.

    The target is what the encoder's tokenizer cuts into tokens: raw
    signals (B, D, C, S) for ``IMUPatchEmbed`` (patches of ``patch_size``
    samples, values laid out (C, p)) or normalized spectrogram images
    (B, D, C, F, T) from ``IMUSpectrogramEmbed.spectrogram`` (``patch_size``
    squares in (freq, time) row-major token order, values (C, p, p)).
    With ``norm_pix`` each device's patch is standardized,
    ``(x - mean) / sqrt(var_unbiased + eps)``.

    How predictions map to patches follows the encoder's
    ``device_fusion``: ``'mean'`` (EVI-MAE, one token per patch position)
    predicts every device's patch at once, ``D * V`` values device-major;
    ``'concat'`` (token ``d * n + j`` is device ``d``'s patch ``j``)
    predicts ``V`` values. Each (token, device) patch is weighted by the
    device's presence, so absent devices never enter the loss, and the loss
    is the mean over the batch's present device patches (0 when none is
    present).

    Args:
        patch_size (int): Patch length (and height for spectrograms), as
            the tokenizer's. Defaults to 16.
        norm_pix (bool): Standardize each device patch. Defaults to True.
        eps (float): Epsilon of the standardization. Defaults to 1e-6.
        loss (dict): Loss config. Defaults to ``PixelReconstructionLoss``.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 patch_size: int = 16,
                 norm_pix: bool = True,
                 eps: float = 1e-6,
                 loss: dict = dict(type='PixelReconstructionLoss'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.patch_size = patch_size
        self.norm_pix = norm_pix
        self.eps = eps
        self.loss_module = MODELS.build(loss)

    def patchify(self, x: torch.Tensor) -> torch.Tensor:
        """Signals (B, D, C, S) or images (B, D, C, F, T) -> per-device
        patches (B, D, n, V)."""
        p = self.patch_size
        if x.dim() == 4:
            b, d, c, s = x.shape
            if s % p:
                raise ValueError(f'{s} IMU samples are not divisible by '
                                 f'patch_size={p}')
            x = x.reshape(b, d, c, s // p, p).permute(0, 1, 3, 2, 4)
            return x.reshape(b, d, s // p, c * p)
        if x.dim() == 5:
            b, d, c, f, t = x.shape
            if f % p or t % p:
                raise ValueError(f'IMU spectrogram of {f} x {t} is not '
                                 f'divisible by patch_size={p}')
            x = x.reshape(b, d, c, f // p, p, t // p, p)
            x = x.permute(0, 1, 3, 5, 2, 4, 6)
            return x.reshape(b, d, (f // p) * (t // p), c * p * p)
        raise ValueError('expected IMU signals (B, D, C, S) or spectrogram '
                         f'images (B, D, C, F, T), got {tuple(x.shape)}')

    def construct_target(self, x: torch.Tensor) -> torch.Tensor:
        """Per-device target patches (B, D, n, V)."""
        x = self.patchify(x.float())
        if not self.norm_pix:
            return x
        return standardize_patches(x, self.eps)

    def loss(self,
             pred: torch.Tensor,
             x: torch.Tensor,
             query_ids: torch.Tensor,
             presence: torch.Tensor,
             device_fusion: str = 'mean') -> torch.Tensor:
        """Loss of the predicted query tokens.

        Args:
            pred (Tensor): (B, Q, D * V) for ``'mean'``, (B, Q, V) for
                ``'concat'``.
            x (Tensor): Signals or spectrogram images (see
                :meth:`patchify`).
            query_ids (Tensor): (B, Q) predicted token indices.
            presence (Tensor): (B, D) bool, False for absent devices.
            device_fusion (str): The encoder's, ``'mean'`` or ``'concat'``.
        """
        if device_fusion not in DEVICE_FUSIONS:
            raise ValueError(f'device_fusion must be one of '
                             f'{DEVICE_FUSIONS}, got {device_fusion!r}')
        target = self.construct_target(x)
        b, d, n, v = target.shape
        presence = presence.to(target.dtype)
        if device_fusion == 'concat':
            target = gather_tokens(target.reshape(b, d * n, v), query_ids)
            weight = presence.gather(
                1, torch.div(query_ids, n, rounding_mode='floor'))
        else:
            target = gather_tokens(
                target.transpose(1, 2).reshape(b, n, d * v), query_ids)
            weight = presence[:, None, :].expand(-1, query_ids.shape[1], -1)
        if pred.shape != target.shape:
            raise ValueError(
                f'IMU predictions of shape {tuple(pred.shape)} do not match '
                f'the target {tuple(target.shape)} ({d} devices x {v} values'
                f' per patch, device_fusion={device_fusion!r}): check the '
                "decoder's out_dims")
        return self.loss_module(
            pred.reshape(b, -1, v), target.reshape(b, -1, v),
            weight.reshape(b, -1))
