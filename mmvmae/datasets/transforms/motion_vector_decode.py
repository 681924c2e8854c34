"""Decode frames together with the codec's motion vectors (PyAV)."""
from typing import Dict, List, Optional, Tuple

import av
import numpy as np
from av.video.frame import PictureType
from mmcv.transforms import BaseTransform

from mmvmae.registry import TRANSFORMS

# B pictures sit between the anchor (I / P) frames they predict from.
BIDIRECTIONAL = {PictureType.B, PictureType.BI}


def rasterize_vectors(vectors: np.ndarray, shape: Tuple[int, int],
                      block_size: int) -> Tuple[np.ndarray, np.ndarray]:
    """Spread FFmpeg ``AVMotionVector`` records over a grid of blocks.

    Each vector's forward displacement (where its block's content moves
    between the reference and this frame, in pixels) is added to every
    ``block_size`` block that its ``w x h`` partition overlaps. Past and
    future references are kept apart, since their frame distances differ.

    Args:
        vectors (np.ndarray): Structured array from PyAV's
            ``MotionVectors.to_ndarray()``.
        shape (tuple): Frame ``(height, width)``.
        block_size (int): Side of a grid block in pixels.

    Returns:
        tuple: ``sums`` (2, gh, gw, 2) of displacements ``(dx, dy)`` and
        ``counts`` (2, gh, gw), index 0 for past and 1 for future
        references.
    """
    grid_h, grid_w = -(-shape[0] // block_size), -(-shape[1] // block_size)
    size = 2 * grid_h * grid_w
    if len(vectors) == 0:
        return (np.zeros((2, grid_h, grid_w, 2)),
                np.zeros((2, grid_h, grid_w)))
    scale = np.maximum(vectors['motion_scale'].astype(np.float64), 1)
    offset = np.stack([vectors['motion_x'], vectors['motion_y']], -1) / scale[
        :, None]
    # src = dst + motion / scale: content moves by dst - src from a past
    # reference and by src - dst towards a future one.
    future = vectors['source'] > 0
    displacement = np.where(future[:, None], offset, -offset)
    half_w, half_h = vectors['w'] / 2, vectors['h'] / 2
    left = np.clip(np.floor((vectors['dst_x'] - half_w) / block_size), 0,
                   grid_w).astype(int)
    right = np.clip(np.ceil((vectors['dst_x'] + half_w) / block_size), 0,
                    grid_w).astype(int)
    top = np.clip(np.floor((vectors['dst_y'] - half_h) / block_size), 0,
                  grid_h).astype(int)
    bottom = np.clip(np.ceil((vectors['dst_y'] + half_h) / block_size), 0,
                     grid_h).astype(int)
    width, height = right - left, bottom - top
    covered = np.where((width > 0) & (height > 0), width * height, 0)
    owner = np.repeat(np.arange(len(vectors)), covered)
    rank = np.arange(covered.sum()) - np.repeat(
        np.cumsum(covered) - covered, covered)
    cols = left[owner] + rank % width[owner]
    rows = top[owner] + rank // width[owner]
    cells = (future[owner] * grid_h + rows) * grid_w + cols
    sums = np.stack([
        np.bincount(cells, displacement[owner, i], size) for i in (0, 1)
    ], -1).reshape(2, grid_h, grid_w, 2)
    counts = np.bincount(cells, minlength=size).reshape(2, grid_h, grid_w)
    return sums, counts


def frame_velocities(rasters: List[Optional[tuple]],
                     anchors: List[bool]) -> List[np.ndarray]:
    """Per-frame motion (pixels per frame) from rasterized vectors.

    FFmpeg does not export which frame a vector refers to, only past or
    future. A past reference is taken to be the previous anchor (I/P)
    frame and a future one the next anchor, and displacements are divided
    by that distance. A frame without vectors (an I frame) keeps the
    previous frame's motion.

    Args:
        rasters (list): Per decoded frame, ``(sums, counts)`` of
            :func:`rasterize_vectors`, or None without vectors.
        anchors (list): Per decoded frame, whether it is an I/P frame.

    Returns:
        list: Per frame, an array (gh, gw, 2) of ``(dx, dy)``.
    """
    indices = np.arange(len(anchors))
    anchor_ids = indices[np.asarray(anchors, bool)]
    shape = next(r[0].shape[1:] for r in rasters if r is not None)
    velocity, velocities = np.zeros(shape), []
    for i, raster in enumerate(rasters):
        if raster is not None:
            sums, counts = raster
            before = anchor_ids[anchor_ids < i]
            after = anchor_ids[anchor_ids > i]
            past = i - before[-1] if len(before) else 1
            ahead = after[0] - i if len(after) else 1
            distance = np.array([past, ahead], np.float64)[:, None, None,
                                                           None]
            total = (sums / distance).sum(0)
            count = counts.sum(0)[..., None]
            velocity = np.divide(
                total, count, out=np.zeros_like(total), where=count > 0)
        velocities.append(velocity)
    return velocities


@TRANSFORMS.register_module()
class MotionVectorDecode(BaseTransform):
    """Decode frames and the codec's motion vectors in one PyAV pass.

    A drop-in replacement of ``DecordDecode`` (also as the ``decoder`` of
    ``VideoClipDataset``, which hands it the sorted union of all repeats'
    frame indices): it writes ``imgs`` (RGB ``uint8`` frames in the order
    of ``frame_inds``), ``original_shape`` and ``img_shape``, plus the keys
    below, into the dict it is given (as ``DecordDecode`` does; that is how
    ``VideoClipDataset`` passes them on to every repeat):

    - ``motion_fields``: dict frame index -> ``float32`` array
      ``(ceil(H / block_size), ceil(W / block_size), 2)``, the ``(dx, dy)``
      displacement in original pixels accumulated from the first requested
      frame (zeros there) to that frame. The motion between two requested
      frames ``a < b`` is ``motion_fields[b] - motion_fields[a]``: the
      per-frame fields of the frames in between, summed at fixed positions
      (no warping; fine over the few frames between sampled frames). Keyed
      by frame index, it serves every clip taken from the union.
    - ``motion_block_size``: ``block_size``.
    - ``motion_vectors_found``: whether a frame after the first requested
      one carried motion vectors (never for intra-only streams, MJPEG, VP9
      and other codecs whose decoder exports none).

    The file is opened from ``filename`` with FFmpeg's ``+export_mvs``
    (any init that sets ``total_frames`` works: ``DecordInit``,
    ``PyAVInit``) and decoded sequentially from the first frame; frame
    ``i`` is the ``i``-th decoded frame. Later geometric transforms
    (crop, resize, flip) leave the fields in original coordinates;
    ``MotionGuidedMaskGenerator`` maps them with ``crop_quadruple`` and
    ``flip``.

    Args:
        block_size (int): Pixels per side of a motion-field block.
            Defaults to 8 (H.264 partitions go down to 4, MPEG-4 Part 2
            to 8).
    """

    def __init__(self, block_size: int = 8) -> None:
        if block_size < 1:
            raise ValueError(f'block_size must be >= 1, got {block_size}')
        self.block_size = block_size

    def transform(self, results: Dict) -> Dict:
        """Decode ``frame_inds`` of ``filename`` with their motion."""
        filename = results['filename']
        frame_inds = np.asarray(results['frame_inds']).reshape(-1)
        wanted = set(frame_inds.tolist())
        first, last = min(wanted), max(wanted)
        frames, rasters, anchors = {}, [], []
        found = pending_future = False
        with av.open(filename) as container:
            stream = container.streams.video[0]
            stream.codec_context.options = {'flags2': '+export_mvs'}
            for index, frame in enumerate(container.decode(stream)):
                if index in wanted:
                    frames[index] = frame.to_ndarray(format='rgb24')
                anchor = PictureType(frame.pict_type) not in BIDIRECTIONAL
                # Motion up to the first wanted frame moves no mask.
                vectors = (
                    frame.side_data.get('MOTION_VECTORS')
                    if index > first else None)
                raster = None
                if vectors is not None and len(vectors):
                    found = True
                    array = vectors.to_ndarray()
                    raster = rasterize_vectors(
                        array, (frame.height, frame.width), self.block_size)
                    pending_future |= bool((array['source'] > 0).any())
                rasters.append(raster)
                anchors.append(anchor)
                pending_future &= not anchor
                # Past the last wanted frame, read on to the next anchor
                # only while a B frame still needs its future distance.
                if index >= last and not pending_future:
                    break
        if len(rasters) <= last:
            raise ValueError(f'{filename} has {len(rasters)} decodable '
                             f'frames, frame {last} was requested')
        shape = frames[last].shape[:2]
        results['imgs'] = [frames[i] for i in frame_inds.tolist()]
        results['original_shape'] = results['img_shape'] = shape
        results['motion_fields'] = self.accumulate(rasters, anchors,
                                                   sorted(wanted), shape)
        results['motion_block_size'] = self.block_size
        results['motion_vectors_found'] = found
        if 'video_reader' in results:
            results['video_reader'] = None
        return results

    def accumulate(self, rasters: list, anchors: list, wanted: list,
                   shape: Tuple[int, int]) -> Dict[int, np.ndarray]:
        """Displacement from the first wanted frame to each wanted frame."""
        grid = (-(-shape[0] // self.block_size),
                -(-shape[1] // self.block_size), 2)
        if all(r is None for r in rasters):
            return {i: np.zeros(grid, np.float32) for i in wanted}
        velocities = frame_velocities(rasters, anchors)
        fields, total, previous = {}, np.zeros(grid), wanted[0]
        for index in wanted:
            total = total + sum(velocities[previous + 1:index + 1],
                                np.zeros(grid))
            previous = index
            fields[index] = total.astype(np.float32)
        return fields

    def __repr__(self) -> str:
        return f'{type(self).__name__}(block_size={self.block_size})'
