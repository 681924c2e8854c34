"""Build mmaction2 video lists for the three HMDB51 splits.

From the official ``testTrainMulti_7030_splits`` folder: one file
``<class>_test_split<n>.txt`` per class and split, with lines
``<video>.avi <id>`` where id 1 means train, 2 means test and 0 unused.
Videos are stored as ``<class>/<video>.avi`` once the archives are
extracted; labels are the indices of the class names sorted
alphabetically.

Example::

    python data_preparation/hmdb51/build_file_list.py \\
        --anno-dir data/hmdb51/testTrainMulti_7030_splits \\
        --out-dir data/hmdb51
"""
import argparse
import glob
import os.path as osp
import re
import sys
from typing import Dict, List, Optional, Sequence, Tuple

if not __package__:  # run as a script: put the repository root on path
    sys.path.insert(
        0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from data_preparation.common import (Entry, read_lines, replace_ext,
                                     write_classes, write_list)

SPLIT_FILE = re.compile(r'(.+)_test_split[123]\.txt$')
# Subset of each id of the split files; id 0 (unused) is left out.
SUBSETS = {'1': 'train', '2': 'val'}


def find_classes(anno_dir: str) -> List[str]:
    """Return the class names of the split files, sorted.

    Args:
        anno_dir (str): The ``testTrainMulti_7030_splits`` folder.

    Returns:
        list[str]: The class names, ordered by label.
    """
    pattern = osp.join(anno_dir, '*_test_split*.txt')
    names = [
        SPLIT_FILE.match(osp.basename(path)) for path in glob.glob(pattern)
    ]
    classes = sorted({name.group(1) for name in names if name})
    if not classes:
        raise FileNotFoundError(f'Annotation files not found: {pattern}')
    return classes


def build_entries(anno_dir: str, classes: Sequence[str], split: int,
                  ext: Optional[str]) -> Dict[str, List[Entry]]:
    """Read the files of one split into train and val entries.

    Args:
        anno_dir (str): The ``testTrainMulti_7030_splits`` folder.
        classes (Sequence[str]): The class names, ordered by label.
        split (int): The official split, 1 to 3.
        ext (str, optional): A new video extension, or None to keep it.

    Returns:
        dict[str, list[tuple[str, int]]]: The ``'train'`` and ``'val'``
        entries.
    """
    entries = {subset: [] for subset in SUBSETS.values()}
    for label, name in enumerate(classes):
        path = osp.join(anno_dir, f'{name}_test_split{split}.txt')
        for line in read_lines(path):
            video, subset_id = _parse(line, path)
            if subset_id in SUBSETS:
                entries[SUBSETS[subset_id]].append(
                    (replace_ext(f'{name}/{video}', ext), label))
    return entries


def _parse(line: str, path: str) -> Tuple[str, str]:
    fields = line.split()
    if len(fields) != 2 or fields[1] not in ('0', '1', '2'):
        raise ValueError(f'Bad line {line!r} in {path}: expected '
                         '"<video> <0|1|2>"')
    return fields[0], fields[1]


def build_lists(anno_dir: str,
                out_dir: str,
                splits: Sequence[int] = (1, 2, 3),
                ext: Optional[str] = None) -> Dict[str, str]:
    """Write ``hmdb51_{train,val}_split_<n>_videos.txt`` and the label map.

    Args:
        anno_dir (str): The ``testTrainMulti_7030_splits`` folder.
        out_dir (str): Where to write the lists.
        splits (Sequence[int]): The official splits to convert.
            Defaults to (1, 2, 3).
        ext (str, optional): A new video extension (e.g. 'mp4' after
            resize_videos.py), or None to keep '.avi'. Defaults to None.

    Returns:
        dict[str, str]: The list files keyed by ``'<train|val>_<n>'``, and
        the label map under ``'classes'``.
    """
    classes = find_classes(anno_dir)
    outputs = {'classes': osp.join(out_dir, 'hmdb51_label_map.txt')}
    write_classes(classes, outputs['classes'])
    for split in splits:
        entries = build_entries(anno_dir, classes, split, ext)
        for subset, subset_entries in entries.items():
            key = f'{subset}_{split}'
            outputs[key] = osp.join(
                out_dir, f'hmdb51_{subset}_split_{split}_videos.txt')
            write_list(subset_entries, outputs[key])
    return outputs


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Build mmaction2 video lists for HMDB51')
    parser.add_argument(
        '--anno-dir',
        required=True,
        help='the testTrainMulti_7030_splits folder')
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
