"""Candidate spans and their features."""

from __future__ import annotations

from rag.answering.spans import DEFAULT_WEIGHTS, MAX_WORDS, SpanScorer, span_candidates
from rag.answering.wh import analyse_wh
from rag.answering.words import WordTagger

TAGGER = WordTagger()
SENTENCE = "Sáng 19/12, Tổng Bí thư Nguyễn Phú Trọng chủ trì Hội nghị tại Hà Nội."


def _spans(question, sentence=SENTENCE, weights=None):
    wh = analyse_wh(question, english=False)
    terms = {"chu": 1.0, "tri": 1.0, "hoi": 0.5, "nghi": 0.5}
    words = TAGGER.words(sentence, offset=40)
    spans = span_candidates([(0, words, {"dense": 0.9}, None)], wh, terms)
    scorer = SpanScorer(weights)
    for sp in spans:
        sp.score = scorer.score(sp.features)
    return sorted(spans, key=lambda sp: -sp.score)


def test_spans_never_cross_punctuation_nor_exceed_the_length_limit():
    for sp in _spans("Ai chủ trì Hội nghị?"):
        text = SENTENCE[sp.start - 40 : sp.end - 40]
        assert "," not in text and "." not in text
        assert len(sp.words) <= MAX_WORDS
        assert (
            text == " ".join(w.text for w in sp.words)
            or text.split() == " ".join(w.text for w in sp.words).split()
        )


def test_vietnamese_question_word_stands_where_the_answer_is():
    # "Ai chủ trì…": the answer is just left of "chủ trì"
    spans = _spans("Ai chủ trì Hội nghị?")
    by_text = {" ".join(w.text for w in sp.words): sp for sp in spans}
    person = by_text["Nguyễn Phú Trọng"]
    assert person.features["right_after"] > 0
    assert person.features.get("who*name") == 1.0
    assert by_text["chủ trì"].features["overlap"] == 1.0


def test_default_weights_pick_the_person_for_who():
    best = _spans("Ai chủ trì Hội nghị?", weights=DEFAULT_WEIGHTS)[0]
    assert "Trọng" in " ".join(w.text for w in best.words)


def test_learned_weights_are_used():
    weights = {"when*date": 10.0, "len_log": -1.0}
    best = _spans("Hội nghị diễn ra ngày nào?", weights=weights)[0]
    assert " ".join(w.text for w in best.words) == "19/12"
