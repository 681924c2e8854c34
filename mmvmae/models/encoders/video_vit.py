"""Video ViT encoder (VideoMAE family) that runs on visible tokens only."""
from typing import Optional, Sequence, Union

import torch

from mmvmae.registry import MODELS
from ..layers import (VIT_INIT_CFG, SeparablePosEmbed, TubeletEmbed,
                      gather_tokens, infer_grid, interpolate_grid,
                      sinusoid_table)
from .token_encoder import TokenEncoder

# Sizes as named in the papers: (embed_dims, depth, num_heads, mlp_ratio).
ARCH_SETTINGS = {
    'tiny': (192, 12, 3, 4.),
    'small': (384, 12, 6, 4.),
    'base': (768, 12, 12, 4.),
    'large': (1024, 24, 16, 4.),
    'huge': (1280, 32, 16, 4.),
    'giant': (1408, 40, 16, 48 / 11),
}
ARCH_ALIASES = {'t': 'tiny', 's': 'small', 'b': 'base', 'l': 'large',
                'h': 'huge', 'g': 'giant'}
OUT_TYPES = ('avg', 'tokens', 'featmap')


def resolve_arch(arch: Union[str, dict]) -> dict:
    """Turn an arch name (``'base'``, ``'b'``) or dict into its settings.

    Raises:
        KeyError: If the name is unknown or the dict lacks a key.
    """
    if isinstance(arch, dict):
        missing = {'embed_dims', 'depth', 'num_heads'} - set(arch)
        if missing:
            raise KeyError(f'arch dict lacks {sorted(missing)}: {arch}')
        return {'mlp_ratio': 4., **arch}
    name = ARCH_ALIASES.get(arch.lower(), arch.lower())
    if name not in ARCH_SETTINGS:
        raise KeyError(f'unknown arch {arch!r}; choose one of '
                       f'{sorted(ARCH_SETTINGS)} or pass a dict')
    dims, depth, heads, ratio = ARCH_SETTINGS[name]
    return dict(embed_dims=dims, depth=depth, num_heads=heads,
                mlp_ratio=ratio)


@MODELS.register_module()
class VideoViT(TokenEncoder):
    """ViT over tubelet tokens with a visible-only forward.

    Its state dict (``pos_embed_type='sincos'``) loads strictly into
    mmaction2's ``VisionTransformer`` and back. ``forward(x, visible_ids)``
    embeds only the visible tubelets (their pixels are gathered first, see
    ``TubeletEmbed.forward_selected``) and adds their position embeddings
    before the blocks.

    Args:
        arch (str | dict): ``'small'``/``'base'``/``'large'``/``'huge'``/
            ``'giant'`` (or ``s/b/l/h/g``) or a dict with ``embed_dims``,
            ``depth``, ``num_heads`` and optional ``mlp_ratio``.
        img_size (int): Input size the position table is built for.
        patch_size (int): Spatial patch size. Defaults to 16.
        num_frames (int): Frames the position table is built for.
        tubelet_size (int): Frames per token. Defaults to 2.
        in_channels (int): Input channels. Defaults to 3.
        qkv_bias (bool): q/v biases. Defaults to True.
        drop_rate (float): Dropout. Defaults to 0.
        attn_drop_rate (float): Attention dropout. Defaults to 0.
        drop_path_rate (float): Stochastic depth, linearly increasing over
            blocks up to this value. Defaults to 0.
        norm_eps (float): LayerNorm epsilon. Defaults to 1e-6.
        init_values (float): Layer-scale init; 0 disables. Defaults to 0.
        pos_embed_type (str): ``'sincos'`` (VideoMAE, fixed 1-D sinusoid,
            a persistent buffer as in mmaction2) or ``'learned_separable'``
            (MAE-ST: learned space + time tables).
        use_mean_pooling (bool): True: tokens are not normed and the pooled
            feature goes through ``fc_norm`` (fine-tuning, as mmaction2);
            False: tokens go through ``norm`` (pretraining).
        out_type (str): What a full forward returns: ``'avg'`` (B, C),
            ``'tokens'`` (B, N, C) or ``'featmap'`` (B, C, T', H', W').
            A forward with ``visible_ids`` always returns tokens.
        fused_attn (bool, optional): SDPA or explicit attention; None reads
            ``MMVMAE_FUSED_ATTN``.
        with_cp (bool): Activation checkpointing of every block while
            training. Defaults to False.
        frozen (bool): Freeze all parameters and keep eval mode (linear /
            attentive probing, kNN). Defaults to False.
        init_cfg (dict | list, optional): mmengine init config.
    """

    def __init__(self,
                 arch: Union[str, dict] = 'base',
                 img_size: int = 224,
                 patch_size: int = 16,
                 num_frames: int = 16,
                 tubelet_size: int = 2,
                 in_channels: int = 3,
                 qkv_bias: bool = True,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 norm_eps: float = 1e-6,
                 init_values: float = 0.,
                 pos_embed_type: str = 'sincos',
                 use_mean_pooling: bool = True,
                 out_type: str = 'avg',
                 fused_attn: Optional[bool] = None,
                 with_cp: bool = False,
                 frozen: bool = False,
                 init_cfg: Optional[Union[dict, Sequence[dict]]] = VIT_INIT_CFG
                 ) -> None:
        settings = resolve_arch(arch)
        super().__init__(settings, out_type, OUT_TYPES, with_cp, frozen,
                         init_cfg)
        dims = self.embed_dims
        self.patch_embed = TubeletEmbed(in_channels, dims, patch_size,
                                        tubelet_size)
        self.grid = self.patch_embed.token_grid(
            (1, in_channels, num_frames, img_size, img_size))
        self.pos_embed_type = pos_embed_type
        if pos_embed_type == 'sincos':
            n = self.grid[0] * self.grid[1] * self.grid[2]
            self.register_buffer('pos_embed', sinusoid_table(n, dims))
        elif pos_embed_type == 'learned_separable':
            self.pos_embed = SeparablePosEmbed(self.grid, dims)
        else:
            raise ValueError(f'unknown pos_embed_type {pos_embed_type!r}; '
                             "use 'sincos' or 'learned_separable'")
        self.build_blocks(settings, qkv_bias, drop_rate, attn_drop_rate,
                          drop_path_rate, norm_eps, init_values, fused_attn,
                          use_mean_pooling)
        if frozen:
            self.requires_grad_(False)

    def position_embedding(self, grid: tuple) -> torch.Tensor:
        """Position table (1, N, C) for a token grid, resampled if needed."""
        if self.pos_embed_type == 'sincos':
            return interpolate_grid(self.pos_embed, self.grid, grid)
        return self.pos_embed(grid)

    def forward(self,
                x: torch.Tensor,
                visible_ids: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Encode a clip.

        Args:
            x (Tensor): Clip (B, C, T, H, W).
            visible_ids (Tensor, optional): (B, K) indices of the tokens to
                encode, in (t h w) order. None encodes every token.

        Returns:
            Tensor: Tokens (B, K, C) when ``visible_ids`` is given, else the
            output selected by ``out_type``.
        """
        grid = self.patch_embed.token_grid(x.shape)
        tokens, _ = self.encode_tokens(self.embed(x, visible_ids))
        if visible_ids is not None or self.out_type == 'tokens':
            return tokens
        if self.out_type == 'featmap':
            b, _, c = tokens.shape
            return tokens.transpose(1, 2).reshape(b, c, *grid)
        pooled = tokens.mean(1)
        return self.fc_norm(pooled) if self.fc_norm is not None else pooled

    def embed(self,
              x: torch.Tensor,
              ids: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Patch embeddings plus position embeddings of a clip.

        Args:
            x (Tensor): Clip (B, C, T, H, W).
            ids (Tensor, optional): (B, K) tokens to embed; only their
                tubelets are projected. None embeds all N tokens.

        Returns:
            Tensor: (B, N, C), or (B, K, C) for ``ids``.
        """
        grid = self.patch_embed.token_grid(x.shape)
        pos = self.position_embedding(grid).to(x.dtype)
        if ids is None:
            return self.patch_embed(x) + pos
        return (self.patch_embed.forward_selected(x, ids) +
                gather_tokens(pos, ids))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """Accept checkpoints without a sinusoid table or with another grid.

        Official VideoMAE checkpoints do not save the fixed sinusoid: the
        model's own is used. A table for another grid (other frame count or
        size) is resampled to this model's grid.
        """
        key = prefix + 'pos_embed'
        if self.pos_embed_type == 'sincos':
            saved = state_dict.get(key)
            if saved is None:
                state_dict[key] = self.pos_embed.detach().clone()
            elif saved.shape != self.pos_embed.shape:
                src = infer_grid(saved.shape[1], self.grid)
                state_dict[key] = interpolate_grid(saved, src, self.grid)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
