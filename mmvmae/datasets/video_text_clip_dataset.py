"""Video clips paired with captions (mmaction2 JSON, JSON lists, JSONL)."""
import json
import os.path as osp
from typing import Any, Callable, List, Union

import numpy as np
from mmengine.logging import print_log

from mmvmae.registry import DATASETS
from .video_clip_dataset import VideoClipDataset

CAPTION_SAMPLING = ('random', 'each')
POLICIES = ('error', 'fill')


VIDEO_KEYS = ('video', 'filename')
CAPTION_KEYS = ('caption', 'text')


def read_caption_records(ann_file: str) -> List[dict]:
    """Records ``dict(video, captions, where[, label])`` of an annotation.

    ``.json``: mmaction2's ``VideoTextDataset`` mapping
    ``{"video.mp4": ["caption", ...]}``, or a list of records (UMT /
    InternVideo style). ``.jsonl``: one record per line. A record is
    ``{"video": path, "caption": str | [str]}`` (``filename`` / ``text``
    are accepted too), with an optional integer ``label``.
    """
    if ann_file.endswith('.jsonl'):
        records = []
        with open(ann_file) as f:
            for number, line in enumerate(f, 1):
                if line.strip():
                    where = f'{ann_file}:{number}'
                    try:
                        entry = json.loads(line)
                    except json.JSONDecodeError as error:
                        raise ValueError(
                            f'{where}: not JSON ({error})') from error
                    records.append(record_fields(entry, where))
        return records
    if not ann_file.endswith('.json'):
        raise ValueError(f'caption annotation {ann_file} must be .json or '
                         '.jsonl')
    with open(ann_file) as f:
        content = json.load(f)
    if isinstance(content, dict):
        return [
            dict(video=video, captions=captions, where=f'{ann_file}: {video}')
            for video, captions in content.items()
        ]
    if isinstance(content, list):
        return [
            record_fields(entry, f'{ann_file}[{i}]')
            for i, entry in enumerate(content)
        ]
    raise ValueError(f'{ann_file} must hold a mapping video -> captions or '
                     f'a list of records, got {type(content).__name__}')


def record_fields(entry: Any, where: str) -> dict:
    """``dict(video, captions, where[, label])`` of one record."""
    if not isinstance(entry, dict):
        raise ValueError(f'{where}: a record must be an object, got '
                         f'{entry!r}')
    video = next((entry[k] for k in VIDEO_KEYS if k in entry), None)
    if not isinstance(video, str):
        raise ValueError(f'{where}: a record needs a video path string '
                         f'under one of {VIDEO_KEYS}, got {entry!r}')
    record = dict(
        video=video,
        captions=next((entry[k] for k in CAPTION_KEYS if k in entry), None),
        where=where)
    if 'label' in entry:
        if not isinstance(entry['label'], int):
            raise ValueError(f'{where}: label must be an integer, got '
                             f'{entry["label"]!r}')
        record['label'] = entry['label']
    return record


@DATASETS.register_module()
class VideoTextClipDataset(VideoClipDataset):
    """:class:`VideoClipDataset` whose samples carry a caption.

    Each sample's ``results`` get ``text`` (str) and ``text_present``
    (bool); pack them with
    ``PackActionInputs(algorithm_keys=('text', 'text_present'))`` and
    tokenize in the model (``TextEncoder``, ``captions_of``). Formats: see
    :func:`read_caption_records`; a caption is a string or a list of
    strings; paths are joined to ``data_prefix['video']``.

    ``caption_sampling='random'`` gives one sample per video and draws one
    of its captions each time it is loaded (pretraining);
    ``'each'`` gives one sample per (video, caption) pair, as mmaction2's
    ``VideoTextDataset`` (retrieval evaluation).

    A missing caption (no ``caption`` field, null, an empty list, a blank
    string) is found when the annotation is read: with
    ``on_missing='error'`` it raises naming the video and the record; with
    ``'fill'`` blank captions are dropped, a video left without any gets
    ``text=''`` and ``text_present=False`` (losses give it weight 0), and
    every missing caption is logged with its video and counted in
    :attr:`missing`.

    Args:
        ann_file (str): ``.json`` or ``.jsonl`` caption annotation.
        pipeline (list): Per-clip transforms after decoding.
        caption_sampling (str): ``'random'`` or ``'each'``. Defaults to
            ``'random'``.
        on_missing (str): ``'error'`` or ``'fill'``. Defaults to
            ``'error'``.
        **kwargs: Passed to :class:`VideoClipDataset`.
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[dict, Callable]],
                 caption_sampling: str = 'random',
                 on_missing: str = 'error',
                 **kwargs) -> None:
        if caption_sampling not in CAPTION_SAMPLING:
            raise ValueError(f'caption_sampling must be one of '
                             f'{CAPTION_SAMPLING}, got {caption_sampling!r}')
        if on_missing not in POLICIES:
            raise ValueError(f'on_missing must be one of {POLICIES}, got '
                             f'{on_missing!r}')
        self.caption_sampling = caption_sampling
        self.on_missing = on_missing
        self.missing = 0
        super().__init__(ann_file, pipeline, **kwargs)

    def load_data_list(self) -> List[dict]:
        """One entry per video (``'random'``) or per caption (``'each'``).
        """
        data_list = []
        for record in read_caption_records(self.ann_file):
            filename = osp.join(self.data_prefix['video'], record['video'])
            texts = self.usable_captions(record['captions'], filename,
                                         record['where'])
            entry = dict(filename=filename, text_present=bool(texts))
            if 'label' in record:
                entry['label'] = record['label']
            if not texts:
                data_list.append(dict(entry, text=''))
            elif self.caption_sampling == 'each':
                data_list.extend(dict(entry, text=text) for text in texts)
            else:
                data_list.append(dict(entry, captions=texts))
        if not data_list:
            raise ValueError(f'annotation file {self.ann_file} has no '
                             'entries')
        if self.missing:
            print_log(
                f'{self.missing} missing captions in {self.ann_file} '
                f'(on_missing=fill)', logger='current', level=30)
        return data_list

    def usable_captions(self, captions: Any, filename: str,
                        where: str) -> List[str]:
        """Non-blank captions; each missing one raises or is counted."""
        if captions is None:
            captions = []
        elif isinstance(captions, str):
            captions = [captions]
        if not isinstance(captions, list) or not all(
                isinstance(c, str) for c in captions):
            raise ValueError(f'{where}: captions must be a string or a '
                             f'list of strings, got {captions!r}')
        texts = [c for c in captions if c.strip()]
        problems = [f'caption {i} is blank ({c!r})'
                    for i, c in enumerate(captions) if not c.strip()]
        if not captions:
            problems = ['no caption']
        for problem in problems:
            if self.on_missing == 'error':
                raise ValueError(
                    f'{where}: video {filename}: {problem}; fix the '
                    "annotation or set on_missing='fill'")
            self.missing += 1
            print_log(f'missing caption: video {filename}: {problem} '
                      f'({where})', logger='current', level=30)
        return texts

    def get_data_info(self, idx: int) -> dict:
        """Annotation of ``idx``; in ``'random'`` mode with a caption drawn
        from the video's captions (numpy's seeded generator)."""
        info = super().get_data_info(idx)
        captions = info.pop('captions', None)
        if captions is not None:
            info['text'] = captions[np.random.randint(len(captions))]
        return info
