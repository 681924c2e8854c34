"""Ground truth of temporal detection from an ActivityNet-style JSON file.

The format of ActivityNet 1.3 and ActionFormer (THUMOS14, EPIC-Kitchens,
Ego4D-MQ conversions) and of ``data/toy_det/annotations/toy_tad.json``::

    {"database": {"<video_id>": {"subset": "validation", "duration": 12.5,
        "annotations": [{"segment": [1.0, 4.5], "label": "left",
                         "label_id": 2}, ...]}, ...}}
"""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from mmvmae.structures.segment_ops import check_segments


def load_class_names(classes: Union[str, Sequence[str]]) -> List[str]:
    """Class names from a sequence or a text file with one name per line
    (line ``i`` is class ``i``; blank lines are skipped)."""
    if isinstance(classes, str):
        if not osp.isfile(classes):
            raise FileNotFoundError(f'class list {classes!r} not found')
        with open(classes, encoding='utf-8') as f:
            classes = [line.strip() for line in f if line.strip()]
    classes = list(classes)
    if len(set(classes)) != len(classes):
        raise ValueError(f'class names are not unique: {classes}')
    return classes


def load_tad_annotations(
        ann_file: str,
        subset: Optional[str] = None,
        label_key: str = 'label',
        classes: Optional[Union[str, Sequence[str]]] = None
) -> Tuple[Dict[str, dict], Optional[List[str]]]:
    """Read the ground truth of the videos of ``subset``.

    Args:
        ann_file: The JSON file.
        subset: Keep the videos whose ``subset`` equals this
            (case-insensitive, e.g. ``'validation'``); ``None`` keeps all.
        label_key: The annotation field holding the label: an integer class
            index (e.g. ``'label_id'``) or a class name (e.g. ``'label'``).
            Names become indices through ``classes`` or, without it, through
            the ``label_id`` the annotations give with each name (which must
            be consistent).
        classes: Class names (a sequence or a text file, one per line).

    Returns:
        tuple: ``video_id -> {'segments': (G, 2) float64 seconds, 'labels':
        (G,) int64, 'duration'}`` (videos without annotations included)
        and the class names (``None`` if unknown).
    """
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'annotation file {ann_file!r} not found')
    with open(ann_file, encoding='utf-8') as f:
        database = json.load(f)
    if not isinstance(database, dict) or not isinstance(
            database.get('database'), dict):
        raise ValueError(f'{ann_file} has no "database" dict of videos')
    database = database['database']
    if subset is not None:
        subsets = sorted({str(v.get('subset')) for v in database.values()})
        database = {
            video_id: video
            for video_id, video in database.items()
            if str(video.get('subset')).lower() == subset.lower()
        }
        if not database:
            raise ValueError(f'{ann_file} has no video in subset '
                             f'{subset!r}; its subsets are {subsets}')
    names = load_class_names(classes) if classes is not None else None
    name_to_id = ({name: i for i, name in enumerate(names)}
                  if names is not None else _names_from_label_ids(
                      database, label_key, ann_file))
    ground_truth = {}
    for video_id, video in database.items():
        annotations = video.get('annotations', [])
        segments = np.array([a['segment'] for a in annotations],
                            np.float64).reshape(-1, 2)
        check_segments(segments, f'{ann_file}: segments of {video_id!r}')
        labels = [
            _label_index(a, label_key, name_to_id, f'{ann_file}: '
                         f'{video_id!r}') for a in annotations
        ]
        if names is not None and any(not 0 <= i < len(names)
                                     for i in labels):
            raise ValueError(f'{ann_file}: {video_id!r} has labels '
                             f'{labels} outside the {len(names)} classes')
        ground_truth[video_id] = dict(
            segments=segments,
            labels=np.array(labels, np.int64),
            duration=video.get('duration'))
    return ground_truth, names


def _label_index(annotation: dict, label_key: str, name_to_id, where: str):
    if label_key not in annotation:
        raise ValueError(f'{where}: an annotation has no {label_key!r}: '
                         f'{annotation}')
    label = annotation[label_key]
    if isinstance(label, str):
        if name_to_id is None or label not in name_to_id:
            raise ValueError(
                f'{where}: class name {label!r} is not among the classes '
                'given; pass classes=[...] or a class list file')
        return name_to_id[label]
    if isinstance(label, bool) or not float(label).is_integer():
        raise ValueError(f'{where}: label {label!r} is not an index')
    return int(label)


def _names_from_label_ids(database: dict, label_key: str,
                          ann_file: str) -> Optional[Dict[str, int]]:
    """``name -> label_id`` from annotations giving both, checked."""
    name_to_id: Dict[str, int] = {}
    for video_id, video in database.items():
        for annotation in video.get('annotations', []):
            name = annotation.get(label_key)
            if not isinstance(name, str) or 'label_id' not in annotation:
                continue
            label_id = int(annotation['label_id'])
            if name_to_id.setdefault(name, label_id) != label_id:
                raise ValueError(
                    f'{ann_file}: class {name!r} has label_id '
                    f'{name_to_id[name]} and {label_id} ({video_id!r})')
    return name_to_id or None
