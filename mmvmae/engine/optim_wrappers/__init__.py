"""Optimizer wrappers."""
from .finite_loss import (FiniteLossAmpOptimWrapper, FiniteLossMixin,
                          FiniteLossOptimWrapper)
from .layer_decay_constructor import (LayerDecayOptimWrapperConstructor,
                                      vit_layer_id)

__all__ = [
    'FiniteLossAmpOptimWrapper', 'FiniteLossMixin', 'FiniteLossOptimWrapper',
    'LayerDecayOptimWrapperConstructor', 'vit_layer_id'
]
