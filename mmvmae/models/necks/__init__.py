"""Necks: decoders and fusion modules."""
from .feature_generator import FeatureGenerator
from .mae_decoder import MAEDecoder

__all__ = ['FeatureGenerator', 'MAEDecoder']
from .projector import Projector  # noqa: E402

__all__ += ['Projector']
from .joint_mae_decoder import JointMAEDecoder  # noqa: E402
from .mid_fusion import MidFusion  # noqa: E402

__all__ += ['JointMAEDecoder', 'MidFusion']
from .identity_fpn import IdentityFPN  # noqa: E402

__all__ += ['IdentityFPN']
