from pathlib import Path

import bm25s
import numpy as np
import pytest

from rag.retrieval.bm25 import Bm25Index
from rag.textnorm import strip_diacritics, syllables

TEXTS = [
    "Hội nghị ngoại giao lần thứ 32 diễn ra sáng 19/12",
    "Hội nghị đối ngoại toàn quốc năm 2021 tại phòng họp Diên Hồng",
    "Uỷ ban Đối ngoại của Quốc hội báo cáo",
]


def test_accented_query_matches_accented_field():
    index = Bm25Index.build(TEXTS)
    scores = index.scores("ngoại giao lần thứ 32")
    assert int(np.argmax(scores)) == 0


def test_unaccented_query_finds_what_the_accented_one_finds():
    index = Bm25Index.build(TEXTS)
    accented = index.scores("Hội nghị ngoại giao lần thứ 32")
    plain = index.scores("Hoi nghi ngoai giao lan thu 32")
    assert int(np.argmax(plain)) == int(np.argmax(accented)) == 0


def test_tone_mark_conventions_match():
    index = Bm25Index.build(TEXTS)
    assert int(np.argmax(index.scores("Ủy ban đối ngoại"))) == 2


def test_coverage_tells_english_from_vietnamese():
    index = Bm25Index.build(TEXTS)
    assert index.coverage("hoi nghi ngoai giao") == 1.0
    assert index.coverage("When was the diplomatic conference held") < 0.3


def test_save_and_load(tmp_path):
    index = Bm25Index.build(TEXTS)
    index.save(tmp_path / "bm25")
    loaded = Bm25Index.load(tmp_path / "bm25")
    assert np.allclose(loaded.scores("Diên Hồng"), index.scores("Diên Hồng"))


def test_no_match_gives_zeros():
    assert not Bm25Index.build(TEXTS).scores("zzz qqq").any()


def _reference(texts: list[str]) -> tuple[bm25s.BM25, bm25s.BM25]:
    """bm25s fitted on lists of syllable strings, as the index was built before it was
    tokenised into id arrays (the same scores must come out)."""
    tokens = [syllables(t) or [""] for t in texts]
    folded = [[strip_diacritics(s) for s in toks] for toks in tokens]
    models = bm25s.BM25(), bm25s.BM25()
    models[0].index(tokens, show_progress=False)
    models[1].index(folded, show_progress=False)
    return models


def test_the_id_array_build_scores_as_bm25s_does_on_token_lists(tmp_path):
    texts = [*TEXTS, "", "Hội nghị hội nghị Hội nghị", "số 32 và số 19/12"]
    index = Bm25Index.build(iter(texts))  # a generator is enough
    accented, folded = _reference(texts)
    for query in ["Hội nghị ngoại giao 32", "Diên Hồng", "số 19"]:
        expected = accented.get_scores(syllables(query))
        np.testing.assert_allclose(index.scores(query), expected, rtol=1e-6)
    plain = [strip_diacritics(s) for s in syllables("hoi nghi doi ngoai")]
    np.testing.assert_allclose(index.scores("hoi nghi doi ngoai"), folded.get_scores(plain),
                               rtol=1e-6)  # fmt: skip
    index.save(tmp_path / "bm25")
    loaded = Bm25Index.load(tmp_path / "bm25")
    np.testing.assert_allclose(loaded.scores("Hội nghị 32"), index.scores("Hội nghị 32"))
    assert loaded.size == len(texts) and loaded.coverage("hội nghị xyz") == 2 / 3


def test_a_loaded_index_maps_its_score_matrix_from_the_files(tmp_path):
    Bm25Index.build(TEXTS).save(tmp_path / "bm25")
    loaded = Bm25Index.load(tmp_path / "bm25")  # kept alive while the maps are read
    maps = Path("/proc/self/maps").read_text() if Path("/proc/self/maps").exists() else ""
    if not maps:
        pytest.skip("needs Linux /proc")
    assert str(tmp_path / "bm25" / "accented") in maps
    assert str(tmp_path / "bm25" / "folded") in maps
    assert loaded.size == len(TEXTS)


def test_a_large_index_scores_with_the_compiled_loop_and_gets_the_same_scores(
    tmp_path, monkeypatch
):
    pytest.importorskip("numba")
    from rag.retrieval import bm25

    texts = [*TEXTS, "Hội nghị hội nghị Hội nghị", "số 32 và số 19/12"]
    Bm25Index.build(texts).save(tmp_path / "bm25")
    plain = Bm25Index.load(tmp_path / "bm25")
    monkeypatch.setattr(bm25, "JIT_MIN_CHUNKS", len(texts))
    compiled = Bm25Index.load(tmp_path / "bm25")
    assert compiled._accented._compute_relevance_from_scores is bm25._jit_scorer()
    assert plain._accented._compute_relevance_from_scores is not bm25._jit_scorer()
    for query in ["Hội nghị ngoại giao 32", "hoi nghi doi ngoai", "số 19"]:
        np.testing.assert_allclose(compiled.scores(query), plain.scores(query), rtol=1e-6)
