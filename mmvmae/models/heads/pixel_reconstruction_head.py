"""Reconstruction targets of VideoMAE and MAE-ST, and the loss on them."""
from typing import Optional, Sequence

import torch
from mmengine.model import BaseModule

from mmvmae.registry import MODELS
from ..layers import gather_tubelets

TARGETS = ('videomae', 'mae_st', 'pixel')


def gather_patches(x: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """Select patches ``ids`` (B, Q) from (B, N, L, C), broadcasting L / C."""
    index = ids[:, :, None, None].expand(-1, -1, *x.shape[2:])
    return torch.gather(x, 1, index)


@MODELS.register_module()
class PixelReconstructionHead(BaseModule):
    """Build the per-token pixel target and compute the loss.

    Targets (values per token laid out ``(t p p c)``, channel last):

    - ``'videomae'``: normalize each patch per colour channel,
      ``(x - mean) / (std_unbiased + eps)`` (VideoMAE, VideoMAE V2).
    - ``'mae_st'``: normalize over the whole patch,
      ``(x - mean) / sqrt(var_unbiased + eps)`` (MAE, MAE-ST).
    - ``'pixel'``: raw pixels in [0, 1].

    Args:
        patch_size (int): Spatial patch size. Defaults to 16.
        tubelet_size (int): Frames per token in the input. Defaults to 2.
        target (str): One of ``TARGETS``. Defaults to ``'videomae'``.
        mean (Sequence[float]): Mean the inputs were normalized with, on the
            [0, 1] scale; used to un-normalize. Defaults to ImageNet's.
        std (Sequence[float]): Std on the [0, 1] scale. Defaults to
            ImageNet's.
        eps (float): Epsilon of the normalization. Defaults to 1e-6.
        target_frames (int, optional): Predict only this many frames of the
            clip, evenly spaced (MAE-ST ``pred_t_dim``); each token then
            predicts ``target_frames / T'`` frames. None keeps all frames.
        loss (dict): Loss config. Defaults to ``PixelReconstructionLoss``.
    """

    def __init__(self,
                 patch_size: int = 16,
                 tubelet_size: int = 2,
                 target: str = 'videomae',
                 mean: Sequence[float] = (0.485, 0.456, 0.406),
                 std: Sequence[float] = (0.229, 0.224, 0.225),
                 eps: float = 1e-6,
                 target_frames: Optional[int] = None,
                 loss: dict = dict(type='PixelReconstructionLoss'),
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if target not in TARGETS:
            raise ValueError(f'target must be one of {TARGETS}, got '
                             f'{target!r}')
        self.patch_size = patch_size
        self.tubelet_size = tubelet_size
        self.target = target
        self.eps = eps
        self.target_frames = target_frames
        self.register_buffer(
            'mean', torch.tensor(mean).view(1, -1, 1, 1, 1), persistent=False)
        self.register_buffer(
            'std', torch.tensor(std).view(1, -1, 1, 1, 1), persistent=False)
        self.loss_module = MODELS.build(loss)

    def patchify(self, clip: torch.Tensor, tubelet: int) -> torch.Tensor:
        """(B, C, T, H, W) -> (B, N, tubelet * p * p, C) in (t h w) order."""
        b, c, t, h, w = clip.shape
        p = self.patch_size
        x = clip.reshape(b, c, t // tubelet, tubelet, h // p, p, w // p, p)
        x = x.permute(0, 2, 4, 6, 3, 5, 7, 1)
        return x.reshape(b, -1, tubelet * p * p, c)

    def unpatchify(self, tokens: torch.Tensor, grid: tuple) -> torch.Tensor:
        """Inverse of :meth:`patchify` for (B, N, tubelet * p * p * C)."""
        b = tokens.shape[0]
        t, h, w = grid
        p, c = self.patch_size, self.mean.shape[1]
        tubelet = tokens.shape[-1] // (p * p * c)
        x = tokens.reshape(b, t, h, w, tubelet, p, p, c)
        x = x.permute(0, 7, 1, 4, 2, 5, 3, 6)
        return x.reshape(b, c, t * tubelet, h * p, w * p)

    def target_clip(self, inputs: torch.Tensor) -> tuple:
        """Un-normalized clip in [0, 1] at the target frames, and its tubelet.
        """
        clip, tubelet = self.target_frames_of(inputs)
        return clip.float() * self.std + self.mean, tubelet

    def target_frames_of(self, clip: torch.Tensor) -> tuple:
        """The clip at the target frames (as it is), and its tubelet."""
        tubelet = self.tubelet_size
        if self.target_frames is not None:
            t = clip.shape[2]
            num_slices = t // self.tubelet_size
            if self.target_frames % num_slices:
                raise ValueError(
                    f'target_frames={self.target_frames} is not a multiple '
                    f'of the {num_slices} temporal token slices')
            index = torch.linspace(0, t - 1, self.target_frames,
                                   device=clip.device).long()
            clip = clip.index_select(2, index)
            tubelet = self.target_frames // num_slices
        return clip, tubelet

    def patch_statistics(self, x: torch.Tensor) -> tuple:
        """Mean and scale the target divides by, for patches (B, N, L, C)."""
        if self.target == 'videomae':
            mean = x.mean(dim=-2, keepdim=True)
            scale = x.var(dim=-2, unbiased=True, keepdim=True).sqrt()
            return mean, scale + self.eps
        if self.target == 'mae_st':
            flat = x.flatten(2)
            mean = flat.mean(dim=-1, keepdim=True)[..., None]
            var = flat.var(dim=-1, unbiased=True, keepdim=True)[..., None]
            return mean, (var + self.eps)**.5
        return torch.zeros_like(x[..., :1, :]), torch.ones_like(x[..., :1, :])

    def construct_target(self,
                         inputs: torch.Tensor,
                         ids: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Per-token target of a normalized clip (B, C, T, H, W): (B, N, P),
        or (B, Q, P) for the tokens ``ids`` (B, Q) only.

        With ``ids`` only those tokens' pixels are gathered, un-normalized
        and normalized per patch, in place: no full-clip copy is made.
        """
        if ids is None:
            x = self.patchify(*self.target_clip(inputs))
            mean, scale = self.patch_statistics(x)
            return ((x - mean) / scale).flatten(2)
        clip, tubelet = self.target_frames_of(inputs)
        x = gather_tubelets(clip, ids, tubelet, self.patch_size)
        # (B, Q, C, t, p, p) -> (B, Q, t p p, C), a fresh float tensor
        x = x.permute(0, 1, 3, 4, 5, 2).flatten(2, 4).float()
        x = x.mul_(self.std.flatten()).add_(self.mean.flatten())
        mean, scale = self.patch_statistics(x)
        return x.sub_(mean).div_(scale).flatten(2)

    def reconstruct(self, pred: torch.Tensor, inputs: torch.Tensor,
                    query_ids: torch.Tensor) -> tuple:
        """Paste predictions, mapped back to pixels, into the clip.

        Each predicted token is de-normalized with the statistics of the
        real patch (as the target was normalized), for visualization.

        Returns:
            tuple: ``(clip, reconstruction)``, both (B, C, T, H, W) in
            [0, 1] at the target frames.
        """
        clip, tubelet = self.target_clip(inputs)
        x = self.patchify(clip, tubelet)
        mean, scale = self.patch_statistics(x)
        pixels = pred.float().reshape(*pred.shape[:2], *x.shape[2:])
        pixels = pixels * gather_patches(scale, query_ids) + gather_patches(
            mean, query_ids)
        index = query_ids[:, :, None, None].expand(-1, -1, *x.shape[2:])
        recon = x.scatter(1, index, pixels)
        b, c, t, h, w = clip.shape
        grid = (t // tubelet, h // self.patch_size, w // self.patch_size)
        return clip, self.unpatchify(recon.flatten(2), grid).clamp(0, 1)

    def loss(self,
             pred: torch.Tensor,
             inputs: torch.Tensor,
             query_ids: torch.Tensor,
             weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Loss of predictions (B, Q, P) for tokens ``query_ids`` (B, Q)."""
        target = self.construct_target(inputs, query_ids)
        return self.loss_module(pred, target, weight)

    def token_errors(self, pred: torch.Tensor, inputs: torch.Tensor,
                     query_ids: torch.Tensor) -> torch.Tensor:
        """Per-token error (B, Q) of predictions for ``query_ids``, without
        ``loss_weight`` (e.g. the reward of AdaMAE's sampler)."""
        target = self.construct_target(inputs, query_ids)
        return self.loss_module.per_token(pred, target)
