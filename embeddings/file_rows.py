"""Rows of a float32 matrix in a file, read on demand with ``pread``."""

from __future__ import annotations

import os
import weakref
from collections.abc import Sequence
from pathlib import Path

import numpy as np


class FileRows:
    """Rows of a float32 matrix stored in a file, read with ``pread`` when asked for.

    Indexing a memory map of the file instead maps the pages around every row touched into
    the process (up to megabytes each where the page cache holds large folios): a server's
    RSS grew by ~90 MB of the 384 MB word-embedding matrix over a few hundred questions
    (issue 13's per-worker memory). Indexed like the array: ``rows[ids]`` has shape
    ``ids.shape + (columns,)``.
    """

    def __init__(self, path: Path, offset: int, shape: tuple[int, int]) -> None:
        self.shape = shape
        self._offset = offset
        self._width = 4 * shape[1]
        self._fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)

    def __getitem__(self, ids: np.ndarray | Sequence[int]) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        unique, inverse = np.unique(ids, return_inverse=True)
        if unique.size and (unique[0] < 0 or unique[-1] >= self.shape[0]):
            raise IndexError(f"row out of range 0..{self.shape[0] - 1}")
        raw = b"".join(
            os.pread(self._fd, self._width, self._offset + int(row) * self._width) for row in unique
        )
        if len(raw) != len(unique) * self._width:
            raise ValueError("the file is shorter than its header says")
        rows = np.frombuffer(raw, np.float32).reshape(len(unique), self.shape[1])
        return rows[inverse.reshape(ids.shape)]
