"""Build mmaction2 video lists for Kinetics-400/600/700 from the CSVs.

The official annotation CSVs have one clip per row with the columns
``youtube_id``, ``time_start``, ``time_end``, ``split`` and, except in some
test files, ``label``. A clip is stored as
``<youtube_id>_<time_start:06d>_<time_end:06d>.<ext>``, either in one
folder per class (``--layout class-folder``, class names with spaces
replaced by underscores, as mmaction2 expects) or in a flat folder
(``--layout flat``, as in the CVDF tarballs). Labels are the indices of the
training classes sorted alphabetically.

Example::

    python data_preparation/kinetics/build_file_list.py \\
        --anno-dir data/kinetics400/annotations --out-dir data/kinetics400 \\
        --video-dir 'data/kinetics400/videos_{split}'
"""
import argparse
import csv
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

if not __package__:  # run as a script: put the repository root on path
    sys.path.insert(
        0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from data_preparation.common import (Entry, check_file, find_file,
                                     write_classes, write_list)

# Annotation file names of each split; the first one that exists is used.
CSV_NAMES = {
    'train': ('train.csv', ),
    'val': ('validate.csv', 'val.csv'),
    'test': ('test.csv', ),
}
REQUIRED_COLUMNS = ('youtube_id', 'time_start', 'time_end')


def read_csv(path: str) -> List[Dict[str, str]]:
    """Read an official Kinetics CSV.

    Args:
        path (str): The CSV file, with a header row.

    Returns:
        list[dict[str, str]]: One dict per clip, keyed by column name.
    """
    with open(check_file(path), newline='') as f:
        reader = csv.DictReader(f)
        missing = set(REQUIRED_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f'{path} lacks the columns {sorted(missing)}')
        return list(reader)


def clip_name(row: Dict[str, str], ext: str) -> str:
    """Return the file name of a clip, e.g. ``abc_000010_000020.mp4``.

    Args:
        row (dict[str, str]): A CSV row.
        ext (str): The video extension, without the dot.

    Returns:
        str: The file name.
    """
    start, end = (int(float(row[key])) for key in ('time_start', 'time_end'))
    return f'{row["youtube_id"]}_{start:06d}_{end:06d}.{ext}'


def class_folder(label: str) -> str:
    """Return the folder name of a class: spaces become underscores."""
    return label.replace(' ', '_')


def build_entries(rows: Sequence[Dict[str, str]], classes: Sequence[str],
                  layout: str, ext: str, path: str) -> List[Entry]:
    """Turn CSV rows into ``(video path, label)`` entries.

    Args:
        rows (Sequence[dict[str, str]]): The CSV rows.
        classes (Sequence[str]): The class names, ordered by label.
        layout (str): 'class-folder' or 'flat'.
        ext (str): The video extension, without the dot.
        path (str): The CSV file, named in error messages.

    Returns:
        list[tuple[str, int | None]]: The entries; the label is None for a
        CSV without a ``label`` column (flat layout only).
    """
    index = {name: label for label, name in enumerate(classes)}
    entries = []
    for row in rows:
        name = clip_name(row, ext)
        if 'label' not in row:
            if layout == 'class-folder':
                raise ValueError(f'{path} has no label column; use '
                                 '--layout flat for its videos')
            entries.append((name, None))
            continue
        if row['label'] not in index:
            raise ValueError(f'Unknown class {row["label"]!r} in {path}')
        if layout == 'class-folder':
            name = f'{class_folder(row["label"])}/{name}'
        entries.append((name, index[row['label']]))
    return entries


def drop_missing(entries: List[Entry], video_dir: str) -> List[Entry]:
    """Keep the entries whose video exists under ``video_dir``.

    Many YouTube clips of Kinetics cannot be downloaded any more, so a copy
    usually lacks some videos of the CSVs.

    Args:
        entries (list[tuple[str, int | None]]): The entries.
        video_dir (str): The folder the entry paths are relative to.

    Returns:
        list[tuple[str, int | None]]: The entries with an existing video.
    """
    if not osp.isdir(video_dir):
        raise FileNotFoundError(f'Video folder not found: {video_dir}')
    kept = [
        entry for entry in entries
        if osp.isfile(osp.join(video_dir, entry[0]))
    ]
    print(f'{len(entries) - len(kept)} of {len(entries)} videos are missing '
          f'from {video_dir} and left out')
    return kept


def build_lists(anno_dir: str,
                out_dir: str,
                splits: Sequence[str] = ('train', 'val'),
                layout: str = 'class-folder',
                ext: str = 'mp4',
                prefix: str = 'kinetics400',
                video_dir: Optional[str] = None) -> Dict[str, str]:
    """Write ``<prefix>_<split>_list_videos.txt`` and the label map.

    Args:
        anno_dir (str): The folder of the official CSVs.
        out_dir (str): Where to write the lists.
        splits (Sequence[str]): Splits among 'train', 'val' and 'test'.
            Defaults to ('train', 'val').
        layout (str): 'class-folder' or 'flat'. Defaults to 'class-folder'.
        ext (str): The video extension. Defaults to 'mp4'.
        prefix (str): The prefix of the output names.
            Defaults to 'kinetics400'.
        video_dir (str, optional): The video folder of a split, with
            ``{split}`` standing for the split name; if given, clips absent
            from it are left out. Defaults to None.

    Returns:
        dict[str, str]: The list file of each split, and the label map
        under ``'classes'``.
    """
    train_csv = find_file(anno_dir, CSV_NAMES['train'])
    train_rows = read_csv(train_csv)
    if not train_rows or 'label' not in train_rows[0]:
        raise ValueError(f'{train_csv} has no labelled rows')
    classes = sorted({row['label'] for row in train_rows})
    outputs = {'classes': osp.join(out_dir, f'{prefix}_label_map.txt')}
    write_classes(classes, outputs['classes'])
    for split in splits:
        path = find_file(anno_dir, CSV_NAMES[split])
        rows = train_rows if split == 'train' else read_csv(path)
        entries = build_entries(rows, classes, layout, ext.lstrip('.'), path)
        if video_dir is not None:
            entries = drop_missing(entries, video_dir.format(split=split))
        outputs[split] = osp.join(out_dir, f'{prefix}_{split}_list_videos.txt')
        write_list(entries, outputs[split])
    return outputs


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Build mmaction2 video lists from the Kinetics CSVs')
    parser.add_argument(
        '--anno-dir',
        required=True,
        help='folder of train.csv, '
        'validate.csv (or val.csv) and test.csv')
    parser.add_argument('--out-dir', required=True, help='output folder')
    parser.add_argument(
        '--splits',
        nargs='+',
        choices=tuple(CSV_NAMES),
        default=['train', 'val'])
    parser.add_argument(
        '--layout',
        choices=('class-folder', 'flat'),
        default='class-folder',
        help='videos in one folder per class, or all in one folder')
    parser.add_argument('--ext', default='mp4', help='video extension')
    parser.add_argument(
        '--prefix', default='kinetics400', help='prefix of output names')
    parser.add_argument(
        '--video-dir',
        help="video folder of each split, e.g. "
        "'data/kinetics400/videos_{split}'; clips absent from it are "
        'left out of the lists')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    build_lists(args.anno_dir, args.out_dir, args.splits, args.layout,
                args.ext, args.prefix, args.video_dir)


if __name__ == '__main__':
    main()
