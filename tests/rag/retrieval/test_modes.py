import pytest

from rag.errors import InputError


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_each_mode_returns_ranked_chunks(pipeline, mode):
    res = pipeline.search("Hội nghị ngoại giao lần thứ 32", top_k=5, mode=mode)
    assert 1 <= len(res.results) <= 5
    assert [r.rank for r in res.results] == list(range(1, len(res.results) + 1))
    scores = [r.score for r in res.results]
    assert scores == sorted(scores, reverse=True)
    doc = pipeline.document(res.results[0].doc_id)
    assert doc.text[res.results[0].start : res.results[0].end] == res.results[0].text


def test_bm25_and_hybrid_find_the_32nd_conference_without_diacritics(pipeline):
    for mode in ("bm25", "hybrid"):
        res = pipeline.search("Hoi nghi ngoai giao lan thu 32", mode=mode)
        assert res.results[0].doc_id == "003_792b6e1b99918ddc"


def test_unknown_mode_is_an_input_error(pipeline):
    with pytest.raises(InputError, match="mode"):
        pipeline.search("hội nghị", mode="magic")


@pytest.mark.parametrize("question", ["", "   ", "x" * 2001])
def test_bad_questions_are_refused(pipeline, question):
    with pytest.raises(InputError):
        pipeline.ask(question)
