"""A generation's chunks and documents read from its JSONL files on demand.

The files are memory-mapped and only the byte offset of each line is kept in memory
(8 bytes a row); a row is parsed when it is asked for. At 1M chunks, holding every chunk
and document as Python objects took GBs per server worker (each its own copy); mapped,
the text stays in the page cache, shared by all workers, and a search parses only the
rows it returns.
"""

from __future__ import annotations

import json
import mmap
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TypeVar, overload

import numpy as np

T = TypeVar("T")

_DOC_ID_PREFIX = b'{"doc_id": '
"""How every row starts as the store writes it (``asdict`` puts ``doc_id`` first)."""


class JsonlRows:
    """Byte ranges of the non-empty lines of a memory-mapped JSONL file."""

    def __init__(self, path: Path) -> None:
        with path.open("rb") as fh:
            size = path.stat().st_size
            self._data: mmap.mmap | bytes = (
                mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
            )
        raw = np.frombuffer(self._data, np.uint8)
        ends = np.flatnonzero(raw == ord("\n"))
        if size and raw[-1] != ord("\n"):
            ends = np.append(ends, size)
        starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64)
        keep = ends > starts  # blank lines are no rows
        self._starts, self._ends = starts[keep], ends[keep].astype(np.int64)
        del raw  # the offsets are all that is kept; the text stays in the file
        self.release()

    def release(self) -> None:
        """Drop the pages a full scan mapped into this process (they stay in the page
        cache): without it a process that scanned the file once counts all of it in its
        RSS until the kernel needs the memory."""
        if isinstance(self._data, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
            self._data.madvise(mmap.MADV_DONTNEED)

    def __len__(self) -> int:
        return len(self._starts)

    def raw(self, i: int) -> bytes:
        return self._data[int(self._starts[i]) : int(self._ends[i])]

    def row(self, i: int) -> dict[str, object]:
        value = json.loads(self.raw(i))
        if not isinstance(value, dict):
            raise ValueError(f"row {i} is not a JSON object")
        return value

    def doc_id(self, i: int) -> str:
        """The ``doc_id`` of row ``i`` without parsing the rest of the row."""
        line = self.raw(i)
        if line.startswith(_DOC_ID_PREFIX):
            text = line.decode("utf-8")
            value, _ = json.JSONDecoder().raw_decode(text, len(_DOC_ID_PREFIX))
            return str(value)
        return str(self.row(i)["doc_id"])


class LazyRows(Sequence[T]):
    """Rows of a JSONL file as objects made by ``read``, parsed on access."""

    def __init__(self, rows: JsonlRows, read: Callable[[dict[str, object]], T]) -> None:
        self._rows = rows
        self._read = read

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, i: int) -> T: ...
    @overload
    def __getitem__(self, i: slice) -> list[T]: ...
    def __getitem__(self, i: int | slice) -> T | list[T]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        return self._read(self._rows.row(i % len(self)))

    def __iter__(self) -> Iterator[T]:
        for i in range(len(self)):
            yield self._read(self._rows.row(i))


class LazyMapping(Mapping[str, T]):
    """Rows of a JSONL file keyed by their ``doc_id``, parsed on access."""

    def __init__(self, rows: JsonlRows, read: Callable[[dict[str, object]], T]) -> None:
        self._rows = rows
        self._read = read
        self._at = {rows.doc_id(i): i for i in range(len(rows))}
        rows.release()

    def __getitem__(self, key: str) -> T:
        return self._read(self._rows.row(self._at[key]))

    def __contains__(self, key: object) -> bool:
        return key in self._at

    def __iter__(self) -> Iterator[str]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)

    def release(self) -> None:
        """Drop the file's pages a scan of the rows mapped into this process (they stay
        in the page cache): reading every n-th document maps most of the file, since the
        kernel maps the pages around each one read (at 1M chunks, 521 of 734 MB)."""
        self._rows.release()
