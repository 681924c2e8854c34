"""Helpers shared by the dataset preparation scripts.

The list files written here follow mmaction2's ``VideoDataset`` format: one
video per line, ``relative/path.ext label``, or the path alone for
unlabelled videos (mmaction2 then gives them the label ``-1``).
"""
import os
import os.path as osp
from typing import Iterable, List, Optional, Sequence, Tuple

import av

Entry = Tuple[str, Optional[int]]
# Bit rate of the mpeg4 fallback encoder, for PyAV builds without libx264.
MPEG4_BIT_RATE = 2_000_000


def check_file(path: str) -> str:
    """Return ``path`` if it is an existing file, else raise an error.

    Args:
        path (str): The annotation file to check.

    Returns:
        str: ``path`` unchanged.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Annotation file not found: {path}')
    return path


def find_file(folder: str, names: Sequence[str]) -> str:
    """Return the first of ``names`` that exists in ``folder``.

    Official annotation files were released under several names; a missing
    file raises ``FileNotFoundError`` naming every candidate path.

    Args:
        folder (str): The folder to look in.
        names (Sequence[str]): The candidate file names, in order.

    Returns:
        str: The path of the first existing file.
    """
    paths = [osp.join(folder, name) for name in names]
    for path in paths:
        if osp.isfile(path):
            return path
    raise FileNotFoundError(f'Annotation file not found: {" or ".join(paths)}')


def pyav_video_codec() -> str:
    """Return 'libx264' if PyAV's FFmpeg can encode H.264, else 'mpeg4'."""
    try:
        av.codec.Codec('libx264', 'w')
    except av.error.FFmpegError:
        return 'mpeg4'
    return 'libx264'


def read_lines(path: str) -> List[str]:
    """Read the non-empty lines of a text file, stripped.

    Args:
        path (str): The text file; a missing file raises
            ``FileNotFoundError`` naming it.

    Returns:
        list[str]: The stripped, non-empty lines.
    """
    with open(check_file(path)) as f:
        return [line.strip() for line in f if line.strip()]


def replace_ext(path: str, ext: Optional[str]) -> str:
    """Replace the extension of ``path``, e.g. after re-encoding to mp4.

    Args:
        path (str): A file path.
        ext (str, optional): The new extension, with or without the dot.
            None keeps ``path`` unchanged.

    Returns:
        str: The path with the new extension.
    """
    if ext is None:
        return path
    return osp.splitext(path)[0] + '.' + ext.lstrip('.')


def write_list(entries: Iterable[Entry],
               path: str,
               verbose: bool = True) -> int:
    """Write an mmaction2 video list file, creating its folder.

    Args:
        entries (Iterable[tuple[str, int | None]]): ``(path, label)``
            pairs; a label of None writes the path alone.
        path (str): The list file to write.
        verbose (bool): Print the number of lines. Defaults to True.

    Returns:
        int: The number of lines written.
    """
    lines = [
        video if label is None else f'{video} {label}'
        for video, label in entries
    ]
    _write_lines(lines, path)
    if verbose:
        print(f'Wrote {len(lines)} lines to {path}')
    return len(lines)


def write_classes(classes: Sequence[str], path: str) -> None:
    """Write one class name per line; line ``i`` is the class of label i.

    Args:
        classes (Sequence[str]): The class names, ordered by label.
        path (str): The file to write.
    """
    _write_lines(classes, path)


def _write_lines(lines: Sequence[str], path: str) -> None:
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        f.writelines(line + '\n' for line in lines)
