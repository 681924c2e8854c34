"""Audio ViT over spectrogram patches, run on visible tokens only."""
from typing import Optional, Sequence, Tuple, Union

import torch

from mmvmae.registry import MODELS
from ..layers import VIT_INIT_CFG, SpectrogramPatchEmbed, sincos_table_2d
from .token_encoder import TokenEncoder
from .video_vit import resolve_arch

OUT_TYPES = ('avg', 'tokens')


@MODELS.register_module()
class AudioViT(TokenEncoder):
    """ViT over 16x16 fbank patches (Audio-MAE / CAV-MAE audio branch).

    Tokens come from :class:`SpectrogramPatchEmbed` in the order of
    ``layout`` (``'tf'``: time-major as Audio-MAE, ``'ft'``:
    frequency-major as CAV-MAE), plus a fixed 2-D sin-cos table on that
    grid. The table is a function of the grid, so it is not saved in
    checkpoints; an fbank of another length (e.g. 512 frames for ESC-50)
    gets the table of its own grid, which equals the trimmed longer table.
    ``forward(x, visible_ids)`` keeps only the visible tokens
    (``torch.gather``) before the blocks, like ``VideoViT``.

    Args:
        arch (str | dict): A size of ``VideoViT``'s ``ARCH_SETTINGS``
            (``'tiny'``, ``'small'``, ``'base'``, ...) or a dict with
            ``embed_dims``, ``depth``, ``num_heads`` and optional
            ``mlp_ratio``.
        target_length (int): fbank frames the table is built for.
            Defaults to 1024.
        n_mels (int): Mel bins. Defaults to 128.
        patch_size (int): Patch side. Defaults to 16.
        layout (str): ``'tf'`` or ``'ft'``. Defaults to ``'tf'``.
        in_channels (int): Input channels. Defaults to 1.
        qkv_bias (bool): q/v biases. Defaults to True.
        drop_rate (float): Dropout. Defaults to 0.
        attn_drop_rate (float): Attention dropout. Defaults to 0.
        drop_path_rate (float): Stochastic depth, linearly increasing over
            blocks up to this value. Defaults to 0.
        norm_eps (float): LayerNorm epsilon. Defaults to 1e-6.
        init_values (float): Layer-scale init; 0 disables. Defaults to 0.
        use_mean_pooling (bool): True: tokens are not normed and the pooled
            feature goes through ``fc_norm`` (fine-tuning); False: tokens
            go through ``norm`` (pretraining). Defaults to True.
        out_type (str): What a full forward returns: ``'avg'`` (B, C) or
            ``'tokens'`` (B, N, C). A forward with ``visible_ids`` always
            returns tokens.
        fused_attn (bool, optional): SDPA or explicit attention; None reads
            ``MMVMAE_FUSED_ATTN``.
        with_cp (bool): Activation checkpointing while training.
        frozen (bool): Freeze all parameters and keep eval mode.
        init_cfg (dict | list, optional): mmengine init config.
    """

    def __init__(self,
                 arch: Union[str, dict] = 'base',
                 target_length: int = 1024,
                 n_mels: int = 128,
                 patch_size: int = 16,
                 layout: str = 'tf',
                 in_channels: int = 1,
                 qkv_bias: bool = True,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 norm_eps: float = 1e-6,
                 init_values: float = 0.,
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
        self.patch_embed = SpectrogramPatchEmbed(dims, patch_size, layout,
                                                 in_channels)
        self.grid = self.patch_embed.token_grid(
            (1, in_channels, target_length, n_mels))
        self.register_buffer('pos_embed', sincos_table_2d(self.grid, dims),
                             persistent=False)
        self.build_blocks(settings, qkv_bias, drop_rate, attn_drop_rate,
                          drop_path_rate, norm_eps, init_values, fused_attn,
                          use_mean_pooling)
        if frozen:
            self.requires_grad_(False)

    def position_embedding(self, grid: Tuple[int, int]) -> torch.Tensor:
        """Position table (1, N, C) of a token grid."""
        if tuple(grid) == self.grid:
            return self.pos_embed
        return sincos_table_2d(grid, self.embed_dims).to(self.pos_embed)

    def forward(self,
                x: torch.Tensor,
                visible_ids: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Encode an fbank batch.

        Args:
            x (Tensor): fbank (B, T, F) or (B, 1, T, F).
            visible_ids (Tensor, optional): (B, K) indices of the tokens to
                encode, in the layout's order. None encodes every token.

        Returns:
            Tensor: Tokens (B, K, C) when ``visible_ids`` is given, else the
            output selected by ``out_type``.
        """
        tokens, _ = self.encode_tokens(self.embed(x), visible_ids)
        if visible_ids is not None or self.out_type == 'tokens':
            return tokens
        pooled = tokens.mean(1)
        return self.fc_norm(pooled) if self.fc_norm is not None else pooled

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Patch embeddings plus position embeddings (B, N, C)."""
        grid = self.patch_embed.token_grid(x.shape)
        return self.patch_embed(x) + self.position_embedding(grid).to(x.dtype)
