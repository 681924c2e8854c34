"""Pick the training boxes of one keyframe: the positives of an assignment."""
from typing import Tuple

import torch

from mmvmae.registry import TASK_UTILS
from .max_iou_box_assigner import BoxAssignment


@TASK_UTILS.register_module()
class PositiveRoISampler:
    """mmdet's ``RandomSampler(pos_fraction=1)`` reduced to what the loss
    sees.

    With ``add_gt_as_proposals`` the ground-truth boxes are put in front of
    the proposals, each assigned to itself. At most ``num`` positives are
    kept (a random subset when there are more). mmdet would fill the
    remaining ``num - positives`` slots with negatives, but the multi-label
    action loss (mmaction2's ``BBoxHeadAVA`` and
    :class:`MultiLabelActionHead`) only counts boxes with a label, so
    negatives are not sampled at all.

    Args:
        num (int): Most boxes per keyframe. Defaults to 32.
        add_gt_as_proposals (bool): Train on the ground-truth boxes too.
            Defaults to True.
    """

    def __init__(self, num: int = 32, add_gt_as_proposals: bool = True):
        if num <= 0:
            raise ValueError(f'num must be positive, got {num}')
        self.num = num
        self.add_gt_as_proposals = add_gt_as_proposals

    def sample(self, assignment: BoxAssignment, boxes: torch.Tensor,
               gt_boxes: torch.Tensor,
               gt_labels: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Boxes (P, 4) and their multi-hot labels (P, C), P <= ``num``.

        Args:
            assignment (BoxAssignment): The assignment of ``boxes``.
            boxes (Tensor): The proposals (N, 4).
            gt_boxes (Tensor): Ground-truth boxes (K, 4).
            gt_labels (Tensor): Their multi-hot labels (K, C).
        """
        gt_inds, labels = assignment.gt_inds, assignment.labels
        if self.add_gt_as_proposals and len(gt_boxes):
            own = torch.arange(1, len(gt_boxes) + 1, device=gt_inds.device)
            boxes = torch.cat([gt_boxes.to(boxes.dtype), boxes])
            gt_inds = torch.cat([own, gt_inds])
            labels = torch.cat([gt_labels.to(labels.dtype), labels])
        positive = torch.nonzero(gt_inds > 0).squeeze(1)
        if len(positive) > self.num:
            keep = torch.randperm(len(positive), device=positive.device)
            positive = positive[keep[:self.num]].sort().values
        return boxes[positive], labels[positive]
