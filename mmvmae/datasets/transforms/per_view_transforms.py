"""Augment, format and mask each view of a multi-view sample on its own."""
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
from mmcv.transforms import BaseTransform

from mmvmae.registry import TRANSFORMS

Pipeline = Sequence[Union[dict, Callable]]


def build_pipeline(transforms: Pipeline) -> List[Callable]:
    return [
        TRANSFORMS.build(t) if isinstance(t, dict) else t for t in transforms
    ]


@TRANSFORMS.register_module()
class PerViewTransforms(BaseTransform):
    """Run a pipeline on each view of a sample, then stack the views.

    The sampler (e.g. :class:`SampleViewPair`) writes ``num_views`` clips
    of ``clip_len`` frames one after the other. Each view gets its own copy
    of the results with its own frames and runs the view pipeline by itself,
    so random augmentations and mask generators draw independently per
    view. The pipeline must end with ``FormatShape`` and any mask
    generators: afterwards ``imgs`` of the views are concatenated along
    their first (clip) axis, e.g. ``(num_views, C, T, H, W)`` for
    ``NCTHW``, and each key of ``stack_keys`` is stacked on a new first
    axis, e.g. ``visible_ids`` ``(num_views, K)``. Other keys are view 0's.

    A frame that two views share (views that overlap in time) is copied
    for the later view, so in-place transforms such as ``Flip`` do not
    reach the other view.

    Args:
        transforms (list, optional): Pipeline applied to every view.
        view_transforms (list[list], optional): One pipeline per view
            (asymmetric augmentation, as SimCLR / ViC-MAE); give either
            this or ``transforms``.
        num_views (int): Views per sample. Defaults to 2.
        stack_keys (Sequence[str]): Per-view keys to stack. Defaults to
            ``('visible_ids', 'masked_ids')``.
    """

    def __init__(self,
                 transforms: Optional[Pipeline] = None,
                 view_transforms: Optional[Sequence[Pipeline]] = None,
                 num_views: int = 2,
                 stack_keys: Sequence[str] = ('visible_ids',
                                              'masked_ids')) -> None:
        if num_views < 2:
            raise ValueError(f'num_views must be >= 2, got {num_views}')
        if (transforms is None) == (view_transforms is None):
            raise ValueError('give exactly one of transforms (one pipeline '
                             'for every view) and view_transforms (one '
                             'pipeline per view)')
        if view_transforms is None:
            view_transforms = [transforms] * num_views
        if len(view_transforms) != num_views:
            raise ValueError(f'view_transforms has {len(view_transforms)} '
                             f'pipelines for num_views={num_views}')
        self.num_views = num_views
        self.stack_keys = tuple(stack_keys)
        self.pipelines = [build_pipeline(p) for p in view_transforms]

    def split(self, results: Dict) -> List[Dict]:
        """One results dict per view, with its frames and frame indices."""
        imgs, clip_len = results['imgs'], results.get('clip_len')
        num_clips = results.get('num_clips')
        if num_clips != self.num_views or clip_len is None or len(
                imgs) != self.num_views * clip_len:
            raise ValueError(
                f'PerViewTransforms expects {self.num_views} clips of '
                f'clip_len frames (a sampler such as SampleViewPair), got '
                f'num_clips={num_clips}, clip_len={clip_len} and '
                f'{len(imgs)} frames')
        seen, views = set(), []
        for index in range(self.num_views):
            part = slice(index * clip_len, (index + 1) * clip_len)
            frames = [
                img.copy() if id(img) in seen else img for img in imgs[part]
            ]
            seen.update(id(img) for img in imgs[part])
            view = dict(results, imgs=frames, num_clips=1)
            if 'frame_inds' in results:
                view['frame_inds'] = results['frame_inds'][part]
            views.append(view)
        return views

    def transform(self, results: Dict) -> Dict:
        """Augment, format and mask each view; stack them."""
        views = []
        for index, (view, pipeline) in enumerate(
                zip(self.split(results), self.pipelines)):
            for transform in pipeline:
                view = transform(view)
                if view is None:
                    raise ValueError(f'{transform!r} dropped view {index} '
                                     'of a sample')
            views.append(view)
        clips = [view['imgs'] for view in views]
        if not all(isinstance(c, np.ndarray) for c in clips) or len(
                {c.shape for c in clips}) != 1:
            shapes = [getattr(c, 'shape', type(c).__name__) for c in clips]
            raise ValueError(
                f'views must end as arrays of one shape (end each view '
                f'pipeline with FormatShape), got {shapes}')
        merged = dict(views[0], imgs=np.concatenate(clips),
                      num_clips=self.num_views)
        if 'frame_inds' in results:
            merged['frame_inds'] = results['frame_inds']
        for key in self.stack_keys:
            missing = [i for i, view in enumerate(views) if key not in view]
            if missing:
                raise KeyError(f'views {missing} lack {key!r}: put the '
                               'transform that writes it (e.g. a mask '
                               'generator) inside PerViewTransforms')
            merged[key] = np.stack([view[key] for view in views])
        return merged

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_views={self.num_views}, '
                f'stack_keys={self.stack_keys}, pipelines={self.pipelines})')
