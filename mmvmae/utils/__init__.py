"""mmvmae.utils: helpers shared by the command line tools."""
from .checkpoint_convert import (CheckpointConversionError, Conversion,
                                 hf_to_mmvmae, mmvmae_to_hf,
                                 mmvmae_to_official, official_to_mmvmae)

__all__ = [
    'CheckpointConversionError', 'Conversion', 'hf_to_mmvmae', 'mmvmae_to_hf',
    'mmvmae_to_official', 'official_to_mmvmae'
]
