"""Build mmaction2 video lists for the three UCF101 splits.

From the official ``ucfTrainTestlist`` folder: ``classInd.txt`` (``1
ApplyEyeMakeup`` ...: 1-based label and class name),
``trainlist0{1,2,3}.txt`` (``ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi
1``) and ``testlist0{1,2,3}.txt`` (paths only). Labels are taken from the
class folder of each path (case-insensitively, as a few file names differ
in case from classInd.txt) and made 0-based.

Example::

    python data_preparation/ucf101/build_file_list.py \\
        --anno-dir data/ucf101/ucfTrainTestlist --out-dir data/ucf101
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

if not __package__:  # run as a script: put the repository root on path
    sys.path.insert(
        0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from data_preparation.common import (Entry, read_lines, replace_ext,
                                     write_classes, write_list)

LIST_FILES = {'train': 'trainlist{:02d}.txt', 'val': 'testlist{:02d}.txt'}


def read_classes(path: str) -> List[str]:
    """Read ``classInd.txt``.

    Args:
        path (str): The ``classInd.txt`` file.

    Returns:
        list[str]: The class names, ordered by 0-based label.
    """
    classes = {}
    for line in read_lines(path):
        fields = line.split()
        if len(fields) != 2 or not fields[0].isdigit():
            raise ValueError(f'Bad line {line!r} in {path}: expected '
                             '"<index> <class>"')
        classes[int(fields[0]) - 1] = fields[1]
    if sorted(classes) != list(range(len(classes))):
        raise ValueError(f'{path} does not number its classes 1 to '
                         f'{len(classes)}')
    return [classes[index] for index in range(len(classes))]


def build_entries(path: str, classes: Sequence[str],
                  ext: Optional[str]) -> List[Entry]:
    """Read a train or test list into ``(video path, label)`` entries.

    Args:
        path (str): The ``trainlist0N.txt`` or ``testlist0N.txt`` file.
        classes (Sequence[str]): The class names, ordered by label.
        ext (str, optional): A new video extension, or None to keep it.

    Returns:
        list[tuple[str, int]]: The entries, 0-based labels.
    """
    index = {name.lower(): label for label, name in enumerate(classes)}
    entries = []
    for line in read_lines(path):
        video = line.split()[0]
        folder = video.split('/')[0].lower()
        if folder not in index:
            raise ValueError(f'Unknown class folder of {video} in {path}')
        entries.append((replace_ext(video, ext), index[folder]))
    return entries


def build_lists(anno_dir: str,
                out_dir: str,
                splits: Sequence[int] = (1, 2, 3),
                ext: Optional[str] = None) -> Dict[str, str]:
    """Write ``ucf101_{train,val}_split_<n>_videos.txt`` and the label map.

    Args:
        anno_dir (str): The ``ucfTrainTestlist`` folder.
        out_dir (str): Where to write the lists.
        splits (Sequence[int]): The official splits to convert.
            Defaults to (1, 2, 3).
        ext (str, optional): A new video extension (e.g. 'mp4' after
            resize_videos.py), or None to keep '.avi'. Defaults to None.

    Returns:
        dict[str, str]: The list files keyed by ``'<train|val>_<n>'``, and
        the label map under ``'classes'``.
    """
    classes = read_classes(osp.join(anno_dir, 'classInd.txt'))
    outputs = {'classes': osp.join(out_dir, 'ucf101_label_map.txt')}
    write_classes(classes, outputs['classes'])
    for split in splits:
        for subset, pattern in LIST_FILES.items():
            entries = build_entries(
                osp.join(anno_dir, pattern.format(split)), classes, ext)
            key = f'{subset}_{split}'
            outputs[key] = osp.join(
                out_dir, f'ucf101_{subset}_split_{split}_videos.txt')
            write_list(entries, outputs[key])
    return outputs


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Build mmaction2 video lists for UCF101')
    parser.add_argument(
        '--anno-dir', required=True, help='the ucfTrainTestlist folder')
    parser.add_argument('--out-dir', required=True, help='output folder')
    parser.add_argument(
        '--splits', nargs='+', type=int, choices=(1, 2, 3), default=[1, 2, 3])
    parser.add_argument(
        '--ext',
        help='new video extension, e.g. mp4 after '
        'resize_videos.py (default: keep avi)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    build_lists(args.anno_dir, args.out_dir, args.splits, args.ext)


if __name__ == '__main__':
    main()
