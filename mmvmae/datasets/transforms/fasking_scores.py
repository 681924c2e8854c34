"""Token priorities from face-parsing maps (MARLIN's facial region
masking, "fasking")."""
from typing import Dict, List, Tuple

import numpy as np
from mmcv.transforms import BaseTransform

from mmvmae.registry import TRANSFORMS
from .load_score_map import check_aligned
from .mask_generator import clip_shape

# Face-parsing labels 0..10 (FaceXZoo), grouped as MARLIN groups them.
BACKGROUND = (0, )
SKIN = (1, )
FACE_PARTS = (
    (2, 4),  # right eye (eye, brow)
    (3, 5),  # left eye
    (6, ),  # nose
    (7, 8, 9),  # mouth (upper lip, inner mouth, lower lip)
    (10, ),  # hair
)


@TRANSFORMS.register_module()
class FaskingScores(BaseTransform):
    """Per-token priority scores that make ``ScoreMaskGenerator(keep='high',
    sample='topk')`` reproduce MARLIN's fasking.

    MARLIN fills the visible set region by region, background first, then
    skin, then the five facial parts (right eye, left eye, nose, mouth,
    hair) in an order drawn at random per clip, and trims the last region
    at random to the visible count, so the facial parts are the ones
    masked. A token belongs to a region if its patch holds any pixel of it
    (max-pool), read on the first frame of its tubelet; a token in several
    regions takes the earliest. Its score is the number of regions minus the
    rank of that region (7 for background ... 1 for the last part, 0 for no
    known label), written as a token-grid map ``(T', H', W')``; the top-k
    choice then keeps whole regions in this order and breaks the tie inside
    the last one at random. ``opposite=True`` is MARLIN's ``fasking_opp``:
    the facial parts first (random order), then skin, then background.

    Args:
        patch_size (int): Spatial patch size. Defaults to 16.
        tubelet_size (int): Frames per token. Defaults to 2.
        parsing_key (str): Label maps ``(T, H, W)`` or ``(H, W)`` aligned to
            the clip, e.g. by ``LoadScoreMap(interpolation='nearest')``.
            Defaults to ``'face_parsing'``.
        score_key (str): Where the scores go. Defaults to ``'score_map'``.
        opposite (bool): ``fasking_opp``. Defaults to False.
    """

    def __init__(self,
                 patch_size: int = 16,
                 tubelet_size: int = 2,
                 parsing_key: str = 'face_parsing',
                 score_key: str = 'score_map',
                 opposite: bool = False) -> None:
        self.patch_size = patch_size
        self.tubelet_size = tubelet_size
        self.parsing_key = parsing_key
        self.score_key = score_key
        self.opposite = opposite

    def region_order(self) -> List[Tuple[int, ...]]:
        """Label groups in the order they become visible (one draw)."""
        parts = [FACE_PARTS[i] for i in np.random.permutation(len(FACE_PARTS))]
        if self.opposite:
            return parts + [SKIN, BACKGROUND]
        return [BACKGROUND, SKIN] + parts

    def first_frames(self, results: Dict) -> np.ndarray:
        """Labels of each tubelet's first frame, (T', H'', p, W'', p)."""
        if self.parsing_key not in results:
            raise KeyError(f'{type(self).__name__} reads results'
                           f'[{self.parsing_key!r}]: load the face-parsing '
                           'maps first (LoadScoreMap)')
        check_aligned(results, self.parsing_key)
        t, h, w = clip_shape(results)
        labels = np.asarray(results[self.parsing_key])
        if labels.shape == (h, w):
            labels = np.broadcast_to(labels, (t, h, w))
        if labels.shape != (t, h, w):
            raise ValueError(f'{self.parsing_key!r} has shape {labels.shape}'
                             f'; expected the clip {(t, h, w)} or {(h, w)}')
        p = self.patch_size
        if t % self.tubelet_size or h % p or w % p:
            raise ValueError(f'clip {(t, h, w)} does not divide into '
                             f'tubelets of {self.tubelet_size} and patches '
                             f'of {p}')
        return labels[::self.tubelet_size].reshape(-1, h // p, p, w // p, p)

    def transform(self, results: Dict) -> Dict:
        """Write the token priorities under ``score_key``."""
        labels = self.first_frames(results)
        order = self.region_order()
        scores = np.zeros(labels.shape[::2], np.float32)
        for rank, group in enumerate(order):
            inside = np.isin(labels, group).any(axis=(2, 4))
            scores[inside & (scores == 0)] = len(order) - rank
        results[self.score_key] = scores
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(patch_size={self.patch_size}, '
                f'tubelet_size={self.tubelet_size}, parsing_key='
                f'{self.parsing_key!r}, score_key={self.score_key!r}, '
                f'opposite={self.opposite})')
