"""BM25 over Vietnamese syllables (``bm25s``), with an accent-folded second field.

Two BM25 indexes share the chunk order: one over normalised syllables with their
diacritics, one over the same syllables with diacritics stripped. A query typed with
diacritics is scored on the first (exact Vietnamese matching); a query typed without any is
scored on the folded field, so "hoi nghi ngoai giao" finds "Hội nghị ngoại giao".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from rag.textnorm import strip_diacritics, syllables

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
    def build(cls, texts: Sequence[str]) -> Bm25Index:
        fields = [lexical_fields(t) for t in texts]
        return cls(_fit([a for a, _ in fields]), _fit([f for _, f in fields]), len(texts))

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
        load = bm25s.BM25.load
        accented = load(str(path / "accented"), show_progress=False, verbosity=0)
        folded = load(str(path / "folded"), show_progress=False, verbosity=0)
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
        return np.asarray(model.get_scores(known), dtype=np.float32)

    def top(self, query: str, k: int) -> list[tuple[int, float]]:
        """The ``k`` best-scoring chunk rows for ``query`` with their scores (ties by row;
        chunks that match nothing are left out)."""
        scores = self.scores(query)
        if not len(scores):
            return []
        best = np.argsort(-scores, kind="stable")[:k]
        return [(int(r), float(scores[r])) for r in best if scores[r] > 0]


def _fit(tokens: list[list[str]]) -> bm25s.BM25:
    model = bm25s.BM25()
    if tokens:
        model.index([t or [""] for t in tokens], show_progress=False)
    return model
