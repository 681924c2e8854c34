"""Read an IMU recording (CSV or ``.npy``) as named float columns."""
import csv
import os.path as osp
from typing import List, Optional, Tuple, Union

import numpy as np

ColumnRef = Union[str, int]


class IMUTable:
    """A 2-D float table of IMU rows with optional column names.

    Args:
        path (str): File the table was read from (used in messages).
        data (np.ndarray): float64 array (rows, columns); empty cells NaN.
        names (list[str], optional): Column names, None for a plain
            ``.npy`` array.
        header_lines (int): Lines before the first data row (1 for a CSV,
            0 for ``.npy``), so messages can give file line numbers.
    """

    def __init__(self, path: str, data: np.ndarray,
                 names: Optional[List[str]], header_lines: int) -> None:
        self.path = path
        self.data = data
        self.names = names
        self.header_lines = header_lines

    def row_name(self, row: int) -> str:
        """How a data row is named in messages (0-based, plus CSV line)."""
        if self.header_lines:
            return f'data row {row} (line {row + self.header_lines + 1})'
        return f'row {row}'

    def find(self, refs: List[ColumnRef]) -> Tuple[List[int], List]:
        """Column indices of ``refs`` and the list of refs not found.

        A reference is a column name or an integer index (the only choice
        for a plain ``.npy`` array, which has no names).
        """
        found, missing = [], []
        for ref in refs:
            if isinstance(ref, int):
                if 0 <= ref < self.data.shape[1]:
                    found.append(ref)
                else:
                    missing.append(ref)
            elif self.names is not None and ref in self.names:
                found.append(self.names.index(ref))
            else:
                missing.append(ref)
        return found, missing

    def describe_columns(self) -> str:
        """The available columns, for error messages."""
        if self.names is None:
            return (f'a plain array with {self.data.shape[1]} columns and no '
                    'names (use integer column indices, or save a structured '
                    'array)')
        return f'columns {self.names}'


def read_csv(path: str, delimiter: str) -> IMUTable:
    """A CSV with one header line; empty cells and ``nan`` become NaN.

    Raises:
        ValueError: On an empty file, a row of the wrong width or a cell
            that is not a number (naming the line and column).
    """
    with open(path, newline='') as file:
        reader = csv.reader(file, delimiter=delimiter)
        names = next(reader, None)
        if not names:
            raise ValueError(f'{path} is empty; expected a header line')
        names = [name.strip() for name in names]
        rows = []
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(names):
                raise ValueError(f'{path} line {line} has {len(row)} fields, '
                                 f'the header has {len(names)}')
            try:
                rows.append([float(v) if v.strip() else np.nan for v in row])
            except ValueError:
                bad = next(i for i, v in enumerate(row)
                           if v.strip() and not _is_number(v))
                raise ValueError(
                    f'{path} line {line} column {names[bad]!r}: '
                    f'{row[bad]!r} is not a number') from None
    data = np.asarray(rows, np.float64).reshape(-1, len(names))
    return IMUTable(path, data, names, header_lines=1)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_npy(path: str) -> IMUTable:
    """A structured array (named fields) or a plain 2-D array.

    Raises:
        ValueError: If the array is neither.
    """
    array = np.load(path, allow_pickle=False)
    if array.dtype.names:
        names = list(array.dtype.names)
        data = np.stack([array[n].astype(np.float64) for n in names], 1)
        return IMUTable(path, data.reshape(-1, len(names)), names, 0)
    if array.ndim != 2:
        raise ValueError(f'{path} holds an array of shape {array.shape}; '
                         'expected (rows, columns) or a structured array')
    return IMUTable(path, array.astype(np.float64), None, 0)


def read_imu_table(path: str, delimiter: str = ',') -> IMUTable:
    """Read ``path`` by its extension (``.csv``/``.txt`` or ``.npy``).

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If the extension is not supported.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'IMU file not found: {path}')
    ext = osp.splitext(path)[1].lower()
    if ext in ('.csv', '.txt'):
        return read_csv(path, delimiter)
    if ext == '.npy':
        return read_npy(path)
    raise ValueError(f'unsupported IMU file {path}: use .csv, .txt or .npy')
