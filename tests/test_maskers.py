"""Shared logic of the model-side maskers."""
import pytest
import torch

from mmvmae.models.maskers import masks_from_visible


def test_masks_from_bool_map_and_indices_agree():
    visible = torch.tensor([[True, False, True, False],
                            [False, False, True, True]])
    masks = masks_from_visible(visible, 4)
    assert masks.visible_ids.tolist() == [[0, 2], [2, 3]]
    assert masks.masked_ids.tolist() == [[1, 3], [0, 1]]
    assert masks.query_ids.tolist() == masks.masked_ids.tolist()
    again = masks_from_visible(torch.tensor([[2, 0], [3, 2]]), 4)
    assert again.visible_ids.tolist() == [[0, 2], [2, 3]]


def test_masks_from_visible_rejects_unequal_or_degenerate_counts():
    with pytest.raises(ValueError, match=r'differ across the batch: \[2, 1\]'):
        masks_from_visible(torch.tensor([[True, True, False],
                                         [True, False, False]]), 3)
    with pytest.raises(ValueError, match='3 of 3 tokens visible'):
        masks_from_visible(torch.ones(1, 3, dtype=torch.bool), 3)
