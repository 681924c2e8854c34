"""Load a per-pixel map stored next to a video and align it to the clip."""
import os.path as osp
from typing import Dict, Tuple

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform

from mmvmae.registry import TRANSFORMS
from .companion_files import companion_path

INTERPOLATIONS = ('nearest', 'bilinear')


def clip_geometry(results: Dict) -> Tuple:
    """Crop (``crop_quadruple``), flip and size the clip has undergone."""
    quadruple = results.get('crop_quadruple', (0., 0., 1., 1.))
    return (tuple(round(float(v), 6) for v in quadruple),
            bool(results.get('flip', False)),
            results.get('flip_direction', 'horizontal'),
            tuple(results['img_shape']))


def check_aligned(results: Dict, key: str) -> None:
    """Fail if the clip was cropped, resized or flipped after the map in
    ``results[key]`` was aligned to it by :class:`LoadScoreMap`."""
    loaded = results.get(f'{key}_geometry')
    if loaded is not None and loaded != clip_geometry(results):
        raise ValueError(
            f'the clip was cropped, resized or flipped after LoadScoreMap '
            f'aligned {key!r} to it ({loaded} -> {clip_geometry(results)}); '
            'place LoadScoreMap after the geometric transforms')


def resize_nearest(maps: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of (T, h, w) maps of any dtype to size."""
    h, w = maps.shape[1:]
    rows = ((np.arange(size[0]) + .5) * h / size[0]).astype(int)
    cols = ((np.arange(size[1]) + .5) * w / size[1]).astype(int)
    return maps[:, rows][:, :, cols]


@TRANSFORMS.register_module()
class LoadScoreMap(BaseTransform):
    """Read a score or label map of the video and align it to the clip.

    The ``.npy`` file holds either one map per video frame, ``(F, h, w)``,
    of which the clip's ``frame_inds`` are taken, or one map ``(h, w)`` for
    every frame, in the video's frame coordinates at any resolution. Place
    this transform after the geometric augmentations (crops, ``Resize``,
    ``Flip``) and before the transform that reads the map: it applies their
    recorded ``crop_quadruple``, ``flip`` and ``img_shape`` (crop, then flip
    as mmaction2 requires, then resize), giving ``(T, H, W)`` or ``(H, W)``
    maps of the clip's size. Readers check that no geometric transform ran
    after it.

    Args:
        path_template (str): Path of the map, formatted with the video's
            ``{dirname}``, ``{stem}`` (file name without extension) and
            ``{basename}``, e.g.
            ``'{dirname}/../face_parsing/{stem}.npy'``.
        key (str): Results key to write. Defaults to ``'score_map'``.
        interpolation (str): ``'nearest'`` (label maps, dtype kept) or
            ``'bilinear'`` (scores, float32). Defaults to ``'bilinear'``.
    """

    def __init__(self,
                 path_template: str,
                 key: str = 'score_map',
                 interpolation: str = 'bilinear') -> None:
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f'interpolation must be one of '
                             f'{INTERPOLATIONS}, got {interpolation!r}')
        self.path_template = path_template
        self.key = key
        self.interpolation = interpolation

    def read_frames(self, path: str, results: Dict) -> np.ndarray:
        """The stored maps of the clip's frames (T, h, w), or the one map
        (h, w) of every frame."""
        stored = np.load(path, mmap_mode='r')
        if stored.ndim == 2:
            return np.asarray(stored)
        if stored.ndim != 3:
            raise ValueError(f'{path} holds an array of shape {stored.shape}'
                             '; expected (frames, h, w) or (h, w)')
        inds = np.asarray(results['frame_inds']).reshape(-1)
        if inds.max() >= stored.shape[0]:
            raise ValueError(f'{path} holds {stored.shape[0]} frame maps, '
                             f'but frame {int(inds.max())} of '
                             f"{results['filename']} was sampled")
        return np.asarray(stored[inds])

    def align(self, maps: np.ndarray, results: Dict) -> np.ndarray:
        """Crop, flip and resize (T, h, w) maps as the clip was."""
        if results.get('lazy'):
            raise ValueError('LoadScoreMap does not follow lazy transforms; '
                             'run the crops without lazy=True')
        h, w = maps.shape[1:]
        x, y, qw, qh = results.get('crop_quadruple', (0., 0., 1., 1.))
        maps = maps[:, int(round(y * h)):int(round((y + qh) * h)),
                    int(round(x * w)):int(round((x + qw) * w))]
        if results.get('flip'):
            axis = 2 if results.get('flip_direction',
                                    'horizontal') == 'horizontal' else 1
            maps = np.flip(maps, axis)
        size = tuple(results['img_shape'])
        if self.interpolation == 'nearest':
            return np.ascontiguousarray(resize_nearest(maps, size))
        return np.stack([
            mmcv.imresize(np.asarray(m, np.float32), size[::-1],
                          interpolation='bilinear') for m in maps
        ])

    def transform(self, results: Dict) -> Dict:
        """Add the aligned map under ``key``."""
        path = companion_path(self.path_template, results['filename'])
        if not osp.isfile(path):
            raise FileNotFoundError(f"no map for {results['filename']}: "
                                    f'{path} does not exist')
        maps = self.read_frames(path, results)
        if maps.ndim == 2:
            results[self.key] = self.align(maps[None], results)[0]
        else:
            results[self.key] = self.align(maps, results)
        results[f'{self.key}_geometry'] = clip_geometry(results)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(path_template='
                f'{self.path_template!r}, key={self.key!r}, '
                f'interpolation={self.interpolation!r})')
