"""Optimizer wrappers."""
from .bf16_optim_wrapper import (BF16OptimWrapper, FiniteLossBF16OptimWrapper,
                                 check_bf16_autocast)
from .finite_loss import (FiniteLossAmpOptimWrapper, FiniteLossMixin,
                          FiniteLossOptimWrapper)
from .layer_decay_constructor import (LayerDecayOptimWrapperConstructor,
                                      vit_layer_id)

__all__ = [
    'BF16OptimWrapper', 'FiniteLossBF16OptimWrapper', 'check_bf16_autocast',
    'FiniteLossAmpOptimWrapper', 'FiniteLossMixin', 'FiniteLossOptimWrapper',
    'LayerDecayOptimWrapperConstructor', 'vit_layer_id'
]
