"""Per-modality preprocessing, then a batch blending of all modalities."""
from typing import Dict, Optional

from mmaction.models import MultiModalDataPreprocessor

from mmvmae.registry import MODELS


@MODELS.register_module()
class MultiModalBlendingPreprocessor(MultiModalDataPreprocessor):
    """mmaction2's ``MultiModalDataPreprocessor`` plus a training blending.

    Each modality goes through its own preprocessor (normalization); then,
    in training only, ``blending`` (e.g. :class:`MultiModalMixup`) mixes
    all modalities and the labels together. A blending set on a single
    modality's preprocessor (mmaction2's ``MixupBlending``) would mix that
    modality alone and leave the others paired with the wrong labels: it is
    refused.

    Args:
        preprocessors (dict): Preprocessor config per input key.
        blending (dict, optional): Blending of the dict inputs. Defaults to
            None.
    """

    def __init__(self,
                 preprocessors: Dict[str, dict],
                 blending: Optional[dict] = None) -> None:
        alone = [name for name, cfg in preprocessors.items()
                 if cfg.get('blending') is not None]
        if alone:
            raise ValueError(
                f'preprocessors {alone} set their own blending, which mixes '
                'one modality without the others: set blending on '
                'MultiModalBlendingPreprocessor instead')
        super().__init__(preprocessors)
        self.blending = MODELS.build(blending) if blending else None

    def forward(self, data: Dict, training: bool = False) -> Dict:
        """Preprocess every modality; blend them when training."""
        data = super().forward(data, training)
        if training and self.blending is not None:
            data['inputs'], data['data_samples'] = self.blending(
                data['inputs'], data['data_samples'])
        return data
