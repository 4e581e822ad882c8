"""BM25 over Vietnamese syllables (``bm25s``), with an accent-folded second field.

Two BM25 indexes share the chunk order: one over normalised syllables with their
diacritics, one over the same syllables with diacritics stripped. A query typed with
diacritics is scored on the first (exact Vietnamese matching); a query typed without any is
scored on the folded field, so "hoi nghi ngoai giao" finds "Hội nghị ngoại giao".
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import cast

import numpy as np

from rag.textnorm import strip_diacritics, syllables


@contextlib.contextmanager
def _numba_hidden() -> Iterator[None]:
    """Inside, ``import numba`` fails as if numba were not installed (unless something has
    imported it already).
    ``bm25s`` imports numba (and llvmlite: ~56 MB resident) whenever it is installed, and
    every server worker would hold it, though only indexes of ``JIT_MIN_CHUNKS`` chunks use
    it; ``_jit_scorer`` and ``_split_scorer`` import it themselves when they do."""
    if "numba" in sys.modules:
        yield
        return
    sys.modules["numba"] = None  # type: ignore[assignment]  # import numba -> ImportError
    try:
        yield
    finally:
        del sys.modules["numba"]


with _numba_hidden():
    import bm25s

ARTIFACT = "bm25"
STORE = "bm25s"


def has_diacritics(text: str) -> bool:
    return strip_diacritics(text) != text


def lexical_fields(text: str) -> tuple[list[str], list[str]]:
    """The two fields BM25 indexes for a chunk: its normalised syllables, and the same
    syllables without diacritics (every lexical store tokenises chunks this way)."""
    tokens = syllables(text)
    return tokens, [strip_diacritics(s) for s in tokens]


def query_syllables(query: str) -> tuple[list[str], bool]:
    """The query's syllables and whether they are matched on the folded field: a query
    typed without any diacritics is matched on the folded one."""
    tokens = syllables(query)
    if has_diacritics(query):
        return tokens, False
    return [strip_diacritics(t) for t in tokens], True


class Bm25Index:
    def __init__(self, accented: bm25s.BM25, folded: bm25s.BM25, size: int) -> None:
        self._accented = accented
        self._folded = folded
        self.size = size

    @classmethod
    def build(cls, texts: Iterable[str]) -> Bm25Index:
        """Both fields (``lexical_fields``) over ``texts``, tokenised one text at a time into
        compact arrays of vocabulary ids (at 1M chunks lists of syllable strings would take
        tens of GB)."""
        accented, folded = _TokenIds(), _TokenIds()
        folded_of: dict[str, str] = {}  # each syllable's folded form, computed once
        for text in texts:
            tokens = syllables(text)
            accented.add(tokens)
            folded.add([folded_of.get(s) or folded_of.setdefault(s, strip_diacritics(s))
                        for s in tokens])  # fmt: skip
        return cls(accented.fit(), folded.fit(), len(accented.docs))

    def save(self, path: Path) -> None:
        path.mkdir()
        if self.size:
            self._accented.save(str(path / "accented"), show_progress=False)
            self._folded.save(str(path / "folded"), show_progress=False)
        meta = {"size": self.size, "store": STORE}
        (path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Bm25Index:
        size = int(json.loads((path / "meta.json").read_text(encoding="utf-8"))["size"])
        if not size:
            return cls.build([])

        def load(name: str) -> bm25s.BM25:  # memory-mapped: workers share the pages
            return bm25s.BM25.load(str(path / name), mmap=True, show_progress=False, verbosity=0)

        accented, folded = load("accented"), load("folded")
        if size >= JIT_MIN_CHUNKS:
            _compile_scorer(accented, folded)
        return cls(accented, folded, size)

    def query_tokens(self, query: str) -> tuple[list[str], bool]:
        """The query's syllables and whether they are matched on the folded field."""
        return query_syllables(query)

    def coverage(self, query: str) -> float:
        """Share of the query's syllables that occur in the corpus at all (0..1)."""
        tokens, folded = self.query_tokens(query)
        if not tokens or not self.size:
            return 0.0
        vocab = (self._folded if folded else self._accented).vocab_dict
        return sum(t in vocab for t in tokens) / len(tokens)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for ``query`` (zeros when nothing matches)."""
        if not self.size:
            return np.zeros(0, np.float32)
        tokens, folded = self.query_tokens(query)
        model = self._folded if folded else self._accented
        known = [t for t in tokens if t in model.vocab_dict]
        if not known:
            return np.zeros(self.size, np.float32)
        split = _split_scorer() if self.size >= JIT_MIN_CHUNKS else None
        # one parallel run per process at a time (see _split_scorer)
        if (
            split is not None
            and model.nonoccurrence_array is None
            and _SPLIT_LOCK.acquire(blocking=False)
        ):
            try:
                ids = np.asarray([model.vocab_dict[t] for t in known], dtype=np.int64)
                m = model.scores
                return split(m["data"], m["indptr"], m["indices"], self.size, ids, _threads())
            finally:
                _SPLIT_LOCK.release()
        return np.asarray(model.get_scores(known), dtype=np.float32)

    def top(self, query: str, k: int) -> list[tuple[int, float]]:
        """The ``k`` best-scoring chunk rows for ``query`` with their scores (ties by row;
        chunks that match nothing are left out)."""
        scores = self.scores(query)
        if not len(scores):
            return []
        return [(int(r), float(scores[r])) for r in top_rows(scores, k) if scores[r] > 0]


def top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` best rows, best first, ties by row (as a stable sort of all would give);
    at 1M chunks a comparison pass against a threshold read off a sample
    (``_sampled_candidates``), else a partial selection: a pass, not a sort."""
    n = len(scores)
    if k >= n:
        candidates = np.arange(n)
    else:
        found = _sampled_candidates(scores, k)
        if found is None:
            kth = np.partition(scores, n - k)[n - k]
            found = np.flatnonzero(scores >= kth)  # every tie at the k-th score
        candidates = found
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order][:k]


SAMPLE_SIZE = 4096
"""Scores read, evenly spaced, to guess a threshold for ``top_rows``."""
SAMPLE_MARGIN = 4
"""The threshold is set where about this many times ``k`` rows are expected above it."""


def _sampled_candidates(scores: np.ndarray, k: int) -> np.ndarray | None:
    """The rows scoring above a threshold guessed from every ``n / SAMPLE_SIZE``-th score,
    when at least ``k`` do: then the ``k``-th best score is above the threshold too, so
    they hold every row a full partial selection would keep, ties included, and finding
    them is one comparison pass over the scores (at 1M chunks ~0.3 ms against ~6 ms for
    ``np.partition``). Also the rows at the threshold, when fewer than ``k`` are above it
    and the threshold is not shared by a large part of the rows. None when the scores are
    too few to sample or the guess fails; ``top_rows`` then partitions them all."""
    n = len(scores)
    step = n // SAMPLE_SIZE
    if step < 2:
        return None
    sample = scores[::step]
    rank = -(-SAMPLE_MARGIN * k // step) + 1  # the sample's rank-th best score
    if rank > len(sample):
        return None
    threshold = np.partition(sample, len(sample) - rank)[len(sample) - rank]
    above = np.flatnonzero(scores > threshold)
    if len(above) >= k:
        return above
    at_least = np.flatnonzero(scores >= threshold)
    return at_least if k <= len(at_least) <= n // 8 else None


JIT_MIN_CHUNKS = 100_000
"""From this many chunks, BM25 scores are summed by ``bm25s``'s numba-compiled loop when
numba is installed (the ``scale`` extra): a common syllable has a posting in most of 1M
chunks, and the loop sums ~2x faster than numpy's ``add.at``. Below it the compile time
(seconds, once per process) is not worth it."""


@functools.cache
def _jit_scorer() -> Callable[..., np.ndarray] | None:
    """``bm25s``'s scoring loop compiled once per process (None without numba)."""
    try:
        from bm25s.scoring import _compute_relevance_from_scores_jit_ready
        from numba import njit
    except ImportError:
        return None
    return cast(Callable[..., np.ndarray], njit(_compute_relevance_from_scores_jit_ready))


def _compile_scorer(*models: bm25s.BM25) -> None:
    """What ``BM25.activate_numba_scorer`` does, with one compiled loop for both fields,
    and the split loop below; compiled here, at load, rather than on the first question."""
    scorer = _jit_scorer()
    if scorer is None:
        return
    for model in models:
        model._compute_relevance_from_scores = scorer
    models[0].get_scores_from_ids([0])
    split = _split_scorer()
    if split is not None:
        m = models[0].scores
        split(m["data"], m["indptr"], m["indices"], 1, np.zeros(1, np.int64), _threads())


_SPLIT_LOCK = threading.Lock()


def _threads() -> int:
    from numba import get_num_threads

    return int(get_num_threads())


@functools.cache
def _split_scorer() -> Callable[..., np.ndarray] | None:
    """BM25 scores summed over the chunks in ``parts`` ranges of rows at once, one thread
    each (numba ``prange``; None without numba or with one core). Each range takes, for
    each query syllable, the part of its postings that falls in it (postings are sorted by
    row), so no two threads add to the same score, and every score is summed in the same
    order as the one-thread loop: the same floats. At 1M chunks, 5.3 -> 2.7 ms a question
    on two cores (docs/scaling.md). Only one parallel run at a time per process
    (``_SPLIT_LOCK``): numba's default thread pool does not take concurrent launches, so
    a server thread that finds it busy sums on its own thread."""
    try:
        from numba import njit, prange
    except ImportError:
        return None
    if _threads() < 2:
        return None

    def split_sum(
        data: np.ndarray,
        indptr: np.ndarray,
        indices: np.ndarray,
        num_docs: int,
        ids: np.ndarray,
        parts: int,
    ) -> np.ndarray:
        scores = np.zeros(num_docs, np.float32)
        for part in prange(parts):
            low = num_docs * part // parts
            high = num_docs * (part + 1) // parts
            for t in ids:
                start, end = indptr[t], indptr[t + 1]
                first = start + np.searchsorted(indices[start:end], low)
                last = start + np.searchsorted(indices[start:end], high)
                for j in range(first, last):
                    scores[indices[j]] += data[j]
        return scores

    return cast(Callable[..., np.ndarray], njit(parallel=True, nogil=True)(split_sum))


class _TokenIds:
    """Documents as arrays of vocabulary ids, the vocabulary in order of first use."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {"": 0}  # the token of an empty document
        self.docs: list[array[int]] = []

    def add(self, tokens: list[str]) -> None:
        vocab = self.vocab
        ids = array("i", [vocab.setdefault(t, len(vocab)) for t in tokens] or [0])
        self.docs.append(ids)

    def fit(self) -> bm25s.BM25:
        model = bm25s.BM25()
        if self.docs:
            model.index((self.docs, self.vocab), show_progress=False)
        return model
