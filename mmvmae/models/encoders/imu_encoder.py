"""ViT over per-device IMU tokens, visible tokens only."""
from typing import Optional, Sequence, Union

import torch
from torch import nn

from mmvmae.registry import MODELS
from ..layers import VIT_INIT_CFG, sinusoid_table
from ..layers.imu_patch_embed import IMUPatchEmbed  # noqa: F401 (registers)
from ..layers.imu_spectrogram_embed import IMUSpectrogramEmbed  # noqa: F401
from .token_encoder import TokenEncoder
from .video_vit import resolve_arch

DEVICE_FUSIONS = ('mean', 'concat')
OUT_TYPES = ('avg', 'tokens')


@MODELS.register_module()
class IMUEncoder(TokenEncoder):
    """Transformer over IMU tokens of several devices.

    A tokenizer (``IMUPatchEmbed``: 1-D patches over time, or
    ``IMUSpectrogramEmbed``: EVI-MAE's spectrogram images) turns each
    device's (channels, samples) window into ``n`` tokens; a fixed 1-D
    sinusoid over the token index and a learned per-device embedding are
    added. ``device_fusion`` then makes the token sequence:

    - ``'mean'`` (EVI-MAE): the devices' tokens are averaged over the
      *present* devices into one sequence of ``n`` tokens.
    - ``'concat'``: the devices' sequences are concatenated (``D * n``
      tokens in (device, token) order); an absent device's tokens are
      replaced by a learned ``missing_token`` (plus its position and device
      embeddings), so its data never enters. They stay in attention (static
      shapes) but are left out of :meth:`pool`.

    ``forward(x, visible_ids)`` runs the blocks on the visible tokens only.
    A sample with no present device still gets features: give it loss
    weight 0 (``imu_presence.any(-1)``).

    Args:
        arch (str | dict): ViT size name or dict (see ``VideoViT``).
            Defaults to EVI-MAE's IMU encoder (768 wide, 11 blocks).
        num_devices (int): Devices. Defaults to 4.
        in_channels (int): Channels per device. Defaults to 3.
        num_samples (int): Samples per window. Defaults to 320.
        tokenizer (dict): Tokenizer config; ``in_channels`` and
            ``embed_dims`` are filled in. Defaults to 16-sample 1-D patches.
        device_fusion (str): ``'mean'`` or ``'concat'``. Defaults to
            ``'mean'``.
        qkv_bias (bool): q/v biases. Defaults to True.
        drop_rate (float): Dropout. Defaults to 0.
        attn_drop_rate (float): Attention dropout. Defaults to 0.
        drop_path_rate (float): Stochastic depth (linear over blocks).
            Defaults to 0.
        norm_eps (float): LayerNorm epsilon. Defaults to 1e-6.
        use_mean_pooling (bool): True: ``fc_norm`` after pooling; False:
            ``norm`` on the tokens (pretraining). Defaults to False.
        out_type (str): Full forward output: ``'avg'`` (B, C) or
            ``'tokens'`` (B, N, C). Defaults to ``'avg'``.
        fused_attn (bool, optional): SDPA or explicit attention.
        init_cfg (dict | list, optional): mmengine init config.
    """

    def __init__(self,
                 arch: Union[str, dict] = dict(
                     embed_dims=768, depth=11, num_heads=12),
                 num_devices: int = 4,
                 in_channels: int = 3,
                 num_samples: int = 320,
                 tokenizer: dict = dict(type='IMUPatchEmbed', patch_size=16),
                 device_fusion: str = 'mean',
                 qkv_bias: bool = True,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 norm_eps: float = 1e-6,
                 use_mean_pooling: bool = False,
                 out_type: str = 'avg',
                 fused_attn: Optional[bool] = None,
                 init_cfg: Optional[Union[dict, Sequence[dict]]] = VIT_INIT_CFG
                 ) -> None:
        settings = resolve_arch(arch)
        super().__init__(settings, out_type, OUT_TYPES, init_cfg=init_cfg)
        if device_fusion not in DEVICE_FUSIONS:
            raise ValueError(f'device_fusion must be one of {DEVICE_FUSIONS}'
                             f', got {device_fusion!r}')
        dims = self.embed_dims
        self.num_devices = num_devices
        self.in_channels = in_channels
        self.num_samples = num_samples
        self.device_fusion = device_fusion
        self.tokenizer = MODELS.build(
            dict(tokenizer, in_channels=in_channels, embed_dims=dims))
        self.tokens_per_device = self.tokenizer.num_tokens(num_samples)
        self.register_buffer(
            'pos_embed', sinusoid_table(self.tokens_per_device, dims),
            persistent=False)
        self.device_embed = nn.Parameter(torch.zeros(1, num_devices, 1, dims))
        nn.init.trunc_normal_(self.device_embed, std=.02)
        if device_fusion == 'concat':
            self.missing_token = nn.Parameter(torch.zeros(1, 1, 1, dims))
            nn.init.trunc_normal_(self.missing_token, std=.02)
        self.build_blocks(settings, qkv_bias, drop_rate, attn_drop_rate,
                          drop_path_rate, norm_eps, fused_attn=fused_attn,
                          use_mean_pooling=use_mean_pooling)

    @property
    def num_tokens(self) -> int:
        """Tokens in the sequence the blocks see (before masking)."""
        if self.device_fusion == 'concat':
            return self.tokens_per_device * self.num_devices
        return self.tokens_per_device

    def presence_mask(self, x: torch.Tensor,
                      presence: Optional[torch.Tensor]) -> torch.Tensor:
        """(B, D) bool presence, all True when ``presence`` is None.

        Raises:
            ValueError: If ``x`` or ``presence`` has the wrong shape.
        """
        expected = (self.num_devices, self.in_channels, self.num_samples)
        if x.dim() != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f'expected IMU input (B, {expected[0]}, '
                             f'{expected[1]}, {expected[2]}), got '
                             f'{tuple(x.shape)}')
        if presence is None:
            return torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
        if tuple(presence.shape) != tuple(x.shape[:2]):
            raise ValueError(f'imu_presence of shape {tuple(presence.shape)} '
                             f'does not match (B, devices) = '
                             f'{tuple(x.shape[:2])}')
        return presence.bool()

    def device_tokens(self, x: torch.Tensor) -> torch.Tensor:
        """Tokens (B, D, n, C) with position and device embeddings."""
        tokens = self.tokenizer(x)
        return (tokens + self.pos_embed[:, None].to(tokens.dtype) +
                self.device_embed.to(tokens.dtype))

    def embed(self,
              x: torch.Tensor,
              presence: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Embedded token sequence (B, N, C) of IMU windows (B, D, C, S)."""
        present = self.presence_mask(x, presence)[..., None, None]
        tokens = self.device_tokens(x)
        if self.device_fusion == 'mean':
            weight = present.to(tokens.dtype)
            return (tokens * weight).sum(1) / weight.sum(1).clamp(min=1)
        placeholder = (self.missing_token + self.pos_embed[:, None] +
                       self.device_embed).to(tokens.dtype)
        tokens = torch.where(present, tokens, placeholder)
        return tokens.flatten(1, 2)

    def pool(self,
             tokens: torch.Tensor,
             presence: Optional[torch.Tensor] = None,
             ids: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Mean of encoded tokens (B, K, C) -> (B, C).

        With ``'concat'`` fusion and ``presence``, tokens of absent devices
        are left out; ``ids`` (B, K) are the tokens' indices when they are a
        visible subset.
        """
        if self.device_fusion == 'concat' and presence is not None:
            if ids is None:
                ids = torch.arange(tokens.shape[1], device=tokens.device)
                ids = ids.expand(tokens.shape[0], -1)
            weight = presence.to(tokens.dtype).gather(
                1, torch.div(ids, self.tokens_per_device,
                             rounding_mode='floor'))[..., None]
            pooled = (tokens * weight).sum(1) / weight.sum(1).clamp(min=1)
        else:
            pooled = tokens.mean(1)
        return self.fc_norm(pooled) if self.fc_norm is not None else pooled

    def forward(self,
                x: torch.Tensor,
                visible_ids: Optional[torch.Tensor] = None,
                presence: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Encode IMU windows.

        Args:
            x (Tensor): (B, D, C, S) windows (``imu`` from
                ``LoadIMUWindow``).
            visible_ids (Tensor, optional): (B, K) indices of the tokens to
                encode. None encodes every token.
            presence (Tensor, optional): (B, D) bool ``imu_presence``.

        Returns:
            Tensor: Tokens (B, K, C) with ``visible_ids`` or with
            ``out_type='tokens'``, else the pooled (B, C) feature.
        """
        tokens, _ = self.encode_tokens(self.embed(x, presence), visible_ids)
        if visible_ids is not None or self.out_type == 'tokens':
            return tokens
        return self.pool(tokens, presence)

    def device_features(self,
                        x: torch.Tensor,
                        presence: Optional[torch.Tensor] = None
                        ) -> torch.Tensor:
        """One feature per device (B, D, C): each device's tokens encoded
        on their own (devices stacked along the batch), then mean-pooled;
        zeros for absent devices. EVI-MAE's graph node features."""
        present = self.presence_mask(x, presence)
        tokens = self.device_tokens(x)
        b, d, n, c = tokens.shape
        encoded, _ = self.encode_tokens(tokens.reshape(b * d, n, c))
        features = encoded.mean(1).reshape(b, d, c)
        return features * present[..., None].to(features.dtype)
