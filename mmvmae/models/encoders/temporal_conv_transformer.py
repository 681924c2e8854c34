"""ActionFormer's backbone: a feature sequence -> a temporal pyramid."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from mmvmae.registry import MODELS
from ..layers.channel_layer_norm import ChannelLayerNorm
from ..layers.masked_conv1d import MaskedConv1d
from ..layers.pos_embed import sinusoid_table
from ..layers.temporal_transformer_block import TemporalTransformerBlock


@MODELS.register_module()
class TemporalConvTransformer(BaseModule):
    """1-D conv embedding + local-attention transformer pyramid.

    ``arch = (embed, stem, branch)``: ``embed`` masked convolutions (each
    followed by LayerNorm and ReLU), ``stem`` transformer blocks at full
    resolution, then ``branch`` blocks that each downsample by
    ``scale_factor``. The outputs are the stem's and every branch block's:
    ``branch + 1`` levels of strides ``scale_factor ** l`` (1, 2, ..., 32
    for ActionFormer's (2, 2, 5)). All operations respect the padding mask,
    so valid steps do not depend on how much padding follows them.

    Args:
        in_channels (int): Feature width C of the input (B, C, T).
        embed_dims (int): Width of the pyramid. Defaults to 512.
        num_heads (int): Attention heads. Defaults to 4.
        arch (Sequence[int]): (embed convs, stem blocks, branch blocks).
            Defaults to (2, 2, 5).
        window_size (int | Sequence[int]): Local attention window of each
            level (stem first); one value for all, <= 1 for global
            attention. Defaults to 19.
        scale_factor (int): Downsampling between levels. Defaults to 2.
        embed_kernel_size (int): Kernel of the embedding convs.
            Defaults to 3.
        embed_norm (bool): LayerNorm in the embedding. Defaults to True.
        mlp_ratio (float): MLP width ratio. Defaults to 4.
        attn_drop (float): Attention dropout. Defaults to 0.
        proj_drop (float): Projection / MLP dropout. Defaults to 0.
        drop_path_rate (float): Drop path of every block. Defaults to 0.1.
        layer_scale_init (float, optional): Initial per-channel branch
            scale of the blocks (ActionFormer: 1e-4 whenever drop path is
            on). Defaults to 1e-4.
        abs_pos_embed (bool): Add a fixed sinusoid (divided by
            sqrt(embed_dims)) after the embedding. Defaults to False.
        max_seq_len (int): Length of the position table; longer inputs
            get it linearly stretched. Defaults to 2304.
        init_cfg (dict, optional): mmengine init config (e.g. a
            ``Pretrained`` checkpoint). Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 embed_dims: int = 512,
                 num_heads: int = 4,
                 arch: Sequence[int] = (2, 2, 5),
                 window_size: Union[int, Sequence[int]] = 19,
                 scale_factor: int = 2,
                 embed_kernel_size: int = 3,
                 embed_norm: bool = True,
                 mlp_ratio: float = 4.,
                 attn_drop: float = 0.,
                 proj_drop: float = 0.,
                 drop_path_rate: float = 0.1,
                 layer_scale_init: Optional[float] = 1e-4,
                 abs_pos_embed: bool = False,
                 max_seq_len: int = 2304,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(arch) != 3:
            raise ValueError(f'arch must be (embed, stem, branch), got {arch}')
        num_levels = arch[2] + 1
        windows = ([window_size] * num_levels if isinstance(window_size, int)
                   else list(window_size))
        if len(windows) != num_levels:
            raise ValueError(f'{len(windows)} window sizes for {num_levels} '
                             f'levels (arch {tuple(arch)})')
        self.in_channels = in_channels
        self.strides = [scale_factor**level for level in range(num_levels)]
        self.embed = nn.ModuleList(
            MaskedConv1d(in_channels if i == 0 else embed_dims, embed_dims,
                         embed_kernel_size, bias=not embed_norm)
            for i in range(arch[0]))
        self.embed_norms = nn.ModuleList(
            ChannelLayerNorm(embed_dims) if embed_norm else nn.Identity()
            for _ in range(arch[0]))
        block = dict(embed_dims=embed_dims, num_heads=num_heads,
                     mlp_ratio=mlp_ratio, attn_drop=attn_drop,
                     proj_drop=proj_drop, drop_path=drop_path_rate,
                     layer_scale_init=layer_scale_init)
        self.stem = nn.ModuleList(
            TemporalTransformerBlock(window_size=windows[0], **block)
            for _ in range(arch[1]))
        self.branch = nn.ModuleList(
            TemporalTransformerBlock(
                window_size=windows[1 + i], stride=scale_factor, **block)
            for i in range(arch[2]))
        if abs_pos_embed:
            table = sinusoid_table(max_seq_len, embed_dims)[0].T[None]
            self.register_buffer('pos_embed', table / embed_dims**0.5,
                                 persistent=False)
        else:
            self.pos_embed = None
        for module in self.modules():
            if isinstance(module, nn.Conv1d) and module.bias is not None:
                nn.init.zeros_(module.bias)

    def position_embedding(self, steps: int) -> torch.Tensor:
        """(1, C, steps) table, stretched when longer than ``max_seq_len``.
        """
        if steps <= self.pos_embed.shape[-1]:
            return self.pos_embed[..., :steps]
        return F.interpolate(self.pos_embed, size=steps, mode='linear',
                             align_corners=False)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor
    ) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        """(B, C_in, T) features and (B, T) bool mask -> per level
        (B, embed_dims, T / stride) features and (B, T / stride) masks."""
        if x.shape[1] != self.in_channels:
            raise ValueError(f'features have {x.shape[1]} channels, the '
                             f'backbone expects {self.in_channels}')
        for conv, norm in zip(self.embed, self.embed_norms):
            x, mask = conv(x, mask)
            x = torch.relu(norm(x))
        if self.pos_embed is not None:
            x = x + self.position_embedding(x.shape[-1]) * mask[:, None].to(
                x.dtype)
        for block in self.stem:
            x, mask = block(x, mask)
        feats, masks = [x], [mask]
        for block in self.branch:
            x, mask = block(x, mask)
            feats.append(x)
            masks.append(mask)
        return feats, masks
