"""Spatio-temporal action detector (AVA) on a video ViT feature map."""
from typing import Dict, List, Optional

import torch
from mmengine.model import BaseModel

from mmvmae.registry import MODELS

MODES = ('loss', 'predict', 'tensor')
# ImageNet mean / std, NCTHW, H and W padded to the ViT patch size.
DETECTION_PREPROCESSOR = dict(
    type='DetectionDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    format_shape='NCTHW')


@MODELS.register_module()
class SpatioTemporalDetector(BaseModel):
    """Action scores of person boxes at a keyframe (mmaction2's
    ``FastRCNN`` for AVA, without mmdet / mmcv ops).

    The backbone turns the clip (B, C, T, H, W) into a feature map
    (B, C', T', H', W') — a ``VideoViT`` with ``out_type='featmap'`` and
    ``use_mean_pooling=False`` (its final norm, as mmaction2's
    ``return_feat_map``) — and an ``ActionRoIHead`` scores the boxes on it.
    Parameter names equal mmaction2's (``backbone.*``,
    ``roi_head.bbox_head.fc_cls.*``), so its AVA checkpoints load.

    Args:
        backbone (dict): Encoder config returning a 5-D feature map.
        roi_head (dict): An ``ActionRoIHead`` config; its extractor's
            ``featmap_stride`` must equal the encoder's patch size.
        data_preprocessor (dict, optional): Defaults to
            ``DetectionDataPreprocessor`` with the ImageNet mean / std,
            padding to the encoder's patch size.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 backbone: dict,
                 roi_head: dict,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        backbone = MODELS.build(backbone)
        patch = getattr(getattr(backbone, 'patch_embed', None), 'patch_size',
                        None)
        if data_preprocessor is None:
            data_preprocessor = dict(
                DETECTION_PREPROCESSOR, pad_size_divisor=patch or 1)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = backbone
        self.roi_head = MODELS.build(roi_head)
        if getattr(backbone, 'out_type', 'featmap') != 'featmap':
            raise ValueError("the backbone must return a feature map: build "
                             "the VideoViT with out_type='featmap'")
        if getattr(backbone, 'fc_norm', None) is not None:
            raise ValueError(
                'the detector never uses the encoder fc_norm (it pools boxes '
                'of the token map): build it with use_mean_pooling=False')
        stride = self.roi_head.bbox_roi_extractor.featmap_stride
        if patch is not None and stride != patch:
            raise ValueError(f'bbox_roi_extractor.featmap_stride={stride} '
                             f'differs from the encoder patch size {patch}')

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List] = None,
                mode: str = 'tensor'):
        """``'loss'``: dict of losses; ``'predict'``: data samples with
        ``pred_instances``; ``'tensor'``: the feature map."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs)
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Feature map (B, C', T', H', W') of clips (B, [1,] C, T, H, W)."""
        if inputs.dim() == 6 and inputs.shape[1] == 1:
            inputs = inputs.squeeze(1)  # FormatShape without collapse
        if inputs.dim() != 5:
            raise ValueError('a detector takes one clip per keyframe, '
                             '(B, C, T, H, W) (FormatShape(collapse=True)); '
                             f'got {tuple(inputs.shape)}')
        return self.backbone(inputs)

    def loss(self, inputs: torch.Tensor,
             data_samples: List) -> Dict[str, torch.Tensor]:
        """Action losses of the sampled boxes."""
        return self.roi_head.loss(self.extract_feat(inputs), data_samples)

    def predict(self, inputs: torch.Tensor, data_samples: List) -> List:
        """Data samples with ``pred_instances`` (``bboxes`` normalized to
        the frame, ``scores`` per class) for mmaction2's ``AVAMetric``."""
        results = self.roi_head.predict(self.extract_feat(inputs),
                                        data_samples)
        for sample, result in zip(data_samples, results):
            sample.pred_instances = result
        return data_samples
