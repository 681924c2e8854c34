"""IMU signals of the toy clips: the moving shape seen by virtual devices.

Every device in :data:`IMU_DEVICES` measures the shape's velocity and
acceleration along the image axes (x to the right, y downwards), in frame
widths per second and per second squared, at :data:`IMU_RATE` Hz. A device
scales the true values by its gain and adds its own Gaussian noise. The
shape moves at constant velocity, so the acceleration channels hold sensor
noise only.

A clip's CSV has a ``timestamp`` column (seconds from the first video frame)
and one column ``<device>_<channel>`` per device and channel of
:data:`IMU_CHANNELS`. Optional faults, for bad-input tests: a dead device
(its columns are ``nan`` for the whole clip) and backwards timestamps (two
adjacent rows swapped, so sorting by timestamp restores the clean signal).
"""
import csv
from typing import Dict, List, NamedTuple, Optional, Tuple

import numpy as np

IMU_RATE = 50
IMU_CHANNELS = ('vel_x', 'vel_y', 'acc_x', 'acc_y')
TIMESTAMP = 'timestamp'


class ImuDevice(NamedTuple):
    """A virtual IMU: its name, gain and noise standard deviation."""
    name: str
    gain: float
    noise_std: float


IMU_DEVICES = (
    ImuDevice('imu0', 1.0, 0.02),
    ImuDevice('imu1', 0.8, 0.05),
    ImuDevice('imu2', 1.25, 0.1),
)


def imu_columns() -> List[str]:
    """Return the CSV's data columns, device-major: ``imu0_vel_x`` first."""
    return [
        f'{device.name}_{channel}' for device in IMU_DEVICES
        for channel in IMU_CHANNELS
    ]


def channel_spec() -> dict:
    """Return the channel spec written to ``imu/channels.json``.

    Returns:
        dict: ``sample_rate``, ``timestamp`` (the column name), ``axes``,
        ``units`` per channel, and ``devices``: per device name, its
        ``columns`` in :data:`IMU_CHANNELS` order, ``gain`` and
        ``noise_std``.
    """
    return dict(
        sample_rate=IMU_RATE,
        timestamp=TIMESTAMP,
        axes='image axes: x to the right, y downwards',
        units=dict(
            vel_x='frame widths / s',
            vel_y='frame widths / s',
            acc_x='frame widths / s^2',
            acc_y='frame widths / s^2'),
        devices={
            device.name: dict(
                columns=[f'{device.name}_{c}' for c in IMU_CHANNELS],
                gain=device.gain,
                noise_std=device.noise_std)
            for device in IMU_DEVICES
        })


def simulate_imu(velocity: np.ndarray, duration: float,
                 rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    """Simulate the devices' readings during one clip.

    Args:
        velocity (np.ndarray): The shape's velocity (vx, vy) in frame widths
            per second, image axes.
        duration (float): The clip length in seconds.
        rng (np.random.Generator): The random generator.

    Returns:
        tuple[np.ndarray, np.ndarray]: The timestamps ``i / IMU_RATE`` before
        ``duration``, shape (N, ), and the readings in :func:`imu_columns`
        order, shape (N, devices * channels).
    """
    timestamps = np.arange(int(np.ceil(duration * IMU_RATE))) / IMU_RATE
    truth = np.concatenate([velocity, np.zeros(2)])  # vel_x/y, acc_x/y
    readings = []
    for device in IMU_DEVICES:
        noise = rng.normal(
            0, device.noise_std, size=(timestamps.size, len(IMU_CHANNELS)))
        readings.append(device.gain * truth + noise)
    return timestamps, np.concatenate(readings, axis=1)


def draw_faults(num_rows: int, dead_prob: float, backwards_prob: float,
                rng: np.random.Generator) -> Dict[str, Optional[list]]:
    """Draw the faults of one clip.

    The same number of values is drawn whatever the probabilities, so a
    clip's faults only change where a probability crosses its draw.

    Args:
        num_rows (int): The number of IMU rows of the clip, at least 4.
        dead_prob (float): Probability that one device is dead.
        backwards_prob (float): Probability that two rows are swapped.
        rng (np.random.Generator): The random generator.

    Returns:
        dict: ``dead_devices`` (list of device names) and ``swapped_rows``
        (``[k, k + 1]`` or None).
    """
    dead_draw, backwards_draw = rng.uniform(size=2)
    device = IMU_DEVICES[rng.integers(len(IMU_DEVICES))].name
    row = int(rng.integers(1, num_rows - 2))
    return dict(
        dead_devices=[device] if dead_draw < dead_prob else [],
        swapped_rows=[row, row + 1] if backwards_draw < backwards_prob else
        None)


def apply_faults(timestamps: np.ndarray, readings: np.ndarray,
                 faults: dict) -> Tuple[np.ndarray, np.ndarray]:
    """Return copies of the timestamps and readings with ``faults`` applied.

    Args:
        timestamps (np.ndarray): Shape (N, ).
        readings (np.ndarray): Shape (N, devices * channels).
        faults (dict): From :func:`draw_faults`.

    Returns:
        tuple[np.ndarray, np.ndarray]: The faulty timestamps and readings.
    """
    timestamps, readings = timestamps.copy(), readings.copy()
    names = [device.name for device in IMU_DEVICES]
    for name in faults['dead_devices']:
        start = names.index(name) * len(IMU_CHANNELS)
        readings[:, start:start + len(IMU_CHANNELS)] = np.nan
    if faults['swapped_rows'] is not None:
        order = np.arange(timestamps.size)
        order[faults['swapped_rows']] = order[faults['swapped_rows'][::-1]]
        timestamps, readings = timestamps[order], readings[order]
    return timestamps, readings


def write_imu_csv(path: str, timestamps: np.ndarray,
                  readings: np.ndarray) -> None:
    """Write one clip's IMU CSV (``nan`` for missing values).

    Args:
        path (str): The output file.
        timestamps (np.ndarray): Seconds, shape (N, ).
        readings (np.ndarray): Shape (N, len(imu_columns())).
    """
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow([TIMESTAMP] + imu_columns())
        for t, row in zip(timestamps, readings):
            writer.writerow([f'{t:.6f}'] + [f'{x:.6f}' for x in row])
