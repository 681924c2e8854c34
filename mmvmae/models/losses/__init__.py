"""Losses."""
from .feature_alignment_loss import FeatureAlignmentLoss
from .pixel_reconstruction_loss import PixelReconstructionLoss

__all__ = ['FeatureAlignmentLoss', 'PixelReconstructionLoss']
from .info_nce_loss import InfoNCELoss  # noqa: E402

__all__ += ['InfoNCELoss']
from .sce_loss import SCELoss  # noqa: E402

__all__ += ['SCELoss']
from .diou_loss_1d import DIoULoss1d  # noqa: E402
from .sigmoid_focal_loss import SigmoidFocalLoss  # noqa: E402

__all__ += ['DIoULoss1d', 'SigmoidFocalLoss']
from .nt_xent_loss import NTXentLoss  # noqa: E402

__all__ += ['NTXentLoss']
