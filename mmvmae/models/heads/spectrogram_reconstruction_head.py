"""Normalized-patch reconstruction target and loss of an fbank."""
from typing import Optional

import torch
from mmengine.model import BaseModule

from mmvmae.registry import MODELS
from ..layers import gather_tokens
from .patch_norm import standardize_patches

LAYOUTS = ('tf', 'ft')


@MODELS.register_module()
class SpectrogramReconstructionHead(BaseModule):
    """Per-patch fbank target and the loss on the predicted patches.

    Patches are cut in the encoder's token order (``layout``) with their
    values laid out as the reference does: ``'tf'`` (Audio-MAE) time then
    frequency inside a patch, ``'ft'`` (CAV-MAE) the transposed fbank's
    rows (frequency) then columns (time). With ``norm_pix`` each patch is
    standardized, ``(x - mean) / sqrt(var_unbiased + eps)`` (both
    references' ``norm_pix_loss=True``).

    Args:
        patch_size (int): Patch side. Defaults to 16.
        layout (str): ``'tf'`` or ``'ft'``, as the encoder. Defaults to
            ``'tf'``.
        norm_pix (bool): Standardize each patch. Defaults to True.
        eps (float): Epsilon of the standardization. Defaults to 1e-6.
        loss (dict): Loss config. Defaults to ``PixelReconstructionLoss``
            (MSE per patch, mean over the weighted queries).
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 patch_size: int = 16,
                 layout: str = 'tf',
                 norm_pix: bool = True,
                 eps: float = 1e-6,
                 loss: dict = dict(type='PixelReconstructionLoss'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if layout not in LAYOUTS:
            raise ValueError(f'layout must be one of {LAYOUTS}, got '
                             f'{layout!r}')
        self.patch_size = patch_size
        self.layout = layout
        self.norm_pix = norm_pix
        self.eps = eps
        self.loss_module = MODELS.build(loss)

    def patchify(self, fbank: torch.Tensor) -> torch.Tensor:
        """(B, [1,] T, F) -> (B, N, p * p) in the layout's token order."""
        if fbank.dim() == 4:
            fbank = fbank[:, 0]
        if self.layout == 'ft':
            fbank = fbank.transpose(1, 2)
        b, rows, cols = fbank.shape
        p = self.patch_size
        if rows % p or cols % p:
            raise ValueError(f'fbank of shape {tuple(fbank.shape)} is not '
                             f'divisible by patch_size={p}')
        x = fbank.reshape(b, rows // p, p, cols // p, p).permute(0, 1, 3, 2,
                                                                  4)
        return x.reshape(b, (rows // p) * (cols // p), p * p)

    def construct_target(self, inputs: torch.Tensor) -> torch.Tensor:
        """Per-token target (B, N, p * p) of an fbank batch."""
        x = self.patchify(inputs.float())
        if not self.norm_pix:
            return x
        return standardize_patches(x, self.eps)

    def loss(self,
             pred: torch.Tensor,
             inputs: torch.Tensor,
             query_ids: torch.Tensor,
             weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Loss of predictions (B, Q, p * p) for tokens ``query_ids``;
        ``weight`` (B, Q), e.g. 0 for samples without audio."""
        target = gather_tokens(self.construct_target(inputs), query_ids)
        return self.loss_module(pred, target, weight)
