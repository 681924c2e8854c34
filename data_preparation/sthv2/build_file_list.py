"""Build mmaction2 video lists for Something-Something V2 from its JSONs.

``something-something-v2-{train,validation}.json`` (``train.json`` and
``validation.json`` in the newer labels package) list the videos as
``{"id": "78687", "template": "Holding [something] next to [something]",
...}`` and ``labels.json`` (or ``something-something-v2-labels.json``) maps
each template with its brackets removed (``"Holding something next to
something"``) to a label (``"0"`` ...). The test JSON only has ids, so its
list has no labels. Videos are ``<id>.webm`` in the official download.

Example::

    python data_preparation/sthv2/build_file_list.py \\
        --anno-dir data/sthv2/annotations --out-dir data/sthv2
"""
import argparse
import json
import os.path as osp
import sys
from typing import Dict, List, Sequence

if not __package__:  # run as a script: put the repository root on path
    sys.path.insert(
        0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from data_preparation.common import (Entry, check_file, find_file,
                                     write_classes, write_list)

# Official file names: the 20BN release, then the Qualcomm labels package.
SPLIT_FILES = {
    'train': ('something-something-v2-train.json', 'train.json'),
    'val': ('something-something-v2-validation.json', 'validation.json'),
    'test': ('something-something-v2-test.json', 'test.json'),
}
LABEL_FILES = ('something-something-v2-labels.json', 'labels.json')


def load_json(path: str):
    """Load a JSON file; a missing file raises an error naming it."""
    with open(check_file(path)) as f:
        return json.load(f)


def load_labels(path: str) -> Dict[str, int]:
    """Load ``labels.json``: template without brackets -> label.

    Args:
        path (str): The ``labels.json`` file.

    Returns:
        dict[str, int]: The label of each bracket-free template.
    """
    return {name: int(label) for name, label in load_json(path).items()}


def template_key(template: str) -> str:
    """Remove the brackets of a template, as the keys of labels.json."""
    return template.replace('[', '').replace(']', '')


def build_entries(videos: Sequence[dict], labels: Dict[str, int], ext: str,
                  path: str) -> List[Entry]:
    """Turn the videos of a split JSON into ``(video path, label)`` entries.

    Args:
        videos (Sequence[dict]): The split JSON's items.
        labels (dict[str, int]): The output of :func:`load_labels`.
        ext (str): The video extension, without the dot.
        path (str): The split JSON, named in error messages.

    Returns:
        list[tuple[str, int | None]]: The entries; the label is None for
        items without a template (the test split).
    """
    entries = []
    for video in videos:
        name = f'{video["id"]}.{ext}'
        if 'template' not in video:
            entries.append((name, None))
            continue
        key = template_key(video['template'])
        if key not in labels:
            raise ValueError(f'Template {key!r} of video {video["id"]} in '
                             f'{path} is not in the labels file')
        entries.append((name, labels[key]))
    return entries


def build_lists(anno_dir: str,
                out_dir: str,
                splits: Sequence[str] = ('train', 'val'),
                ext: str = 'webm') -> Dict[str, str]:
    """Write ``sthv2_<split>_list_videos.txt`` and the label map.

    Args:
        anno_dir (str): The folder of the official JSONs.
        out_dir (str): Where to write the lists.
        splits (Sequence[str]): Splits among 'train', 'val' and 'test'.
            Defaults to ('train', 'val').
        ext (str): The video extension. Defaults to 'webm'.

    Returns:
        dict[str, str]: The list file of each split, and the label map
        under ``'classes'``.
    """
    labels = load_labels(find_file(anno_dir, LABEL_FILES))
    outputs = {'classes': osp.join(out_dir, 'sthv2_label_map.txt')}
    write_classes(sorted(labels, key=labels.get), outputs['classes'])
    for split in splits:
        path = find_file(anno_dir, SPLIT_FILES[split])
        entries = build_entries(load_json(path), labels, ext.lstrip('.'), path)
        outputs[split] = osp.join(out_dir, f'sthv2_{split}_list_videos.txt')
        write_list(entries, outputs[split])
    return outputs


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Build mmaction2 video lists for Something-Something V2')
    parser.add_argument(
        '--anno-dir',
        required=True,
        help='folder of the official JSONs (labels, train, validation)')
    parser.add_argument('--out-dir', required=True, help='output folder')
    parser.add_argument(
        '--splits',
        nargs='+',
        choices=tuple(SPLIT_FILES),
        default=['train', 'val'])
    parser.add_argument(
        '--ext',
        default='webm',
        help='video extension (mp4 after '
        'resize_videos.py)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    build_lists(args.anno_dir, args.out_dir, args.splits, args.ext)


if __name__ == '__main__':
    main()
