"""Assign proposals to ground-truth boxes by IoU (multi-label targets)."""
from typing import NamedTuple, Tuple, Union

import torch
from torchvision.ops import box_iou

from mmvmae.registry import TASK_UTILS


class BoxAssignment(NamedTuple):
    """Result of :class:`MaxIoUBoxAssigner`.

    Attributes:
        gt_inds (Tensor): (N,) int64 per box: -1 ignored, 0 negative,
            ``i + 1`` assigned to ground truth ``i``.
        max_ious (Tensor): (N,) best IoU of each box with any ground truth.
        labels (Tensor): (N, C) multi-hot targets, the assigned ground
            truth's row (zeros for unassigned boxes).
    """
    gt_inds: torch.Tensor
    max_ious: torch.Tensor
    labels: torch.Tensor


@TASK_UTILS.register_module()
class MaxIoUBoxAssigner:
    """mmdet's ``MaxIoUAssigner`` with mmaction2's AVA multi-label targets.

    1. Every box starts ignored (-1).
    2. Boxes whose best IoU is in ``[0, neg_iou_thr)`` (or in the
       ``(low, high)`` range) become negatives (0).
    3. Boxes whose best IoU is at least ``pos_iou_thr`` are assigned to that
       ground truth.
    4. With ``match_low_quality``, every ground truth whose best IoU is at
       least ``min_pos_iou`` also takes the boxes reaching that IoU (all of
       them with ``gt_max_assign_all``, else the first), in ground-truth
       order, overriding step 3.

    IoU is ``torchvision.ops.box_iou`` (no +1 on widths, as mmdet).

    Args:
        pos_iou_thr (float): IoU for a positive box.
        neg_iou_thr (float | tuple): IoU below which a box is negative, or
            a ``(low, high)`` range.
        min_pos_iou (float): Least IoU for the low-quality matches of
            step 4. Defaults to 0.
        gt_max_assign_all (bool): Step 4 takes every box tied at the best
            IoU. Defaults to True.
        match_low_quality (bool): Run step 4. Defaults to True.
    """

    def __init__(self,
                 pos_iou_thr: float,
                 neg_iou_thr: Union[float, Tuple[float, float]],
                 min_pos_iou: float = 0.,
                 gt_max_assign_all: bool = True,
                 match_low_quality: bool = True) -> None:
        if isinstance(neg_iou_thr, (tuple, list)) and len(neg_iou_thr) != 2:
            raise ValueError('neg_iou_thr must be a float or a (low, high) '
                             f'pair, got {neg_iou_thr!r}')
        self.pos_iou_thr = pos_iou_thr
        self.neg_iou_thr = neg_iou_thr
        self.min_pos_iou = min_pos_iou
        self.gt_max_assign_all = gt_max_assign_all
        self.match_low_quality = match_low_quality

    def assign(self, boxes: torch.Tensor, gt_boxes: torch.Tensor,
               gt_labels: torch.Tensor) -> BoxAssignment:
        """Assign ``boxes`` (N, 4) to ``gt_boxes`` (K, 4) with multi-hot
        ``gt_labels`` (K, C); boxes are ``x1, y1, x2, y2``."""
        if gt_labels.dim() != 2 or len(gt_labels) != len(gt_boxes):
            raise ValueError(
                'gt_labels must be multi-hot (K, num_classes) for the K '
                f'ground-truth boxes, got {tuple(gt_labels.shape)} for '
                f'{len(gt_boxes)} boxes')
        num_boxes = len(boxes)
        gt_inds = boxes.new_full((num_boxes, ), -1, dtype=torch.long)
        labels = gt_labels.new_zeros((num_boxes, gt_labels.shape[1]))
        if len(gt_boxes) == 0 or num_boxes == 0:
            if len(gt_boxes) == 0:
                gt_inds[:] = 0
            return BoxAssignment(gt_inds, boxes.new_zeros(num_boxes), labels)
        ious = box_iou(gt_boxes.float(), boxes.float())  # (K, N)
        max_ious, best_gt = ious.max(0)
        if isinstance(self.neg_iou_thr, (tuple, list)):
            low, high = self.neg_iou_thr
            negative = (max_ious >= low) & (max_ious < high)
        else:
            negative = (max_ious >= 0) & (max_ious < self.neg_iou_thr)
        gt_inds[negative] = 0
        positive = max_ious >= self.pos_iou_thr
        gt_inds[positive] = best_gt[positive] + 1
        if self.match_low_quality:
            gt_max_ious, best_box = ious.max(1)
            if self.gt_max_assign_all:
                takes = ious == gt_max_ious[:, None]
            else:
                takes = torch.zeros_like(ious, dtype=torch.bool)
                takes[torch.arange(len(gt_boxes)), best_box] = True
            takes &= (gt_max_ious >= self.min_pos_iou)[:, None]
            # Ground truths are applied in order: the last one taking a box
            # keeps it, i.e. the largest ``i + 1``.
            order = torch.arange(1, len(gt_boxes) + 1, device=ious.device)
            matched = (takes * order[:, None]).amax(0)
            gt_inds = torch.where(matched > 0, matched, gt_inds)
        assigned = gt_inds > 0
        labels[assigned] = gt_labels[gt_inds[assigned] - 1]
        return BoxAssignment(gt_inds, max_ious, labels)
