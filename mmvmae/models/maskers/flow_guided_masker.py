"""MGMAE: motion-guided masking with online optical flow (RAFT-small)."""
import math
import os.path as osp
import warnings
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F

from mmvmae.registry import MODELS
from ..algorithms.token_masks import TokenMasks
from .base_token_masker import BaseTokenMasker

BASE_FRAMES = ('middle', 'first', 'random')
# RAFT downsamples by 8 and its correlation pyramid needs 16x16 features.
RAFT_STRIDE = 8
RAFT_MIN_SIZE = 128


def _pair(size: Union[int, Sequence[int]]) -> Tuple[int, int]:
    return (size, size) if isinstance(size, int) else tuple(size)


def gaussian_map(centres: torch.Tensor, height: int, width: int,
                 sigma: float) -> torch.Tensor:
    """Pixel-wise max of unit-amplitude 2-D Gaussians, divided by its max.

    Args:
        centres (Tensor): (B, K, 2) centres (y, x) in pixels.
        height (int): Map height.
        width (int): Map width.
        sigma (float): Standard deviation in pixels.

    Returns:
        Tensor: (B, H, W) maps with maximum 1.
    """
    ys = torch.arange(height, device=centres.device, dtype=torch.float32)
    xs = torch.arange(width, device=centres.device, dtype=torch.float32)
    nearest = None
    # max_k exp(-d_k^2 / 2s^2) = exp(-min_k d_k^2 / 2s^2): keep the nearest
    # centre's squared distance, one (B, H, W) map at a time.
    for k in range(centres.shape[1]):
        dy = (ys - centres[:, k, 0:1])**2  # (B, H)
        dx = (xs - centres[:, k, 1:2])**2  # (B, W)
        dist = dy[:, :, None] + dx[:, None, :]
        nearest = dist if nearest is None else torch.minimum(nearest, dist)
    maps = torch.exp(-nearest / (2 * sigma**2))
    return maps / maps.amax(dim=(1, 2), keepdim=True)


def backward_warp(image: torch.Tensor,
                  flow: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Sample ``image`` at ``x + flow(x)`` (bilinear).

    Args:
        image (Tensor): (N, C, H, W) source.
        flow (Tensor): (N, 2, H, W) flow (dx, dy) in pixels from the target
            frame to the source frame.

    Returns:
        tuple: The warped (N, C, H, W) image and an (N, 1, H, W) bool map of
        the target pixels whose sample point lies inside the source frame.
    """
    _, _, height, width = flow.shape
    ys = torch.arange(height, device=flow.device, dtype=flow.dtype)
    xs = torch.arange(width, device=flow.device, dtype=flow.dtype)
    x = xs.view(1, 1, width) + flow[:, 0]
    y = ys.view(1, height, 1) + flow[:, 1]
    inside = (x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1)
    grid = torch.stack((2 * x / max(width - 1, 1) - 1,
                        2 * y / max(height - 1, 1) - 1), dim=-1)
    warped = F.grid_sample(
        image, grid, mode='bilinear', padding_mode='border',
        align_corners=True)
    return warped, inside[:, None]


@MODELS.register_module()
class FlowGuidedMasker(BaseTokenMasker):
    """MGMAE's motion-guided mask (Huang et al., ICCV 2023).

    1. An initial visibility map on the base frame: the max of 2-D Gaussians
       centred on as many random patch centres as each temporal slice keeps
       visible.
    2. Optical flow between consecutive frames of the clip (RAFT-small,
       frozen). The map is propagated from the base frame to every other
       frame by backward warping: frame ``t`` samples the map of its
       neighbour ``s`` towards the base frame (``s = t - 1`` after it,
       ``t + 1`` before it) at ``x + F(x)``, with ``F`` the flow from ``t``
       to ``s``. Pixels whose sample point falls outside the frame take the
       initial map's value.
    3. The map is summed over each ``tubelet x patch x patch`` token and the
       ``k`` tokens with the largest sums of each temporal slice are
       visible, ``k = S - int(mask_ratio * S)`` for ``S`` tokens per slice:
       the same count as ``TubeMaskGenerator``. The decoder predicts every
       masked token.

    For a clip of ``T`` frames RAFT runs on ``T - 1`` frame pairs (15 for
    16 frames, as the reference); a token's score sums both frames of its
    tubelet. The RAFT network is frozen, in eval mode and held outside the
    module tree: it is not in ``state_dict()`` (checkpoints stay those of
    the autoencoder), not in ``parameters()`` (no optimizer state, no DDP
    bucket) and is moved to the clip's device on first use.

    Args:
        mask_ratio (float): Fraction of each slice's tokens hidden from the
            encoder. Defaults to 0.9.
        input_size (int | tuple): Clip height and width in pixels, to check
            the token counts and RAFT's input size at build time. Defaults
            to 224.
        patch_size (int): Spatial patch size of the encoder. Defaults to 16.
        flow_checkpoint (str, optional): Local file with the state dict of
            torchvision's ``raft_small`` (e.g. the ``C_T_V2`` weights saved
            with ``torch.save(model.state_dict(), path)``). Read with
            ``torch.load(weights_only=True)``; never downloaded.
        allow_random_flow (bool): Allow ``flow_checkpoint=None`` (randomly
            initialized RAFT: meaningless flow, for tests and demos only).
            Defaults to False.
        num_flow_updates (int): RAFT's recurrent refinements. Defaults to 6
            (the reference's ``iters``).
        flow_size (int | tuple, optional): Resolution RAFT runs at (frames
            are resized to it, the flow back to the clip and rescaled).
            RAFT needs at least 128 pixels per side, divisible by 8.
            Defaults to None (the clip's own size).
        flow_batch_size (int, optional): Frame pairs per RAFT call, to bound
            its memory. Defaults to None (all pairs of the batch at once).
        sigma (float, optional): Standard deviation of the Gaussians in
            pixels. Defaults to None: ``patch_size / sqrt(2)``, the width of
            the reference's ``exp(-d^2 / patch_size^2)``.
        base_frame (str): Frame that holds the initial map: ``'middle'``
            (``T // 2``), ``'first'`` or ``'random'`` (one per batch).
            Defaults to ``'middle'``.
        topk_on_all (bool): Pick the ``T' * k`` best tokens over the whole
            clip instead of ``k`` per slice. Defaults to False.
        mean (Sequence[float]): Per-channel mean of the data preprocessor
            (0-255 scale), to recover the frames. Defaults to ImageNet's.
        std (Sequence[float]): Per-channel std of the data preprocessor.
            Defaults to ImageNet's.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 mask_ratio: float = 0.9,
                 input_size: Union[int, Sequence[int]] = 224,
                 patch_size: int = 16,
                 flow_checkpoint: Optional[str] = None,
                 allow_random_flow: bool = False,
                 num_flow_updates: int = 6,
                 flow_size: Optional[Union[int, Sequence[int]]] = None,
                 flow_batch_size: Optional[int] = None,
                 sigma: Optional[float] = None,
                 base_frame: str = 'middle',
                 topk_on_all: bool = False,
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0 < mask_ratio < 1:
            raise ValueError(f'mask_ratio must be in (0, 1), got '
                             f'{mask_ratio}')
        if base_frame not in BASE_FRAMES:
            raise ValueError(f'base_frame must be one of {BASE_FRAMES}, got '
                             f'{base_frame!r}')
        if num_flow_updates < 1:
            raise ValueError(f'num_flow_updates must be >= 1, got '
                             f'{num_flow_updates}')
        if flow_batch_size is not None and flow_batch_size < 1:
            raise ValueError(f'flow_batch_size must be >= 1, got '
                             f'{flow_batch_size}')
        if len(mean) != 3 or len(std) != 3:
            raise ValueError(f'mean and std need 3 channels, got {mean} and '
                             f'{std}')
        self.mask_ratio = mask_ratio
        self.patch_size = patch_size
        self.num_flow_updates = num_flow_updates
        self.flow_size = None if flow_size is None else _pair(flow_size)
        self.flow_batch_size = flow_batch_size
        self.sigma = patch_size / math.sqrt(2) if sigma is None else sigma
        self.base_frame = base_frame
        self.topk_on_all = topk_on_all
        self.mean = tuple(float(m) for m in mean)
        self.std = tuple(float(s) for s in std)
        self.check_size(_pair(input_size))
        # Not a submodule (see the class docstring): object.__setattr__
        # bypasses nn.Module's registration.
        object.__setattr__(self, 'flow_net',
                           self.build_flow_net(flow_checkpoint,
                                               allow_random_flow))

    @staticmethod
    def build_flow_net(checkpoint: Optional[str],
                       allow_random: bool) -> torch.nn.Module:
        """torchvision's RAFT-small with the local weights, frozen, eval.

        On the meta device (shape-only builds, e.g. the config tests) there
        is nothing to load into, so the file is neither checked nor read.
        """
        from torchvision.models.optical_flow import raft_small

        from mmvmae.utils.checkpoint_convert import (extract_state_dict,
                                                     load_torch_file)
        net = raft_small(weights=None)
        on_meta = next(net.parameters()).is_meta
        if checkpoint is None:
            if not allow_random:
                raise ValueError(
                    'FlowGuidedMasker needs flow_checkpoint: a local file '
                    "with torchvision's raft_small state dict (see "
                    'docs/methods/mgmae.md); set allow_random_flow=True '
                    'only for tests and demos')
            warnings.warn(
                'FlowGuidedMasker uses a randomly initialized RAFT '
                '(flow_checkpoint=None, allow_random_flow=True): its flow '
                'is noise and the masks are not motion-guided; real runs '
                'need the raft_small weights file')
        elif not on_meta:
            if not osp.isfile(checkpoint):
                raise FileNotFoundError(
                    f'flow_checkpoint not found: {checkpoint} (save '
                    "torchvision's raft_small weights there, see "
                    'docs/methods/mgmae.md)')
            state_dict, _ = extract_state_dict(load_torch_file(checkpoint))
            try:
                net.load_state_dict(state_dict)
            except RuntimeError as err:
                raise ValueError(
                    f'flow_checkpoint {checkpoint} is not a torchvision '
                    f'raft_small state dict: {err}') from err
        net.requires_grad_(False)
        return net.eval()

    def check_size(self, size: Tuple[int, int]) -> None:
        """Fail clearly if a clip of ``size`` (H, W) cannot be masked."""
        height, width = size
        if height % self.patch_size or width % self.patch_size:
            raise ValueError(f'clip size {height}x{width} is not divisible '
                             f'by patch_size={self.patch_size}')
        per_slice = (height // self.patch_size) * (width // self.patch_size)
        visible = self.visible_per_slice(per_slice)
        if visible in (0, per_slice):
            raise ValueError(
                f'mask_ratio={self.mask_ratio} leaves {visible} of '
                f'{per_slice} tokens per slice visible (clip {height}x'
                f'{width}, patch {self.patch_size})')
        flow_h, flow_w = self.flow_size or size
        if (min(flow_h, flow_w) < RAFT_MIN_SIZE or flow_h % RAFT_STRIDE
                or flow_w % RAFT_STRIDE):
            raise ValueError(
                f'RAFT needs frames of at least {RAFT_MIN_SIZE} pixels per '
                f'side, divisible by {RAFT_STRIDE}; got {flow_h}x{flow_w}: '
                'set flow_size')

    def visible_per_slice(self, per_slice: int) -> int:
        """Visible tokens of a slice of ``per_slice`` tokens."""
        return per_slice - int(self.mask_ratio * per_slice)

    def to_flow_frames(self, inputs: torch.Tensor) -> torch.Tensor:
        """Normalized clip (B, C, T, H, W) -> frames in [-1, 1]."""
        mean = inputs.new_tensor(self.mean).view(1, 3, 1, 1, 1)
        std = inputs.new_tensor(self.std).view(1, 3, 1, 1, 1)
        return ((inputs * std + mean) / 127.5 - 1).clamp(-1, 1)

    def estimate_flow(self, targets: torch.Tensor,
                      sources: torch.Tensor) -> torch.Tensor:
        """Flow from each target frame to its source frame.

        Args:
            targets (Tensor): (N, 3, H, W) frames in [-1, 1].
            sources (Tensor): (N, 3, H, W) frames in [-1, 1].

        Returns:
            Tensor: (N, 2, H, W) float32 flow (dx, dy) in pixels of the
            clip: ``target(x)`` matches ``source(x + flow(x))``.
        """
        net = self.flow_net
        if next(net.parameters()).device != targets.device:
            net.to(targets.device)
        height, width = targets.shape[-2:]
        if self.flow_size is not None and self.flow_size != (height, width):
            targets, sources = (F.interpolate(
                frames, size=self.flow_size, mode='bilinear',
                align_corners=False) for frames in (targets, sources))
        chunk = self.flow_batch_size or targets.shape[0]
        flows = [
            net(t, s, num_flow_updates=self.num_flow_updates)[-1].float()
            for t, s in zip(targets.split(chunk), sources.split(chunk))
        ]
        flow = torch.cat(flows)
        flow_h, flow_w = flow.shape[-2:]
        if (flow_h, flow_w) != (height, width):
            flow = F.interpolate(
                flow, size=(height, width), mode='bilinear',
                align_corners=False)
            scale = flow.new_tensor([width / flow_w, height / flow_h])
            flow = flow * scale.view(1, 2, 1, 1)
        return flow

    def initial_map(self, batch: int, height: int, width: int,
                    device: torch.device) -> torch.Tensor:
        """(B, H, W) Gaussian visibility maps of the base frame, centred on
        random patch centres (as many as a slice keeps visible)."""
        rows, cols = height // self.patch_size, width // self.patch_size
        count = self.visible_per_slice(rows * cols)
        picks = torch.rand(batch, rows * cols, device=device).argsort(1)
        picks = picks[:, :count]
        centres = torch.stack((picks // cols, picks % cols), dim=-1)
        centres = centres * self.patch_size + (self.patch_size - 1) / 2
        return gaussian_map(centres, height, width, self.sigma)

    def base_index(self, num_frames: int) -> int:
        """Index of the frame that holds the initial map."""
        if self.base_frame == 'middle':
            return num_frames // 2
        if self.base_frame == 'first':
            return 0
        return int(torch.randint(num_frames, ()))

    @staticmethod
    def flow_pairs(num_frames: int, base: int) -> List[Tuple[int, int]]:
        """(target, source) frame pairs: every frame but the base one takes
        its map from its neighbour towards the base frame."""
        return [(t, t - 1 if t > base else t + 1) for t in range(num_frames)
                if t != base]

    def propagate(self, frames: torch.Tensor, initial: torch.Tensor,
                  base: int) -> torch.Tensor:
        """Visibility volume (B, T, H, W) from the base frame's map.

        Args:
            frames (Tensor): (B, 3, T, H, W) frames in [-1, 1].
            initial (Tensor): (B, H, W) map of the base frame.
            base (int): Index of the base frame.
        """
        batch, _, num_frames, height, width = frames.shape
        pairs = self.flow_pairs(num_frames, base)
        targets = [t for t, _ in pairs]
        sources = [s for _, s in pairs]

        def stacked(index: List[int]) -> torch.Tensor:
            picked = frames[:, :, index].transpose(1, 2)
            return picked.reshape(-1, 3, height, width)

        flows = self.estimate_flow(stacked(targets), stacked(sources))
        flows = flows.view(batch, len(pairs), 2, height, width)
        flow_of = {t: flows[:, i] for i, t in enumerate(targets)}
        source_of = dict(pairs)
        initial = initial[:, None]
        maps: List[Optional[torch.Tensor]] = [None] * num_frames
        maps[base] = initial
        # Outwards from the base frame, so that every source is ready.
        for t in [*range(base + 1, num_frames), *range(base - 1, -1, -1)]:
            warped, inside = backward_warp(maps[source_of[t]], flow_of[t])
            maps[t] = torch.where(inside, warped, initial)
        return torch.cat(maps, dim=1)

    def select(self, volume: torch.Tensor,
               grid: Tuple[int, int, int]) -> TokenMasks:
        """Visible tokens: the largest tubelet sums of the volume."""
        batch, num_frames, height, width = volume.shape
        slices, rows, cols = grid
        scores = volume.reshape(batch, slices, num_frames // slices, rows,
                                height // rows, cols, width // cols)
        scores = scores.sum(dim=(2, 4, 6)).flatten(2)  # (B, T', S)
        per_slice = rows * cols
        keep = self.visible_per_slice(per_slice)
        if self.topk_on_all:
            scores = scores.flatten(1)[:, None]
            keep = keep * slices
        # Sorting (stable: ties go to the lower index) splits each row into
        # the kept tokens and the rest, with equal counts for every sample.
        order = scores.argsort(dim=-1, descending=True, stable=True)
        offsets = torch.arange(order.shape[1], device=order.device)
        order = order + (offsets * per_slice)[None, :, None]
        visible = order[..., :keep].flatten(1).sort(dim=1).values
        masked = order[..., keep:].flatten(1).sort(dim=1).values
        return TokenMasks(visible, masked, masked)

    def forward(self,
                inputs: torch.Tensor,
                grid: Tuple[int, int, int],
                data_samples: Optional[List] = None) -> TokenMasks:
        """Motion-guided masks of a normalized clip batch (B, C, T, H, W).

        The counts are equal by construction, so the masks are built
        without the count checks of ``masks_from_visible`` (no host sync;
        runs on the meta device).
        """
        batch, channels, num_frames, height, width = inputs.shape
        if channels != 3:
            raise ValueError(f'optical flow needs RGB clips, got {channels} '
                             f'channels')
        slices, rows, cols = grid
        if (rows * self.patch_size, cols * self.patch_size) != (height,
                                                                width):
            raise ValueError(
                f'token grid {grid} does not match a {height}x{width} clip '
                f'with patch_size={self.patch_size}')
        if num_frames % slices:
            raise ValueError(f'{num_frames} frames do not split into '
                             f'{slices} tubelets')
        self.check_size((height, width))
        frames = self.to_flow_frames(inputs)
        base = self.base_index(num_frames)
        initial = self.initial_map(batch, height, width, inputs.device)
        volume = self.propagate(frames, initial, base)
        return self.select(volume, grid)
