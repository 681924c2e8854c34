"""Optimizer wrappers."""
from .finite_loss import (FiniteLossAmpOptimWrapper, FiniteLossMixin,
                          FiniteLossOptimWrapper)

__all__ = [
    'FiniteLossAmpOptimWrapper', 'FiniteLossMixin', 'FiniteLossOptimWrapper'
]
