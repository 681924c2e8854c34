"""ActionFormer: single-stage temporal action detection on features."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModel
from mmengine.structures import InstanceData

from mmvmae.registry import MODELS, TASK_UTILS
from mmvmae.structures.feature_grid import grid_to_seconds, seconds_to_grid
from ..losses.ema_loss_normalizer import EMALossNormalizer
from ..task_modules.point_generator_1d import PointGenerator1d
from .soft_nms_1d import batched_soft_nms_1d

TEST_CFG = dict(pre_nms_thresh=0.001, pre_nms_topk=5000, duration_thresh=0.05,
                nms=dict())


@MODELS.register_module()
class ActionFormer(BaseModel):
    """Zhang et al., *ActionFormer: Localizing Moments of Actions with
    Transformers* (ECCV 2022), on pre-extracted feature sequences.

    ``backbone`` turns a padded (B, C, T) feature batch into a temporal
    pyramid, ``neck`` normalizes it, and at every point of every level
    ``cls_head`` scores each class (sigmoid) while ``reg_head`` regresses
    the distances to the action's ends (in strides). Training targets come
    from ``assigner`` (centre sampling, each level covering the segments
    whose extent from the point lies in its ``regression_ranges`` entry);
    the focal and DIoU losses are summed over valid / positive points and
    divided by a moving average of the positive count. Inference keeps, per
    level, points above ``pre_nms_thresh`` (top ``pre_nms_topk``), drops
    segments shorter than ``duration_thresh`` (grid units), runs
    :func:`batched_soft_nms_1d` with ``test_cfg['nms']`` as keyword
    arguments, and returns segments in seconds clamped to the video.

    Data samples carry ``gt_instances`` (``segments`` in seconds,
    ``labels``) and the metainfo written by :class:`PackTemporalInputs`:
    ``num_features`` (valid length), ``fps``, ``feature_window``,
    ``feature_stride``, ``feature_start`` and ``duration`` place the
    features in time (:mod:`mmvmae.structures.feature_grid`).

    Args:
        backbone (dict): e.g. :class:`TemporalConvTransformer`; must expose
            ``strides``.
        neck (dict): e.g. :class:`IdentityFPN`.
        cls_head (dict): :class:`TemporalClsHead`.
        reg_head (dict): :class:`TemporalRegHead`.
        regression_ranges (Sequence[tuple]): (min, max) extent in input
            features handled by each level.
        assigner (dict): Label assignment. Defaults to
            ``CenterSamplingAssigner(radius=1.5)``.
        loss_cls (dict): Defaults to ``SigmoidFocalLoss``.
        loss_reg (dict): Defaults to ``DIoULoss1d``.
        loss_normalizer (dict): :class:`EMALossNormalizer` arguments.
            Defaults to ``dict(init_value=100, momentum=0.9)``.
        label_smoothing (float): ``target * (1 - e) + e / (K + 1)``.
            Defaults to 0.
        test_cfg (dict, optional): ``pre_nms_thresh`` (0.001),
            ``pre_nms_topk`` (5000), ``duration_thresh`` (0.05) and ``nms``
            (keyword arguments of :func:`batched_soft_nms_1d`).
        data_preprocessor (dict): :class:`TemporalFeaturePreprocessor`.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 cls_head: dict,
                 reg_head: dict,
                 regression_ranges: Sequence[Tuple[float, float]],
                 assigner: dict = dict(type='CenterSamplingAssigner',
                                       radius=1.5),
                 loss_cls: dict = dict(type='SigmoidFocalLoss'),
                 loss_reg: dict = dict(type='DIoULoss1d'),
                 loss_normalizer: dict = dict(init_value=100.,
                                              momentum=0.9),
                 label_smoothing: float = 0.,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.cls_head = MODELS.build(cls_head)
        self.reg_head = MODELS.build(reg_head)
        self.num_classes = self.cls_head.num_classes
        self.point_generator = PointGenerator1d(self.backbone.strides,
                                                regression_ranges)
        self.assigner = TASK_UTILS.build(assigner)
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_reg = MODELS.build(loss_reg)
        self.loss_normalizer = EMALossNormalizer(**loss_normalizer)
        self.label_smoothing = label_smoothing
        unknown = set(test_cfg or {}) - set(TEST_CFG)
        if unknown:
            raise KeyError(f'unknown test_cfg keys {sorted(unknown)}; '
                           f'expected {sorted(TEST_CFG)}')
        self.test_cfg = {**TEST_CFG, **(test_cfg or {})}
        divisor = getattr(self.data_preprocessor, 'size_divisor', None)
        largest = max(self.backbone.strides)
        if divisor is not None and divisor % largest:
            raise ValueError(
                f'data_preprocessor.size_divisor={divisor} must be a '
                f'multiple of the largest pyramid stride {largest}')

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List] = None,
                mode: str = 'tensor'):
        """``'loss'``, ``'predict'`` or ``'tensor'`` (per level
        (B, T_l, K) logits and (B, T_l, 2) offsets)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            logits, offsets, _ = self.extract(inputs, data_samples)
            return logits, offsets
        raise ValueError(f'unknown mode {mode!r}')

    @staticmethod
    def valid_mask(inputs: torch.Tensor,
                   data_samples: Optional[List]) -> torch.Tensor:
        """(B, T) bool: the first ``num_features`` steps of each sample
        (all steps without samples)."""
        batch, _, steps = inputs.shape
        if data_samples is None:
            return torch.ones(batch, steps, dtype=torch.bool,
                              device=inputs.device)
        lengths = [s.metainfo.get('num_features', steps)
                   for s in data_samples]
        if max(lengths) > steps:
            raise ValueError(f'valid lengths {lengths} exceed the padded '
                             f'length {steps}')
        lengths = torch.tensor(lengths, device=inputs.device)
        return torch.arange(steps, device=inputs.device) < lengths[:, None]

    def extract(
        self, inputs: torch.Tensor, data_samples: Optional[List] = None
    ) -> Tuple[List[torch.Tensor], List[torch.Tensor], List[torch.Tensor]]:
        """Per level: class logits (B, T_l, K), offsets (B, T_l, 2) in
        strides, and valid masks (B, T_l)."""
        mask = self.valid_mask(inputs, data_samples)
        feats, masks = self.backbone(inputs, mask)
        feats, masks = self.neck(feats, masks)
        return self.cls_head(feats, masks), self.reg_head(feats,
                                                          masks), masks

    @staticmethod
    def grid_segments(sample) -> torch.Tensor:
        """Ground-truth segments of a sample on its feature grid."""
        meta = sample.metainfo
        return seconds_to_grid(sample.gt_instances.segments.float(),
                               meta['fps'], meta['feature_window'],
                               meta['feature_stride'],
                               meta.get('feature_start', 0))

    def loss(self, inputs: torch.Tensor,
             data_samples: List) -> Dict[str, torch.Tensor]:
        """Focal loss over valid points and DIoU loss over positive points,
        both divided by the moving positive count."""
        logits, offsets, masks = self.extract(inputs, data_samples)
        points = self.point_generator([x.shape[1] for x in logits],
                                      inputs.device)
        targets = [
            self.assigner.assign(points,
                                 self.grid_segments(s).to(inputs.device),
                                 s.gt_instances.labels.to(inputs.device),
                                 self.num_classes) for s in data_samples
        ]
        cls_targets = torch.stack([t[0] for t in targets])
        reg_targets = torch.stack([t[1] for t in targets])
        valid = torch.cat(masks, dim=1)
        positive = (cls_targets.sum(-1) > 0) & valid
        normalizer = self.loss_normalizer.update(positive.sum())
        if self.label_smoothing:
            cls_targets = (cls_targets * (1 - self.label_smoothing) +
                           self.label_smoothing / (self.num_classes + 1))
        loss_cls = self.loss_cls(
            torch.cat(logits, dim=1), cls_targets,
            weight=valid[..., None].to(cls_targets.dtype))
        # Negatives get a harmless dummy target; their weight is zero.
        reg_targets = torch.where(positive[..., None], reg_targets, 1.)
        loss_reg = self.loss_reg(
            torch.cat(offsets, dim=1), reg_targets,
            weight=positive.to(reg_targets.dtype))
        return dict(loss_cls=loss_cls / normalizer,
                    loss_reg=loss_reg / normalizer)

    @torch.no_grad()
    def predict(self, inputs: torch.Tensor, data_samples: List) -> List:
        """Add ``pred_instances`` (``segments`` (K, 2) seconds clamped to
        ``[0, duration]``, ``scores``, ``labels``) to each data sample."""
        logits, offsets, masks = self.extract(inputs, data_samples)
        lengths = [x.shape[1] for x in logits]
        points = self.point_generator(lengths, inputs.device).split(lengths)
        for i, sample in enumerate(data_samples):
            segments, scores, labels = self.candidates(
                [x[i] for x in logits], [x[i] for x in offsets],
                [m[i] for m in masks], points)
            if len(scores):
                segments, scores, labels = batched_soft_nms_1d(
                    segments, scores, labels, **self.test_cfg['nms'])
            meta = sample.metainfo
            seconds = grid_to_seconds(segments, meta['fps'],
                                      meta['feature_window'],
                                      meta['feature_stride'],
                                      meta.get('feature_start', 0))
            sample.pred_instances = InstanceData(
                segments=seconds.clamp(0, meta['duration']),
                scores=scores,
                labels=labels.long())
        return data_samples

    def candidates(
        self, logits: Sequence[torch.Tensor], offsets: Sequence[torch.Tensor],
        masks: Sequence[torch.Tensor], points: Sequence[torch.Tensor]
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Pre-NMS detections of one video, in grid units: per level the
        ``pre_nms_topk`` (point, class) pairs above ``pre_nms_thresh``,
        without segments shorter than ``duration_thresh``."""
        cfg = self.test_cfg
        found = []
        for level_logits, level_offsets, mask, level_points in zip(
                logits, offsets, masks, points):
            probs = (level_logits.sigmoid() * mask[:, None]).flatten()
            index = torch.nonzero(probs > cfg['pre_nms_thresh'])[:, 0]
            scores, order = probs[index].sort(descending=True)
            scores = scores[:cfg['pre_nms_topk']]
            index = index[order[:cfg['pre_nms_topk']]]
            point, label = index // self.num_classes, index % self.num_classes
            position, stride = level_points[point, 0], level_points[point, 3]
            left, right = level_offsets[point].unbind(-1)
            segments = torch.stack(
                [position - left * stride, position + right * stride], -1)
            keep = segments[:, 1] - segments[:, 0] > cfg['duration_thresh']
            found.append((segments[keep], scores[keep], label[keep]))
        return tuple(torch.cat(parts) for parts in zip(*found))
