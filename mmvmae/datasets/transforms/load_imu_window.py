"""Load the IMU samples that span a sampled video clip."""
import logging
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import print_log

from mmvmae.registry import TRANSFORMS
from .companion_files import clip_spans, companion_path
from .imu_table import IMUTable, read_imu_table

MISSING_POLICIES = ('error', 'fill')
UNSORTED_POLICIES = ('error', 'sort')
SHORT_POLICIES = ('error', 'pad')
NORMALIZATIONS = ('none', 'stats', 'window')
TIME_UNITS = {'s': 1., 'ms': 1e-3, 'us': 1e-6, 'ns': 1e-9}


def _choice(name: str, value: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f'{name} must be one of {choices}, got {value!r}')
    return value


def check_channels(channels: Mapping) -> Dict[str, List]:
    """Validate a channel spec ``{device: [column, ...]}``.

    Raises:
        ValueError: If it is empty, a device has no columns, a column is
            neither a name nor an integer index, or devices have different
            channel counts.
    """
    if not isinstance(channels, Mapping) or not channels:
        raise ValueError('channels must be a non-empty dict {device: '
                         f'[column, ...]}}, got {channels!r}')
    spec = {}
    for device, columns in channels.items():
        if isinstance(columns, (str, int)) or not columns:
            raise ValueError(f'channels[{device!r}] must be a non-empty list '
                             f'of column names or indices, got {columns!r}')
        bad = [c for c in columns if not isinstance(c, (str, int))]
        if bad:
            raise ValueError(f'channels[{device!r}] has columns {bad} that '
                             'are neither names nor integer indices')
        spec[str(device)] = list(columns)
    counts = {device: len(columns) for device, columns in spec.items()}
    if len(set(counts.values())) != 1:
        raise ValueError('every IMU device needs the same number of '
                         f'channels, got {counts}')
    return spec


@TRANSFORMS.register_module()
class LoadIMUWindow(BaseTransform):
    """Cut, resample and normalize the IMU recording of a sampled clip.

    Required keys: ``filename``, ``frame_inds`` and the frame rate
    (``avg_fps`` from ``DecordInit``, or ``fps``). Added keys: ``imu``,
    float32 (devices, channels, samples), and ``imu_presence``, bool
    (devices,); with ``num_clips > 1`` both get a leading clip axis.

    The clip spans ``t0 = frame_inds[0] / fps`` to
    ``t1 = (frame_inds[-1] + 1) / fps`` seconds of video time, i.e.
    ``t0 + offset`` to ``t1 + offset`` on the IMU clock. Samples are taken at
    ``t0 + i / rate`` (``rate = num_samples / (t1 - t0)`` or ``sample_rate``)
    by linear interpolation between the recorded rows (no anti-alias
    filter). Rows are sorted by timestamp and rows that repeat a timestamp
    are dropped (first kept, counted and logged).

    Policies (never silent: every fill, sort, drop and pad is counted in an
    attribute of this transform, per loader process, and logged with the
    file name):

    - ``on_unsorted``: a timestamp smaller than the one before it is an
      error naming the file and the first such row (``'error'``), or the rows
      are sorted (``'sort'``, counted in :attr:`unsorted`).
    - ``on_missing``: a dead device (a column missing from the file, no
      finite sample, or a window that is constant in every channel) is an
      error naming the file and device (``'error'``), or zero-filled with
      ``imu_presence[d] = False`` (``'fill'``, counted in :attr:`missing`).
    - ``on_short``: a device whose finite rows do not cover the clip's
      window (beyond ``tolerance`` seconds) is an error (``'error'``), or the
      window is padded with the first / last recorded value (``'pad'``,
      counted in :attr:`short`).

    Args:
        path_template (str): IMU file of a video, formatted with the video's
            ``{dirname}``, ``{stem}`` and ``{basename}``, e.g.
            ``'{dirname}/../imu/{stem}.csv'``. ``.csv`` / ``.txt`` files have
            one header line; ``.npy`` files hold a structured array (named
            fields) or a plain 2-D array (integer column indices).
        channels (dict): Device name -> list of its columns (names, or
            integer indices), e.g. ``dict(left_arm=['lax', 'lay', 'laz'],
            ...)``. Every device has the same channel count; the order of
            the dict is the device order.
        timestamp_column (str | int): Column of the timestamps.
            Defaults to ``'timestamp'``.
        time_unit (str): Unit of the timestamps: ``'s'``, ``'ms'``, ``'us'``
            or ``'ns'``. Defaults to ``'s'``.
        num_samples (int, optional): Samples per window (fixed length,
            EVI-MAE: 320).
        sample_rate (float, optional): Samples per second instead (the
            length follows the clip's duration). Give exactly one of the two.
        offset (float): IMU-clock time of video time 0, in seconds.
            Defaults to 0.
        offset_key (str, optional): Results key holding a per-video offset
            in seconds (e.g. from the annotation), added to ``offset``.
        normalize (str): ``'none'``, ``'stats'`` (``(x - mean) / std`` with
            the config's per-channel statistics) or ``'window'`` (z-score of
            each channel over the window). Defaults to ``'none'``.
        mean (float | list, optional): Statistics for ``'stats'``: a
            scalar, one value per channel, or (devices, channels).
        std (float | list, optional): Same shapes as ``mean``; positive.
        on_missing (str): ``'error'`` or ``'fill'``. Defaults to ``'error'``.
        on_unsorted (str): ``'error'`` or ``'sort'``. Defaults to
            ``'error'``.
        on_short (str): ``'error'`` or ``'pad'``. Defaults to ``'error'``.
        tolerance (float): Seconds a window may reach past the first / last
            recorded row before ``on_short`` applies (those samples take the
            edge value). Defaults to 0.1.
        delimiter (str): CSV delimiter. Defaults to ``','``.
    """

    def __init__(self,
                 path_template: str,
                 channels: Mapping[str, Sequence[Union[str, int]]],
                 timestamp_column: Union[str, int] = 'timestamp',
                 time_unit: str = 's',
                 num_samples: Optional[int] = None,
                 sample_rate: Optional[float] = None,
                 offset: float = 0.,
                 offset_key: Optional[str] = None,
                 normalize: str = 'none',
                 mean: Optional[Union[float, Sequence]] = None,
                 std: Optional[Union[float, Sequence]] = None,
                 on_missing: str = 'error',
                 on_unsorted: str = 'error',
                 on_short: str = 'error',
                 tolerance: float = 0.1,
                 delimiter: str = ',') -> None:
        self.path_template = path_template
        self.channels = check_channels(channels)
        self.timestamp_column = timestamp_column
        self.time_scale = TIME_UNITS[_choice('time_unit', time_unit,
                                             tuple(TIME_UNITS))]
        if (num_samples is None) == (sample_rate is None):
            raise ValueError('give exactly one of num_samples and '
                             f'sample_rate, got num_samples={num_samples}, '
                             f'sample_rate={sample_rate}')
        if num_samples is not None and num_samples < 2:
            raise ValueError(f'num_samples must be >= 2, got {num_samples}')
        if sample_rate is not None and sample_rate <= 0:
            raise ValueError(f'sample_rate must be > 0, got {sample_rate}')
        if tolerance < 0:
            raise ValueError(f'tolerance must be >= 0, got {tolerance}')
        self.num_samples = num_samples
        self.sample_rate = sample_rate
        self.offset = float(offset)
        self.offset_key = offset_key
        self.normalize = _choice('normalize', normalize, NORMALIZATIONS)
        self.mean, self.std = self._stats(mean, std)
        self.on_missing = _choice('on_missing', on_missing, MISSING_POLICIES)
        self.on_unsorted = _choice('on_unsorted', on_unsorted,
                                   UNSORTED_POLICIES)
        self.on_short = _choice('on_short', on_short, SHORT_POLICIES)
        self.tolerance = tolerance
        self.delimiter = delimiter
        self.missing = 0
        self.unsorted = 0
        self.duplicates = 0
        self.short = 0

    @property
    def num_devices(self) -> int:
        """Devices in the channel spec."""
        return len(self.channels)

    @property
    def num_channels(self) -> int:
        """Channels per device."""
        return len(next(iter(self.channels.values())))

    def _stats(self, mean, std) -> Tuple[Optional[np.ndarray], ...]:
        """Broadcast ``mean`` / ``std`` to (devices, channels)."""
        if self.normalize != 'stats':
            if mean is not None or std is not None:
                raise ValueError("mean / std are only used with normalize="
                                 f"'stats', got normalize={self.normalize!r}")
            return None, None
        if mean is None or std is None:
            raise ValueError("normalize='stats' needs mean and std")
        shape = (self.num_devices, self.num_channels)
        stats = []
        for name, value in (('mean', mean), ('std', std)):
            try:
                stats.append(np.broadcast_to(
                    np.asarray(value, np.float64), shape).copy())
            except ValueError:
                raise ValueError(
                    f'{name} of shape {np.shape(value)} does not broadcast '
                    f'to (devices, channels) = {shape}') from None
        if (stats[1] <= 0).any():
            raise ValueError(f'std must be positive, got {std}')
        return stats[0], stats[1]

    def sample_times(self, span: Tuple[float, float]) -> np.ndarray:
        """Video-time positions of the samples of a clip span."""
        t0, t1 = span
        if self.num_samples is not None:
            return t0 + (t1 - t0) * np.arange(self.num_samples) / \
                self.num_samples
        count = max(2, int(round((t1 - t0) * self.sample_rate)))
        return t0 + np.arange(count) / self.sample_rate

    def timestamps(self, table: IMUTable) -> Tuple[np.ndarray, np.ndarray]:
        """Sorted, de-duplicated timestamps (seconds) and their rows.

        Raises:
            ValueError: If the timestamp column is missing, a timestamp is
                not finite, or (``on_unsorted='error'``) a timestamp goes
                backwards; the message names the file and the row.
        """
        path = table.path
        found, missing = table.find([self.timestamp_column])
        if missing:
            raise ValueError(f'{path}: no timestamp column '
                             f'{self.timestamp_column!r}; the file has '
                             f'{table.describe_columns()}')
        raw = table.data[:, found[0]]
        if raw.size == 0:
            raise ValueError(f'{path} has no data rows')
        bad = np.flatnonzero(~np.isfinite(raw))
        if bad.size:
            raise ValueError(f'{path}: the timestamp of '
                             f'{table.row_name(bad[0])} is '
                             f'{float(raw[bad[0]])}')
        rows = np.arange(raw.size)
        back = np.flatnonzero(np.diff(raw) < 0)
        if back.size:
            first = back[0] + 1
            if self.on_unsorted == 'error':
                raise ValueError(
                    f'{path}: timestamps go backwards at '
                    f'{table.row_name(first)} ({float(raw[first])} after '
                    f'{float(raw[first - 1])}); fix the file or set '
                    "on_unsorted='sort'")
            self.unsorted += 1
            print_log(
                f'{path}: timestamps go backwards {back.size} times (first at '
                f'{table.row_name(first)}); rows sorted ({self.unsorted} '
                'files sorted in this loader process)',
                logger='current', level=logging.WARNING)
            rows = np.argsort(raw, kind='stable')
        keep = np.concatenate([[True], np.diff(raw[rows]) > 0])
        dropped = int(keep.size - keep.sum())
        if dropped:
            self.duplicates += dropped
            print_log(
                f'{path}: dropped {dropped} rows repeating a timestamp '
                f'({self.duplicates} in this loader process)',
                logger='current', level=logging.WARNING)
        rows = rows[keep]
        return raw[rows] * self.time_scale, rows

    def dead_device(self, path: str, device: str, reason: str) -> None:
        """Apply ``on_missing`` to a dead device: raise, or count and log."""
        if self.on_missing == 'error':
            raise ValueError(f'{path}: IMU device {device!r} is dead: '
                             f"{reason}; set on_missing='fill' to zero-fill "
                             'it and mark it absent in imu_presence')
        self.missing += 1
        print_log(
            f'{path}: IMU device {device!r} is dead ({reason}); zero-filled '
            f'and marked absent ({self.missing} in this loader process)',
            logger='current', level=logging.WARNING)

    def check_coverage(self, path: str, device: str, recorded: np.ndarray,
                       needed: np.ndarray) -> None:
        """Apply ``on_short`` if ``recorded`` times miss ``needed`` ones."""
        if (recorded[0] <= needed[0] + self.tolerance
                and recorded[-1] >= needed[-1] - self.tolerance):
            return
        message = (f'{path}: IMU device {device!r} has samples from '
                   f'{recorded[0]:.3f} to {recorded[-1]:.3f} s but the clip '
                   f'needs {needed[0]:.3f} to {needed[-1]:.3f} s (IMU clock, '
                   f'tolerance {self.tolerance} s)')
        if self.on_short == 'error':
            raise ValueError(f"{message}; set on_short='pad' to hold the edge "
                             'values')
        self.short += 1
        print_log(f'{message}; padded with the edge values ({self.short} in '
                  'this loader process)', logger='current',
                  level=logging.WARNING)

    def normalized(self, window: np.ndarray, device: int) -> np.ndarray:
        """Apply ``normalize`` to one device's (channels, samples) window."""
        if self.normalize == 'stats':
            return ((window - self.mean[device][:, None]) /
                    self.std[device][:, None])
        if self.normalize == 'window':
            std = window.std(1, keepdims=True)
            return (window - window.mean(1, keepdims=True)) / np.where(
                std > 0, std, 1.)
        return window

    def transform(self, results: Dict) -> Dict:
        """Add ``imu`` and ``imu_presence`` for the sampled clip(s)."""
        path = companion_path(self.path_template, results['filename'])
        spans = clip_spans(results, 'LoadIMUWindow', 'IMU')
        table = read_imu_table(path, self.delimiter)
        times, rows = self.timestamps(table)
        offset = self.offset
        if self.offset_key is not None:
            if self.offset_key not in results:
                raise KeyError(f"{results['filename']}: no {self.offset_key!r}"
                               ' in the results for the IMU offset')
            offset += float(results[self.offset_key])
        needed = [self.sample_times(span) + offset for span in spans]
        imu = np.zeros((len(spans), self.num_devices, self.num_channels,
                        len(needed[0])), np.float32)
        presence = np.ones((len(spans), self.num_devices), bool)
        data = table.data[rows]
        for d, (device, refs) in enumerate(self.channels.items()):
            columns, missing = table.find(refs)
            if missing:
                self.dead_device(path, device, f'columns {missing} not found; '
                                 f'the file has {table.describe_columns()}')
                presence[:, d] = False
                continue
            values = data[:, columns]
            finite = np.isfinite(values).all(1)
            if not finite.any():
                self.dead_device(path, device, 'no finite samples')
                presence[:, d] = False
                continue
            recorded, values = times[finite], values[finite]
            for c, at in enumerate(needed):
                self.check_coverage(path, device, recorded, at)
                window = np.stack([
                    np.interp(at, recorded, channel) for channel in values.T
                ])
                if np.ptp(window, axis=1).max() == 0:
                    self.dead_device(
                        path, device, 'constant in every channel over '
                        f'{at[0]:.3f}-{at[-1]:.3f} s')
                    presence[c, d] = False
                    continue
                imu[c, d] = self.normalized(window, d)
        results['imu'] = imu[0] if len(spans) == 1 else imu
        results['imu_presence'] = presence[0] if len(spans) == 1 else presence
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(path_template={self.path_template!r}, '
                f'devices={list(self.channels)}, '
                f'num_samples={self.num_samples}, '
                f'sample_rate={self.sample_rate}, '
                f'normalize={self.normalize!r}, '
                f'on_missing={self.on_missing!r})')
