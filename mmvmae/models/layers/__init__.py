"""Building blocks shared by the encoders and decoders."""
from .attention import Attention, fused_attn_default
from .block import VIT_INIT_CFG, TransformerBlock
from .mlp import Mlp
from .pos_embed import (SeparablePosEmbed, infer_grid, interpolate_grid,
                        sinusoid_table)
from .token_ops import gather_tokens, gather_tubelets
from .tubelet_embed import TubeletEmbed

__all__ = [
    'Attention', 'fused_attn_default', 'VIT_INIT_CFG', 'TransformerBlock',
    'Mlp',
    'SeparablePosEmbed', 'infer_grid', 'interpolate_grid', 'sinusoid_table',
    'gather_tokens', 'gather_tubelets', 'TubeletEmbed'
]
from .sincos_2d import sincos_table_2d  # noqa: E402
from .spectrogram_embed import SpectrogramPatchEmbed  # noqa: E402

__all__ += ['sincos_table_2d', 'SpectrogramPatchEmbed']
from .modality_norm_block import ModalityNormBlock  # noqa: E402

__all__ += ['ModalityNormBlock']
from .gin_layer import GINLayer  # noqa: E402
from .imu_patch_embed import IMUPatchEmbed  # noqa: E402
from .imu_spectrogram_embed import IMUSpectrogramEmbed  # noqa: E402

__all__ += ['GINLayer', 'IMUPatchEmbed', 'IMUSpectrogramEmbed']
