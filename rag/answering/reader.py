"""The short answer from the fine-tuned reader (``embeddings/reader.py``).

The answerer ranks sentences and picks the best one as before; the reader then reads that
sentence with its neighbours in the same passage (the windows it was trained on: three
consecutive sentences), and its best-scoring span (start + end logit, at most
``MAX_ANSWER_TOKENS`` tokens) is the short answer, copied from the document by its offsets.

The reader's weights (``reader_weights.safetensors``) are a low-rank update of e5-small plus a
span head, trained by ``rag eval --train-reader`` (``eval/reader_training.py``) on the XQuAD
dev articles in ``../shared/data`` (Vietnamese and English questions, CC BY-SA 4.0) and cloze
questions made from their paragraphs and the seeds; ``reader_weights.json`` records the data,
settings and the scores on articles left out of training.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from embeddings.reader import MAX_ANSWER_TOKENS as MAX_ANSWER_TOKENS
from embeddings.reader import best_token_span, ranked_token_spans
from rag.sentences import Sentence, split_sentences

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "reader_weights.safetensors"
_EDGE = " \t\n,.;:!?…\"'“”‘’«»-–—"


@dataclass(frozen=True)
class Window:
    """Consecutive sentences of one passage: ``text == document.text[start:end]``."""

    key: Any  # the passage it comes from
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class ReaderSpan:
    window: int
    start: int  # document offsets
    end: int
    score: float
    null: float


def weights_path() -> Path | None:
    path = Path(str(resources.files("rag.answering").joinpath(WEIGHTS_FILE)))
    return path if path.is_file() else None


def windows_around(sentences: list[tuple[Any, str, int, Sentence]]) -> list[Window]:
    """For each (passage key, passage text, passage start offset, sentence): the sentence
    with the sentences just before and after it in its passage; overlapping windows of one
    passage are merged, order kept."""
    out: list[Window] = []
    for key, text, base, sentence in sentences:
        parts = split_sentences(text, base)
        k = next((i for i, s in enumerate(parts) if s.start == sentence.start), None)
        if k is None:
            continue
        lo, hi = parts[max(0, k - 1)], parts[min(len(parts) - 1, k + 1)]
        start, end = lo.start, hi.end
        for i, w in enumerate(out):
            if w.key == key and start < w.end and w.start < end:
                start, end = min(start, w.start), max(end, w.end)
                out[i] = Window(key, start, end, text[start - base : end - base])
                break
        else:
            out.append(Window(key, start, end, text[start - base : end - base]))
    return out


# How many of a window's best spans are tried for one of the asked kind (``accept``).
KIND_CANDIDATES = 40


def best_span(
    logits: list[Any], windows: list[Window], accept: Callable[[str], bool] | None = None
) -> ReaderSpan | None:
    """The best span over all windows (``logits``: the reader's ``SpanLogits`` per window);
    with ``accept``, the best span whose text it accepts among each window's
    ``KIND_CANDIDATES`` best (None when there is none)."""
    best: ReaderSpan | None = None
    for w, (lg, window) in enumerate(zip(logits, windows, strict=True)):
        if len(lg.start) == 0:
            continue
        if accept is None:
            spans = [best_token_span(lg.start, lg.end)]
        else:
            spans = ranked_token_spans(lg.start, lg.end, KIND_CANDIDATES)
        for i, j, score in spans:
            a, b = int(lg.offsets[i][0]), int(lg.offsets[j][1])
            text = window.text[a:b]
            lead = len(text) - len(text.lstrip(_EDGE))
            trail = len(text) - len(text.rstrip(_EDGE))
            if lead + trail >= len(text):
                continue
            if accept is not None and not accept(text[lead : len(text) - trail]):
                continue
            if best is None or score > best.score:
                start = window.start + a + lead
                best = ReaderSpan(w, start, window.start + b - trail, score, lg.null)
            break
    return best


class PassageReader:
    """Runs the int8 reader over windows of the answerer's best sentences."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader

    def read(
        self,
        question: str,
        windows: list[Window],
        accept: Callable[[str], bool] | None = None,
    ) -> ReaderSpan | None:
        if not windows:
            return None
        logits = self._reader.read(question, [w.text for w in windows])
        return best_span(logits, windows, accept)


def load_reader(embedder: Any, cache_dir: Path) -> PassageReader | None:
    """The reader for this embedder, provisioned if needed; None (the answerer keeps its own
    span scorer) when the embedder is not the int8 e5 encoder, the weights are missing or
    the int8 reader was refused."""
    from embeddings.onnx_backend import OnnxEncoder

    encoder = getattr(embedder, "inner", embedder)
    weights = weights_path()
    if not isinstance(encoder, OnnxEncoder) or weights is None:
        return None
    from embeddings.provision import ProvisionError
    from embeddings.reader import OnnxReader, ensure_reader

    try:
        return PassageReader(OnnxReader(encoder, ensure_reader(cache_dir, encoder, weights)))
    except (ProvisionError, ImportError, OSError) as exc:
        logger.warning("reader not used (%s); short answers come from the span scorer", exc)
        return None
