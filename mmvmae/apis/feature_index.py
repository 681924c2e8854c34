"""``index.json`` of a feature folder: the settings, the finished videos and
the failed ones, saved atomically after every video."""
import glob
import hashlib
import json
import logging
import os
import os.path as osp
import time
from typing import Dict, List

import numpy as np
from mmengine.logging import print_log

FORMAT = 'mmvmae-features/1'
INDEX_FILE = 'index.json'
SHARD_FILE = 'index.rank{rank}.json'
SHARD_GLOB = 'index.rank*.json'


def settings_digest(settings: dict) -> str:
    """Short hash of everything that determines the features."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def file_signature(path: str) -> dict:
    """Absolute path, size and modification time of a file: a changed file
    gets new features."""
    stat = os.stat(path)
    return dict(path=osp.abspath(path), size=stat.st_size,
                mtime_ns=stat.st_mtime_ns)


def write_json_atomic(path: str, data: dict) -> None:
    """Write JSON through a temporary file and ``os.replace``: a reader (or
    a killed run) sees the old file or the new one, never half of one."""
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'w') as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save_array_atomic(path: str, array: np.ndarray) -> None:
    """``np.save`` through a temporary file and ``os.replace``."""
    tmp = f'{path}.tmp{os.getpid()}.npy'
    np.save(tmp, array)
    os.replace(tmp, path)


class FeatureIndex:
    """The index of a feature folder.

    ``index.json`` holds ``header`` (format, config, checkpoint, feature
    dim, window fields, ...; its ``settings_digest`` hashes the fields that
    determine the features), ``videos`` (id -> file, num_features,
    num_frames, fps, duration, source file signature) and ``failed`` (id ->
    source, error). Every entry records its ``settings_digest`` and the
    ``time`` it was written.

    Under ``world_size > 1`` each rank saves to its own shard
    (``index.rank<r>.json``) and rank 0 merges them into ``index.json``
    (:meth:`merge`). Loading reads ``index.json`` and any shards (a killed
    multi-process run leaves them), keeping the latest entry of each video;
    entries of other settings are dropped (their ``.npy`` files stay until
    overwritten).

    Args:
        out_dir (str): The feature folder.
        header (dict): Settings of this run, with ``settings_digest``.
        rank (int): This process's rank. Defaults to 0.
        world_size (int): Number of processes. Defaults to 1.
    """

    def __init__(self, out_dir: str, header: dict, rank: int = 0,
                 world_size: int = 1) -> None:
        self.out_dir = out_dir
        self.header = dict(header, format=FORMAT)
        self.digest = header['settings_digest']
        self.path = osp.join(
            out_dir,
            INDEX_FILE if world_size == 1 else SHARD_FILE.format(rank=rank))
        self.videos: Dict[str, dict] = {}
        self.failed: Dict[str, dict] = {}
        self.load()

    def _files(self) -> List[str]:
        files = [osp.join(self.out_dir, INDEX_FILE)]
        files += sorted(glob.glob(osp.join(self.out_dir, SHARD_GLOB)))
        return [file for file in files if osp.isfile(file)]

    def load(self) -> None:
        """Read ``index.json`` and the shards: the latest entry per video,
        of this run's settings."""
        latest: Dict[str, tuple] = {}
        for file in self._files():
            with open(file) as f:
                data = json.load(f)
            for part in ('videos', 'failed'):
                for video_id, entry in data.get(part, {}).items():
                    best = latest.get(video_id)
                    if best is None or entry.get('time', 0) >= best[1].get(
                            'time', 0):
                        latest[video_id] = (part, entry)
        other = sorted(video_id for video_id, (_, entry) in latest.items()
                       if entry.get('settings_digest') != self.digest)
        if other:
            print_log(
                f'{self.out_dir}: {len(other)} indexed videos were extracted '
                'with other settings and are dropped from the index (they '
                f'are redone when listed): {other[:5]}', logger='current',
                level=logging.WARNING)
        self.videos, self.failed = {}, {}
        for video_id, (part, entry) in latest.items():
            if entry.get('settings_digest') == self.digest:
                getattr(self, part)[video_id] = entry

    def finished(self, video_id: str, source: dict) -> bool:
        """Whether ``video_id`` is indexed for these settings and this
        source file, and its ``.npy`` holds the indexed shape in float32."""
        entry = self.videos.get(video_id)
        if entry is None or entry.get('source') != source:
            return False
        file = osp.join(self.out_dir, entry['file'])
        try:
            array = np.load(file, mmap_mode='r')
        except (OSError, ValueError):
            return False
        return (array.dtype == np.float32 and array.shape
                == (entry['num_features'], self.header['feature_dim']))

    def add_video(self, video_id: str, entry: dict) -> None:
        """Record a finished video and save."""
        self.failed.pop(video_id, None)
        self.videos[video_id] = dict(
            entry, settings_digest=self.digest, time=time.time())
        self.save()

    def add_failure(self, video_id: str, path: str, error: str) -> None:
        """Record a video that could not be extracted and save."""
        self.videos.pop(video_id, None)
        self.failed[video_id] = dict(
            source=path, error=error, settings_digest=self.digest,
            time=time.time())
        self.save()

    def as_dict(self) -> dict:
        """The content of the index file."""
        return dict(self.header, videos=self.videos, failed=self.failed)

    def save(self) -> None:
        """Write this process's file atomically."""
        write_json_atomic(self.path, self.as_dict())

    def merge(self) -> str:
        """Merge ``index.json`` and every shard into ``index.json`` and
        remove the shards (rank 0, after all ranks finished).

        Returns:
            str: The path of ``index.json``.
        """
        shards = glob.glob(osp.join(self.out_dir, SHARD_GLOB))
        self.load()
        self.path = osp.join(self.out_dir, INDEX_FILE)
        self.save()
        for shard in shards:
            os.remove(shard)
        return self.path
