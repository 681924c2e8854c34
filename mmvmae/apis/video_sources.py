"""The videos to extract features from: files, folders, list files and
temporal-detection annotation files."""
import json
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.webm', '.mov', '.m4v', '.mpg',
                    '.mpeg', '.flv')
ANNOTATION_EXTENSIONS = ('.json', )


@dataclass(frozen=True)
class VideoSource:
    """One video to extract.

    Attributes:
        video_id (str): Name of its feature file (``<video_id>.npy``).
        path (str): The video file.
        error (str, optional): Why the video cannot be read although it was
            listed (e.g. no file for an annotated id); extraction fails on
            it with this message.
    """
    video_id: str
    path: str
    error: Optional[str] = None


def _is_video(path: str) -> bool:
    return osp.splitext(path)[1].lower() in VIDEO_EXTENSIONS


def _from_folder(folder: str) -> List[VideoSource]:
    """The video files directly in ``folder``, by extension."""
    return [
        VideoSource(osp.splitext(name)[0], osp.join(folder, name))
        for name in sorted(os.listdir(folder))
        if _is_video(name) and osp.isfile(osp.join(folder, name))
    ]


def _find_video(root: str, video_id: str) -> VideoSource:
    """``<root>/<video_id><ext>`` for the first video extension found."""
    for ext in VIDEO_EXTENSIONS:
        path = osp.join(root, video_id + ext)
        if osp.isfile(path):
            return VideoSource(video_id, path)
    return VideoSource(
        video_id, osp.join(root, video_id),
        f'no video file for {video_id!r} in {root} (looked for the '
        f'extensions {", ".join(VIDEO_EXTENSIONS)}); set --video-root')


def _from_annotation(path: str, root: str,
                     subset: Optional[str]) -> List[VideoSource]:
    """Video ids of an ActivityNet / ActionFormer JSON (``database``) or of
    mmaction2's ActivityNet format (ids at the top level)."""
    with open(path) as f:
        data = json.load(f)
    if not isinstance(data, dict):
        raise ValueError(f'{path}: expected a JSON object of videos, got '
                         f'{type(data).__name__}')
    videos = data.get('database', data)
    if subset is not None:
        videos = {
            key: value
            for key, value in videos.items()
            if isinstance(value, dict) and value.get('subset') == subset
        }
    return [_find_video(root, video_id) for video_id in sorted(videos)]


def _from_list(path: str, root: str) -> List[VideoSource]:
    """One video per line (first field, as mmaction2's ``path label``
    lists), relative to ``root``; blank and ``#`` lines are skipped."""
    sources = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            file = osp.join(root, line.split()[0])
            sources.append(
                VideoSource(osp.splitext(osp.basename(file))[0], file))
    return sources


def _unique(sources: Iterable[VideoSource]) -> List[VideoSource]:
    """Sources sorted by id; the same id for two paths is an error."""
    by_id: Dict[str, VideoSource] = {}
    for source in sources:
        seen = by_id.setdefault(source.video_id, source)
        if osp.abspath(seen.path) != osp.abspath(source.path):
            raise ValueError(
                f'two videos have the id {source.video_id!r} (their feature '
                f'file would be the same): {seen.path} and {source.path}')
    return [by_id[key] for key in sorted(by_id)]


def collect_videos(inputs: Sequence[str],
                   video_root: Optional[str] = None,
                   subset: Optional[str] = None) -> List[VideoSource]:
    """The videos named by ``inputs``, sorted by id.

    Each input is a video file (by extension), a folder (its video files,
    not recursive), an annotation ``.json`` (ActivityNet / ActionFormer
    ``database`` or mmaction2's ActivityNet format: each video id is looked
    up as ``<video_root>/<id>.<ext>``) or a list file (one video path per
    line, first field, relative to ``video_root``). ``video_root``
    defaults to the folder of the list or annotation file. A video's id is
    its file name without extension.

    Args:
        inputs (Sequence[str]): Files, folders, lists, annotation files.
        video_root (str, optional): Where listed videos are.
        subset (str, optional): Only annotated videos of this ``subset``
            (e.g. ``'validation'``); list files and folders ignore it.

    Returns:
        list[VideoSource]: One per video id.

    Raises:
        FileNotFoundError: If an input does not exist.
        ValueError: If no video is found, or two paths share an id.
    """
    sources: List[VideoSource] = []
    for item in inputs:
        if osp.isdir(item):
            sources += _from_folder(item)
        elif not osp.isfile(item):
            raise FileNotFoundError(f'no such video, folder or list: {item}')
        elif _is_video(item):
            sources.append(
                VideoSource(osp.splitext(osp.basename(item))[0], item))
        else:
            root = video_root or osp.dirname(item)
            if item.lower().endswith(ANNOTATION_EXTENSIONS):
                sources += _from_annotation(item, root, subset)
            else:
                sources += _from_list(item, root)
    if not sources:
        raise ValueError(f'no videos found in {list(inputs)} (video '
                         f'extensions: {", ".join(VIDEO_EXTENSIONS)})')
    return _unique(sources)
