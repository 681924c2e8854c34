"""Asymmetric tube masking (AMD): a student mask and a looser teacher mask."""
from typing import Dict, Tuple

import numpy as np

from mmvmae.registry import TRANSFORMS
from .mask_generator import BaseMaskGenerator


def tube_ids(positions: np.ndarray, grid: Tuple[int, int, int]) -> np.ndarray:
    """Sorted int64 indices of the tubes at spatial ``positions``."""
    t, h, w = grid
    per_slice = h * w
    tubes = np.arange(t)[:, None] * per_slice + np.sort(positions)
    return tubes.ravel().astype(np.int64)


@TRANSFORMS.register_module()
class AsymmetricTubeMaskGenerator(BaseMaskGenerator):
    """Tube masks of a student and of its teacher from one random order.

    One random order of the ``H'W'`` positions of a slice is drawn per
    sample and tiled over time (tube masking). Its first
    ``int(mask_ratio * H'W')`` positions are hidden from the student and the
    first ``int(teacher_mask_ratio * H'W')`` of those from the teacher, so
    the teacher sees every student-visible token plus the *diff* tokens
    (student-masked, teacher-visible). At 14x14 with 0.9 / 0.75 (AMD's
    ``t_consist`` masking) a slice has 20 student-visible, 49
    teacher-visible and 29 diff tokens.

    Writes sorted int64 arrays into the results: ``visible_ids`` and
    ``masked_ids`` (the student's), ``teacher_visible_ids`` and
    ``diff_ids``; and ``token_grid``.

    Args:
        mask_ratio (float): Fraction hidden from the student. Defaults to
            0.9.
        teacher_mask_ratio (float): Fraction hidden from the teacher; must
            be in ``(0, mask_ratio)``. Defaults to 0.75.
        patch_size (int): Spatial patch size. Defaults to 16.
        tubelet_size (int): Frames per token. Defaults to 2.
    """

    def __init__(self,
                 mask_ratio: float = 0.9,
                 teacher_mask_ratio: float = 0.75,
                 patch_size: int = 16,
                 tubelet_size: int = 2) -> None:
        super().__init__(mask_ratio, patch_size, tubelet_size)
        if not 0 < teacher_mask_ratio < mask_ratio:
            raise ValueError(
                f'teacher_mask_ratio must be in (0, mask_ratio={mask_ratio})'
                f' so that the teacher sees more than the student, got '
                f'{teacher_mask_ratio}')
        self.teacher_mask_ratio = teacher_mask_ratio

    def masked_per_slice(self, grid: Tuple[int, int, int]) -> Tuple[int, int]:
        """Positions per slice hidden from the student and from the teacher.

        Raises:
            ValueError: If the student would see no token or have none
                masked, or no token is visible to the teacher only.
        """
        per_slice = grid[1] * grid[2]
        student = int(self.mask_ratio * per_slice)
        teacher = int(self.teacher_mask_ratio * per_slice)
        if not 0 < student < per_slice or teacher >= student:
            raise ValueError(
                f'mask ratios {self.mask_ratio} / {self.teacher_mask_ratio} '
                f'hide {student} / {teacher} of {per_slice} positions per '
                f'slice on grid {tuple(grid)}; the student needs visible and '
                'masked positions and the teacher must see more than the '
                'student')
        return student, teacher

    def draw(self, grid: Tuple[int, int, int]) -> Dict[str, np.ndarray]:
        """Student and teacher index arrays of one random order."""
        student, teacher = self.masked_per_slice(grid)
        order = np.random.permutation(grid[1] * grid[2])
        return dict(
            visible_ids=tube_ids(order[student:], grid),
            masked_ids=tube_ids(order[:student], grid),
            teacher_visible_ids=tube_ids(order[teacher:], grid),
            diff_ids=tube_ids(order[teacher:student], grid))

    def masked_tokens(self, grid: Tuple[int, int, int]) -> np.ndarray:
        """Student-masked tokens of a fresh draw."""
        return self.draw(grid)['masked_ids']

    def transform(self, results: Dict) -> Dict:
        """Add the student and teacher index arrays to ``results``."""
        grid = self.token_grid(results)
        results.update(self.draw(grid))
        results['token_grid'] = grid
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(mask_ratio={self.mask_ratio}, '
                f'teacher_mask_ratio={self.teacher_mask_ratio}, '
                f'patch_size={self.patch_size}, '
                f'tubelet_size={self.tubelet_size})')
