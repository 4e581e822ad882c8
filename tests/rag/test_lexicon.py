"""What the optional English→Vietnamese lexicon renders of an English question."""

import pytest

from rag.lexicon import rendered_share, translate_terms


def test_names_and_numbers_are_rendered_without_the_lexicon():
    question = "How many tackles did Luke Kuechly register in 2015?"
    found = translate_terms(question, use_lexicon=False)
    assert found == [("luke",), ("kuechly",), ("2015",)]


@pytest.mark.parametrize(
    ("question", "low", "high"),
    [
        # content words: tackles, Luke, Kuechly, register; the names are rendered
        ("How many tackles did Luke Kuechly register?", 0.3, 0.6),
        # the lexicon knows the conference vocabulary
        ("Which Prime Minister took part in the national foreign affairs conference?", 0.8, 1.0),
    ],
)
def test_rendered_share_counts_the_content_words_the_rendering_holds(question, low, high):
    assert low <= rendered_share(question) <= high


def test_without_the_lexicon_only_names_and_numbers_count():
    q = "Which Prime Minister took part in the national foreign affairs conference in 2021?"
    assert rendered_share(q, use_lexicon=False) < rendered_share(q)
    assert rendered_share("the of and") == 1.0  # no content word: nothing is missing


def test_hybrid_weighs_bm25_by_the_rendered_share(pipeline):
    from rag.retrieval.base import Query
    from rag.retrieval.factory import build_retriever

    index = pipeline.index()
    hybrid = build_retriever("hybrid", index, pipeline.embedder, candidates=20, rrf_k=60)
    query = Query("Who chaired it?", lang="en", lexical_text="Hội nghị ngoại giao")
    full = hybrid.weights(query)[1]
    query.lexical_share = 0.5
    assert hybrid.weights(query)[1] == pytest.approx(full * 0.25)
