"""The default answerer: picks the sentence(s) of the retrieved passages that best answer
the question, cites them, and abstains when the passages do not hold the answer.

Each candidate sentence gets features:
- ``dense``: cosine between the question and the sentence (multilingual e5; carries English),
- ``lexical``: IDF-weighted share of the question's content syllables found (accent-folded)
  in the sentence and its passage (carries Vietnamese, with or without diacritics),
- ``typed``: the sentence contains what the question asks for (a date for "khi nào"/"when",
  a number for "bao nhiêu"/"how many", a name for "ai"/"who", a place for "ở đâu"/"where").

The best sentence is the answer. Abstention needs evidence, not a similarity alone: the
confidence combines lexical coverage (for Vietnamese), the sentence's cosine relative to the
language's typical level (English scores lower), and the typed check; thresholds are
calibrated per language on the gold set's dev split (``rag eval --calibrate``).
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from embeddings import Embedder
from rag.answering.base import Draft, Passage, citation
from rag.answering.evidence import has_answer_type
from rag.answering.question import QuestionInfo, analyse
from rag.answering.sentences import Sentence, split_sentences
from rag.retrieval.base import Query
from rag.textnorm import fold, syllables

ABSTAIN_MESSAGES = {
    "vi": "Không tìm thấy thông tin này trong các tài liệu.",
    "vi-noaccent": "Không tìm thấy thông tin này trong các tài liệu.",
    "en": "The documents do not contain this.",
}
CALIBRATION_FILE = "calibration.json"
DEFAULT_CALIBRATION: dict[str, Any] = {
    "weights": {"dense": 1.0, "lexical": 0.6, "typed": 0.15, "rank": 0.05},
    "thresholds": {"vi": 0.0, "vi-noaccent": 0.0, "en": 0.0},
    "dense_floor": {"vi": 0.80, "vi-noaccent": 0.80, "en": 0.78},
}


@dataclass
class Candidate:
    passage_rank: int
    passage: Passage
    sentence: Sentence
    dense: float = 0.0
    lexical: float = 0.0
    passage_lexical: float = 0.0
    typed: bool = False
    score: float = 0.0


def load_calibration() -> dict[str, Any]:
    try:
        text = resources.files("rag.answering").joinpath(CALIBRATION_FILE).read_text("utf-8")
    except (FileNotFoundError, OSError):
        return DEFAULT_CALIBRATION
    data = json.loads(text)
    return {**DEFAULT_CALIBRATION, **data}


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(
        self,
        embedder: Embedder,
        idf: dict[str, float],
        calibration: dict[str, Any] | None = None,
    ) -> None:
        self.embedder = embedder
        self.idf = idf
        self.calibration = calibration or load_calibration()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    # ------------------------------------------------------------------ features
    def _embed(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            for text, vec in zip(missing, self.embedder.embed_passages(missing), strict=True):
                self._cache[text] = vec
                if len(self._cache) > 4096:
                    self._cache.popitem(last=False)
        return np.stack([self._cache[t] for t in texts])

    def _coverage(self, terms: tuple[str, ...], text: str) -> float:
        if not terms:
            return 0.0
        present = set(fold(text).split()) | {fold(s) for s in syllables(text)}
        weights = [self.idf.get(t, self._max_idf) for t in terms]
        hit = sum(w for t, w in zip(terms, weights, strict=True) if t in present)
        return hit / sum(weights)

    @property
    def _max_idf(self) -> float:
        return max(self.idf.values(), default=1.0)

    def candidates(
        self, query: Query, info: QuestionInfo, passages: list[Passage]
    ) -> list[Candidate]:
        out: list[Candidate] = []
        for rank, passage in enumerate(passages):
            chunk = passage.chunk
            passage_cov = self._coverage(info.terms, passage.document.title + " " + chunk.text)
            for sentence in split_sentences(chunk.text, chunk.start):
                out.append(
                    Candidate(
                        rank, passage, sentence,
                        lexical=self._coverage(info.terms, sentence.text),
                        passage_lexical=passage_cov,
                        typed=has_answer_type(info.qtype, sentence.text),
                    )
                )  # fmt: skip
        if out and query.vector is not None:
            vectors = self._embed([c.sentence.text for c in out])
            for cand, sim in zip(out, vectors @ query.vector, strict=True):
                cand.dense = float(sim)
        w = self.calibration["weights"]
        for c in out:
            lexical = 0.7 * c.lexical + 0.3 * c.passage_lexical
            c.score = (
                w["dense"] * c.dense
                + w["lexical"] * lexical
                + w["typed"] * float(c.typed)
                - w["rank"] * math.log1p(c.passage_rank)
            )
        out.sort(key=lambda c: -c.score)
        return out

    def confidence(self, info: QuestionInfo, best: Candidate) -> float:
        """Evidence that ``best`` answers the question; compared with the language's threshold."""
        floor = self.calibration["dense_floor"].get(info.lang, 0.8)
        lexical = 0.7 * best.lexical + 0.3 * best.passage_lexical
        dense_margin = (best.dense - floor) * 10.0
        if info.lang == "en":
            evidence = dense_margin
        else:
            evidence = min(lexical - 0.5, 0.5) * 2.0 + 0.5 * dense_margin
        return float(evidence + (0.0 if best.typed else -1.0))

    # -------------------------------------------------------------------- answer
    def answer(self, query: Query, passages: list[Passage]) -> Draft:
        info = analyse(query.text)
        ranked = self.candidates(query, info, passages)
        if not ranked:
            return self._abstain(info, passages, -math.inf)
        best = ranked[0]
        conf = self.confidence(info, best)
        if conf < self.calibration["thresholds"].get(info.lang, 0.0):
            return self._abstain(info, passages, conf)
        chosen = [best]
        # a second sentence when the question wants a list or the runner-up is as good
        for other in ranked[1:4]:
            if other.sentence == best.sentence or (
                other.passage.chunk == best.passage.chunk
                and (abs(other.sentence.start - best.sentence.start) < 2)
            ):
                continue
            close = other.score >= best.score - 0.02
            if (info.qtype == "other" and close) or (close and other.typed and not best.typed):
                chosen.append(other)
                break
        numbering: dict[str, int] = {}
        citations = []
        parts = []
        for cand in chosen:
            key = cand.passage.chunk.chunk_id
            if key not in numbering:
                numbering[key] = len(numbering) + 1
                chunk = cand.passage.chunk
                citations.append(citation(numbering[key], cand.passage, chunk.start, chunk.end))
            parts.append(f"{cand.sentence.text} [{numbering[key]}]")
        return Draft(" ".join(parts), False, citations, conf)

    def _abstain(self, info: QuestionInfo, passages: list[Passage], conf: float) -> Draft:
        citations = [
            citation(n, p, p.chunk.start, p.chunk.end) for n, p in enumerate(passages[:3], 1)
        ]
        message = ABSTAIN_MESSAGES[info.lang]
        return Draft(message, True, citations, conf if math.isfinite(conf) else -99.0)
