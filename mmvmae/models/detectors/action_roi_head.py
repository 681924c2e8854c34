"""RoI head of spatio-temporal action detection: boxes -> action scores."""
from typing import Dict, List, Sequence

import torch
from mmengine.model import BaseModule
from mmengine.structures import InstanceData

from mmvmae.registry import MODELS, TASK_UTILS


@MODELS.register_module()
class ActionRoIHead(BaseModule):
    """Classify the actions of person boxes on a video feature map.

    mmaction2's ``AVARoIHead`` (an mmdet ``StandardRoIHead``) without
    mmdet: training assigns each keyframe's proposals to its ground-truth
    boxes (``assigner``), keeps the positives plus the ground truth
    (``sampler``), pools their features (``bbox_roi_extractor``) and scores
    them (``bbox_head``); testing scores the proposals themselves (no box
    regression, as mmaction2's ``test_cfg.rcnn=None``).

    Boxes come on the data samples in input pixels: ``gt_instances.bboxes``
    (K, 4) with multi-hot ``gt_instances.labels`` (K, num_classes), and
    ``proposals.bboxes`` (N, 4), as mmaction2's ``PackActionInputs`` packs
    them. Predictions are ``pred_instances`` with ``bboxes`` (N, 4)
    normalized to the original frame and ``scores`` (N, num_classes), the
    format of mmaction2's ``AVAMetric``.

    Args:
        bbox_roi_extractor (dict): A ``RoIFeatureExtractor3D`` config.
        bbox_head (dict): A ``MultiLabelActionHead`` config.
        assigner (dict): A ``MaxIoUBoxAssigner`` config. Defaults to the
            AVA setting (IoU 0.9 for positives).
        sampler (dict): A ``PositiveRoISampler`` config. Defaults to 32
            boxes with the ground truth added.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 bbox_roi_extractor: dict,
                 bbox_head: dict,
                 assigner: dict = dict(
                     type='MaxIoUBoxAssigner',
                     pos_iou_thr=0.9,
                     neg_iou_thr=0.9,
                     min_pos_iou=0.9),
                 sampler: dict = dict(
                     type='PositiveRoISampler',
                     num=32,
                     add_gt_as_proposals=True),
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.bbox_roi_extractor = MODELS.build(bbox_roi_extractor)
        self.bbox_head = MODELS.build(bbox_head)
        self.assigner = TASK_UTILS.build(assigner)
        self.sampler = TASK_UTILS.build(sampler)

    def loss(self, feats: torch.Tensor,
             data_samples: Sequence) -> Dict[str, torch.Tensor]:
        """Losses of the sampled boxes of a batch.

        Args:
            feats (Tensor): Feature map (B, C, T', H', W').
            data_samples (Sequence[ActionDataSample]): With ``gt_instances``
                and, optionally, ``proposals`` (ground truth only if absent).
        """
        boxes, labels = [], []
        for index, sample in enumerate(data_samples):
            gt = sample.get('gt_instances')
            if gt is None or 'bboxes' not in gt or 'labels' not in gt:
                raise KeyError(
                    f'data sample {index} has no gt_instances.bboxes / '
                    'labels (pack gt_bboxes and gt_labels with '
                    'PackActionInputs)')
            gt_boxes = gt.bboxes.to(feats.device, torch.float32)
            gt_labels = gt.labels.to(feats.device, torch.float32)
            proposals = self.proposal_boxes(sample, feats.device)
            if proposals is None:
                proposals = gt_boxes.new_zeros((0, 4))
            assignment = self.assigner.assign(proposals, gt_boxes, gt_labels)
            picked, targets = self.sampler.sample(assignment, proposals,
                                                  gt_boxes, gt_labels)
            boxes.append(picked)
            labels.append(targets)
        logits = self.bbox_head(
            self.bbox_roi_extractor(feats, self.rois(boxes)))
        return self.bbox_head.loss(logits, torch.cat(labels))

    def predict(self, feats: torch.Tensor,
                data_samples: Sequence) -> List[InstanceData]:
        """Action scores of every proposal, boxes normalized to the frame.

        Raises:
            KeyError: If a sample has no proposals or no ``img_shape``.
        """
        boxes = []
        for index, sample in enumerate(data_samples):
            proposals = self.proposal_boxes(sample, feats.device)
            if proposals is None:
                raise KeyError(
                    f'data sample {index} has no proposals: testing scores '
                    'the person boxes of the dataset proposal_file')
            boxes.append(proposals)
        logits = self.bbox_head(
            self.bbox_roi_extractor(feats, self.rois(boxes)))
        scores = self.bbox_head.predict(logits).split(
            [len(b) for b in boxes])
        return [
            InstanceData(
                bboxes=self.frame_boxes(b, s.metainfo, i), scores=c.detach())
            for i, (b, c, s) in enumerate(zip(boxes, scores, data_samples))
        ]

    @staticmethod
    def proposal_boxes(sample, device: torch.device):
        """The sample's proposal boxes (N, 4) as float32, or None."""
        proposals = sample.get('proposals')
        if proposals is None:
            return None
        return proposals.bboxes.to(device, torch.float32).reshape(-1, 4)

    @staticmethod
    def rois(boxes: List[torch.Tensor]) -> torch.Tensor:
        """(K, 5) rows ``[sample index, x1, y1, x2, y2]`` of per-sample
        boxes."""
        return torch.cat([
            torch.cat([b.new_full((len(b), 1), i), b], 1)
            for i, b in enumerate(boxes)
        ])

    @staticmethod
    def frame_boxes(boxes: torch.Tensor, meta: dict,
                    index: int) -> torch.Tensor:
        """Input-pixel boxes -> [0, 1] coordinates of the original frame.

        Undoes, in order, a horizontal ``flip`` (mmaction2's ``Flip`` maps
        x to ``width - x``), the resize (divides by ``img_shape``) and a
        crop (``crop_quadruple`` = x, y, w, h of the crop as fractions of
        the frame); pack ``flip`` / ``crop_quadruple`` in ``meta_keys`` when
        the test pipeline flips or crops.
        """
        if 'img_shape' not in meta:
            raise KeyError(f'data sample {index} has no img_shape metainfo')
        height, width = meta['img_shape']
        boxes = boxes.clone()
        if meta.get('flip', False):
            boxes[:, [0, 2]] = width - boxes[:, [2, 0]]
        boxes[:, 0::2] /= width
        boxes[:, 1::2] /= height
        x, y, w, h = (float(v) for v in meta.get('crop_quadruple',
                                                 (0., 0., 1., 1.)))
        boxes[:, 0::2] = boxes[:, 0::2] * w + x
        boxes[:, 1::2] = boxes[:, 1::2] * h + y
        return boxes
