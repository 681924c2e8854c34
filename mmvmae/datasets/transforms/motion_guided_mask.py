"""Motion-guided masking (MGM): masks that move with the codec's motion."""
from typing import Dict, Tuple

import numpy as np
from mmengine.logging import print_log

from mmvmae.registry import TRANSFORMS
from .mask_generator import BaseMaskGenerator, clip_shape

# Samples per token side when averaging the block field over a token.
SAMPLES_PER_TOKEN = 4


def arriving_motion(results: Dict, grid: Tuple[int, int, int],
                    patch_size: int, tubelet_size: int) -> np.ndarray:
    """Motion of the content arriving at each token, slice to slice.

    Reads ``MotionVectorDecode``'s ``motion_fields`` (original-frame
    coordinates) at the first frame of each slice and maps the differences
    onto the final clip: the crop ``crop_quadruple`` (kept by mmaction2's
    crops in fractions of the original frame), the resize to the clip
    size, and a ``flip`` (assumed to come after the crops, as in
    mmaction2's pipelines). Like the codec's vectors, the motion is indexed
    by where the content arrives: token ``y`` of slice ``s + 1`` shows what
    was at ``y - motion[s, y]`` in slice ``s``.

    Returns:
        np.ndarray: ``(T' - 1, H', W', 2)`` displacements ``(dx, dy)`` in
        tokens.
    """
    _, h, w = grid
    frames, height, width = clip_shape(results)
    frame_inds = np.asarray(results['frame_inds']).reshape(-1)
    if len(frame_inds) != frames:
        raise ValueError(f'{len(frame_inds)} frame_inds for a clip of '
                         f'{frames} frames')
    fields = results['motion_fields']
    slice_frames = frame_inds[::tubelet_size].tolist()
    missing = [i for i in slice_frames if i not in fields]
    if missing:
        raise KeyError(f'motion_fields lacks frames {missing} of '
                       f'{results.get("filename")}')
    orig_h, orig_w = results['original_shape']
    qx, qy, qw, qh = results.get('crop_quadruple', (0., 0., 1., 1.))
    block = results['motion_block_size']
    offsets = (np.arange(SAMPLES_PER_TOKEN) + .5) / SAMPLES_PER_TOKEN
    ys = ((np.arange(h)[:, None] + offsets) * patch_size / height * qh +
          qy) * orig_h
    xs = ((np.arange(w)[:, None] + offsets) * patch_size / width * qw +
          qx) * orig_w
    first = fields[slice_frames[0]]
    rows = np.clip((ys // block).astype(int), 0, first.shape[0] - 1)
    cols = np.clip((xs // block).astype(int), 0, first.shape[1] - 1)
    stack = np.stack([fields[i] for i in slice_frames])
    steps = np.diff(stack, axis=0)[:, rows[:, :, None, None],
                                   cols[None, None]]
    # (T'-1, H', k, W', k, 2) -> mean over the k x k samples per token.
    motion = steps.mean(axis=(2, 4))
    motion[..., 0] *= width / (qw * orig_w) / patch_size
    motion[..., 1] *= height / (qh * orig_h) / patch_size
    if results.get('flip', False):
        axis = 2 if results.get('flip_direction',
                                'horizontal') == 'horizontal' else 1
        motion = np.flip(motion, axis=axis).copy()
        motion[..., 2 - axis] *= -1
    return motion


def departing_motion(arriving: np.ndarray) -> np.ndarray:
    """Where the content of each token goes: ``arriving`` turned around.

    Every token ``y`` sends its motion back to the token it came from,
    ``round(y - arriving[y])``; when several arrive from one token the
    largest motion wins (a moving object covers what it passes), and a
    token nothing came from (it gets covered) keeps its own motion. This
    moves the trailing edge of an object with it, where the arriving field
    already shows the uncovered background.

    Args:
        arriving (np.ndarray): ``(H', W', 2)`` motion ``(dx, dy)`` of one
            slice step of :func:`arriving_motion`.

    Returns:
        np.ndarray: ``(H', W', 2)`` motion indexed by the starting token.
    """
    h, w, _ = arriving.shape
    rows, cols = np.mgrid[:h, :w]
    src_rows = np.round(rows - arriving[..., 1]).astype(int).ravel()
    src_cols = np.round(cols - arriving[..., 0]).astype(int).ravel()
    inside = np.flatnonzero((src_rows >= 0) & (src_rows < h) &
                            (src_cols >= 0) & (src_cols < w))
    sources = src_rows[inside] * w + src_cols[inside]
    vectors = arriving.reshape(-1, 2)[inside]
    order = np.lexsort((np.hypot(*vectors.T), sources))
    largest = order[np.r_[sources[order][1:] != sources[order][:-1], True]]
    departing = arriving.reshape(-1, 2).copy()
    departing[sources[largest]] = vectors[largest]
    return departing.reshape(h, w, 2)


def track_visible(start: np.ndarray, motion: np.ndarray) -> np.ndarray:
    """Move visible token positions along ``motion``, one per cell.

    Each position moves by the motion of the cell it is in. A position that
    leaves the grid is replaced by a random free cell (new content enters);
    two positions never share a cell: in order, each takes the free cell
    nearest to it.

    Args:
        start (np.ndarray): ``(n, 2)`` distinct ``(row, col)`` cells of the
            first slice.
        motion (np.ndarray): ``(T' - 1, H', W', 2)`` motion ``(dx, dy)``
            of each token's content to the next slice
            (:func:`departing_motion`).

    Returns:
        np.ndarray: ``(T', n)`` flat cell indices, distinct within a slice.
    """
    _, h, w, _ = motion.shape
    cells = np.stack(
        np.meshgrid(np.arange(h), np.arange(w), indexing='ij'),
        -1).reshape(-1, 2)
    position = start.astype(np.float64)
    slices = [start[:, 0] * w + start[:, 1]]
    for step in motion:
        rows, cols = np.round(position).astype(int).T
        position = position + step[rows, cols, ::-1]
        inside = ((position > -.5) & (position < (h - .5, w - .5))).all(1)
        free = np.ones(h * w, bool)
        taken = np.empty(len(position), int)
        for i in np.flatnonzero(inside):
            distance = ((cells - position[i])**2).sum(1)
            taken[i] = np.flatnonzero(free)[distance[free].argmin()]
            free[taken[i]] = False
        entering = np.flatnonzero(~inside)
        taken[entering] = np.random.permutation(
            np.flatnonzero(free))[:len(entering)]
        position[entering] = cells[taken[entering]]
        slices.append(taken)
    return np.stack(slices)


@TRANSFORMS.register_module()
class MotionGuidedMaskGenerator(BaseMaskGenerator):
    """Masks that follow the codec's motion vectors (MGM, Fan et al. 2023).

    As tube masking, ``int(mask_ratio * H'W')`` tokens are masked in every
    temporal slice, starting from a random choice in the first slice. The
    visible tokens then move with the content under them: each slice's
    visible positions are the previous slice's moved by the motion of
    ``MotionVectorDecode`` (:func:`arriving_motion`,
    :func:`departing_motion`, :func:`track_visible`),
    so a masked object stays masked while it moves, instead of walking out
    of a fixed tube into visible positions. The paper's exact construction
    (mask shape, interpolation) is not public; this is mmvmae's design, see
    docs/methods/mgm.md.

    A clip without motion vectors (no ``motion_fields``, as from
    ``DecordDecode`` or frame lists, or a stream without any, such as
    intra-only H.264 or MJPEG) raises a ``ValueError`` naming the file, or
    with ``fallback='tube'`` gets a tube mask, logged with the file name
    and counted in :attr:`fallbacks` (per loader process).

    Must follow ``MotionVectorDecode`` and the geometric augmentations.
    :attr:`motion` keeps the last clip's token motion (None without one).

    Args:
        mask_ratio (float): Fraction of tokens hidden from the encoder.
        patch_size (int): Spatial patch size. Defaults to 16.
        tubelet_size (int): Frames per token. Defaults to 2.
        fallback (str): ``'error'`` or ``'tube'``. Defaults to ``'error'``.
    """

    def __init__(self,
                 mask_ratio: float,
                 patch_size: int = 16,
                 tubelet_size: int = 2,
                 fallback: str = 'error') -> None:
        super().__init__(mask_ratio, patch_size, tubelet_size)
        if fallback not in ('error', 'tube'):
            raise ValueError(f"fallback must be 'error' or 'tube', got "
                             f'{fallback!r}')
        self.fallback = fallback
        self.fallbacks = 0

    def sample_masked_tokens(self, results: Dict,
                             grid: Tuple[int, int, int]) -> np.ndarray:
        """Masked tokens that follow the sample's motion."""
        if not results.get('motion_vectors_found', False):
            self.without_motion(results.get('filename', '<unknown file>'))
            return self.masked_tokens(grid)
        arriving = arriving_motion(results, grid, self.patch_size,
                                   self.tubelet_size)
        motion = np.asarray([departing_motion(a) for a in arriving],
                            float).reshape(arriving.shape)
        return self.track(grid, motion)

    def without_motion(self, filename: str) -> None:
        """Raise, or count and log a fallback to tube masking."""
        if self.fallback == 'error':
            raise ValueError(
                f'{filename} has no motion vectors for '
                f'{type(self).__name__} (decode it with MotionVectorDecode '
                'from an H.264 / MPEG-4 stream with P frames, or set '
                "fallback='tube')")
        self.fallbacks += 1
        print_log(
            f'{filename} has no motion vectors: tube mask instead '
            f'({self.fallbacks} fallbacks in this loader process)',
            logger='current', level=30)

    def masked_tokens(self, grid: Tuple[int, int, int]) -> np.ndarray:
        """Masked tokens without motion: a tube mask."""
        t, h, w = grid
        return self.track(grid, np.zeros((t - 1, h, w, 2)))

    def track(self, grid: Tuple[int, int, int],
              motion: np.ndarray) -> np.ndarray:
        """Masked token indices: all but the cells tracked from a random
        first-slice choice along ``motion`` (T'-1, H', W', 2)."""
        t, h, w = grid
        per_slice = h * w
        num_visible = per_slice - int(self.mask_ratio * per_slice)
        first = np.random.permutation(per_slice)[:num_visible]
        visible = track_visible(np.stack(divmod(first, w), -1), motion)
        masked = np.ones((t, per_slice), bool)
        np.put_along_axis(masked, visible, False, axis=1)
        return np.flatnonzero(masked)

    def __repr__(self) -> str:
        return (f'{super().__repr__()[:-1]}, fallback={self.fallback!r})')
