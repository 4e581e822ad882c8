import numpy as np
import pytest

from embeddings.reader import SpanLogits, best_token_span, ranked_token_spans
from rag.answering.reader import MAX_ANSWER_TOKENS, ReaderSpan, Window, best_span, windows_around
from rag.sentences import split_sentences

from .test_extractive import _check_citations

TEXT = (
    "Đây là câu thứ nhất của đoạn văn. Hội nghị diễn ra ngày 19/12/2023 tại Hà Nội. "
    "Đây là câu thứ ba của đoạn văn. Đây là câu thứ tư của đoạn văn. "
    "Đây là câu thứ năm của đoạn văn."
)


def _logits(window: str, start_at: int, end_at: int) -> SpanLogits:
    """Token = one whitespace-separated word; high logits at the given words."""
    offsets, pos = [], 0
    for word in window.split(" "):
        offsets.append((pos, pos + len(word)))
        pos += len(word) + 1
    n = len(offsets)
    start, end = np.zeros(n, np.float32), np.zeros(n, np.float32)
    start[start_at], end[end_at] = 5.0, 5.0
    return SpanLogits(start, end, np.asarray(offsets), 0.0)


def test_windows_hold_the_sentence_and_its_neighbours_and_merge():
    base = 100
    sentences = split_sentences(TEXT, base)
    out = windows_around([("c", TEXT, base, sentences[1]), ("c", TEXT, base, sentences[2])])
    assert len(out) == 1  # overlapping windows of one passage merge
    w = out[0]
    assert (w.start, w.end) == (sentences[0].start, sentences[3].end)
    assert TEXT[w.start - base : w.end - base] == w.text
    apart = windows_around([("c", TEXT, base, sentences[0]), ("c", TEXT, base, sentences[4])])
    assert [x.text for x in apart] == [
        TEXT[sentences[0].start - base : sentences[1].end - base],
        TEXT[sentences[3].start - base : sentences[4].end - base],
    ]


def test_best_span_maps_to_document_offsets_and_trims_punctuation():
    doc = "X. " + TEXT
    window = Window("c", 3, 3 + len(TEXT), TEXT)
    k = TEXT.split(" ").index("19/12/2023")
    span = best_span([_logits(TEXT, k, k)], [window])
    assert isinstance(span, ReaderSpan)
    assert doc[span.start : span.end] == "19/12/2023"
    # a span ending on "Nội." loses the full stop
    words = TEXT.split(" ")
    k = words.index("Nội.")
    span = best_span([_logits(TEXT, k - 1, k)], [window])
    assert span is not None and doc[span.start : span.end] == "Hà Nội"


def test_best_span_compares_windows_and_limits_length():
    a, b = Window("a", 0, len(TEXT), TEXT), Window("b", 0, len(TEXT), TEXT)
    weak, strong = _logits(TEXT, 1, 1), _logits(TEXT, 6, 6)
    strong.start[6] = strong.end[6] = 9.0
    weak_only = best_span([weak], [a])
    assert weak_only is not None and weak_only.window == 0
    assert best_span([weak, strong], [a, b]).window == 1
    long_text = " ".join(f"w{i}" for i in range(MAX_ANSWER_TOKENS + 10))
    lg = _logits(long_text, 0, MAX_ANSWER_TOKENS + 5)
    span = best_span([lg], [Window("c", 0, len(long_text), long_text)])
    assert span is not None
    assert len(long_text[span.start : span.end].split()) <= MAX_ANSWER_TOKENS


class _LastWordReader:
    """Stands in for the int8 reader: answers with the last word of the first window (the
    best sentence or the one after it; its first word may be in the article's head,
    which is never an answer sentence)."""

    def __init__(self) -> None:
        self.calls = 0
        self.questions: list[str] = []
        self.accepts: list[object] = []

    def read(self, question, windows, accept=None):
        self.calls += 1
        self.questions.append(question)
        self.accepts.append(accept)
        w = windows[0]
        text = w.text.rstrip(" .,")
        last = text.split(" ")[-1]
        if accept is not None and not accept(last):
            return None
        return ReaderSpan(0, w.start + len(text) - len(last), w.start + len(text), 1.0, 0.0)


@pytest.fixture
def fake(seeds_answerer):
    """``_LastWordReader`` as the seeds answerer's reader (abstention model off)."""
    seeds_answerer.reader = _LastWordReader()
    yield seeds_answerer.reader
    seeds_answerer.reader = None


@pytest.mark.parametrize(
    "question",
    [
        "Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?",
        "When was the 32nd diplomatic conference held?",
    ],
)
def test_answerer_uses_the_reader_span_and_cites_its_sentence(pipeline, question, fake):
    answer = pipeline.ask(question)
    assert not answer.abstained and fake.calls == 1
    _check_citations(pipeline, answer)
    short = answer.short_answer
    assert short is not None and " " not in short.text


def test_reader_reads_an_unaccented_question_with_its_diacritics_restored(pipeline, fake):
    from rag.textnorm import strip_diacritics

    question = "Hoi nghi ngoai giao lan thu 32 dien ra ngay nao?"
    pipeline.ask(question)
    assert fake.calls == 1
    read = fake.questions[0]
    assert read != question and strip_diacritics(read) == question
    assert "Hội nghị" in read or "hội nghị" in read


@pytest.mark.parametrize(
    "typed", ["Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào ", "Which day?"]
)
def test_reader_reads_a_question_ending_in_a_question_mark(pipeline, fake, typed):
    pipeline.ask(typed)
    assert fake.calls == 1
    assert fake.questions[0] == typed.rstrip() + ("" if typed.rstrip().endswith("?") else "?")


def test_ranked_token_spans_are_the_best_spans_in_order():
    rng = np.random.default_rng(0)
    start, end = rng.normal(size=12), rng.normal(size=12)
    ranked = ranked_token_spans(start, end, 10, longest=4)
    every = sorted(
        ((start[i] + end[j], i, j) for i in range(12) for j in range(i, min(12, i + 4))),
        reverse=True,
    )
    assert [(i, j) for i, j, _ in ranked] == [(i, j) for _, i, j in every[:10]]
    assert ranked[0][:2] == best_token_span(start, end, 4)[:2]
    assert len(ranked_token_spans(start[:2], end[:2], 10)) == 3  # all there are


def test_best_span_of_an_asked_kind_skips_better_spans_of_another_kind():
    window = Window("c", 0, len(TEXT), TEXT)
    words = TEXT.split(" ")
    lg = _logits(TEXT, words.index("Hà"), words.index("Nội."))
    lg.start[lg.start == 0] = lg.end[lg.end == 0] = -5.0
    lg.start[words.index("19/12/2023")] = lg.end[words.index("19/12/2023")] = 2.0
    assert TEXT[slice(*_bounds(best_span([lg], [window])))] == "Hà Nội"
    digits = best_span([lg], [window], accept=lambda t: t[-1].isdigit())
    assert TEXT[slice(*_bounds(digits))] == "19/12/2023"
    assert best_span([lg], [window], accept=lambda t: False) is None


def _bounds(span):
    assert span is not None
    return span.start, span.end


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("Có bao nhiêu đại biểu dự trực tiếp Hội nghị ngoại giao lần thứ 32?", "quantity"),
        ("Hội nghị đối ngoại toàn quốc kết thúc lúc mấy giờ?", "clock"),
    ],
)
@pytest.mark.parametrize("found", [True, False])
def test_a_quantity_or_clock_question_is_refused_without_one_in_the_window(
    pipeline, monkeypatch, fake, question, asks, found
):
    from rag.answering.evidence import asked_kind

    assert asked_kind(question) == asks
    seen = []
    monkeypatch.setattr(
        "rag.answering.extractive.of_kind",
        lambda kind, q, text: seen.append((kind, q, text)) or found,
    )
    answer = pipeline.ask(question)
    assert fake.accepts[0] is not None and seen and seen[0][:2] == (asks, question)
    assert answer.abstained is not found
    assert (answer.short_answer is not None) is found
