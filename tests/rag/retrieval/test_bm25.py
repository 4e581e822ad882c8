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


_WITHOUT_NUMBA_UNTIL_NEEDED = """
import sys
import numpy as np
from rag.retrieval import bm25
assert "numba" not in sys.modules, "importing the BM25 module loaded numba"
index = bm25.Bm25Index.build(["hội nghị ngoại giao", "số 32 và số 19/12", "hội nghị"])
before = index.scores("hội nghị 32")
assert "numba" not in sys.modules, "a small index loaded numba"
assert bm25._jit_scorer() is not None and "numba" in sys.modules
index._accented._compute_relevance_from_scores = bm25._jit_scorer()
np.testing.assert_allclose(index.scores("hội nghị 32"), before, rtol=1e-6)
"""


def test_numba_is_loaded_only_when_a_large_index_needs_it():
    """bm25s imports numba (~56 MB resident) when it is installed; a server worker over a
    small index should not hold it, and a large one must still get the compiled loop."""
    pytest.importorskip("numba")
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_NUMBA_UNTIL_NEEDED], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]


def _top_rows_by_partition(scores: np.ndarray, k: int) -> np.ndarray:
    """What ``top_rows`` must return: a stable sort of all rows by score, cut at k."""
    return np.lexsort((np.arange(len(scores)), -scores))[:k]


@pytest.mark.parametrize("n", [5, 900, 20_000, 300_000])
@pytest.mark.parametrize("k", [1, 5, 30, 200])
def test_top_rows_is_a_stable_sort_cut_at_k_whatever_the_scores(n, k):
    from rag.retrieval.bm25 import top_rows

    rng = np.random.default_rng(n + k)
    shapes = {
        "spread": rng.random(n).astype(np.float32),
        "mostly zero": np.where(rng.random(n) < 0.999, 0.0, rng.random(n)).astype(np.float32),
        "few values": rng.integers(0, 4, n).astype(np.float32),  # ties at every cut
        "all zero": np.zeros(n, np.float32),
        "rising": np.arange(n, dtype=np.float32),  # the sample misses the best rows
    }
    for name, scores in shapes.items():
        got = top_rows(scores, k)
        np.testing.assert_array_equal(got, _top_rows_by_partition(scores, k), err_msg=name)


def test_top_rows_finds_the_best_from_a_sample_at_a_million_rows(monkeypatch):
    from rag.retrieval import bm25

    scores = np.random.default_rng(0).random(1_000_000).astype(np.float32)
    monkeypatch.setattr(np, "partition", _no_full_partition(np.partition, len(scores)))
    np.testing.assert_array_equal(bm25.top_rows(scores, 30), _top_rows_by_partition(scores, 30))


def _no_full_partition(partition, n):
    def checked(a, kth, *args, **kwargs):
        assert len(a) < n, "the full scores were partitioned"
        return partition(a, kth, *args, **kwargs)

    return checked


def test_the_split_loop_sums_the_same_floats_from_any_number_of_threads(monkeypatch):
    pytest.importorskip("numba")
    from concurrent.futures import ThreadPoolExecutor

    from rag.retrieval import bm25

    rng = np.random.default_rng(3)
    words = [f"s{j}" for j in range(400)]
    texts = [" ".join(rng.choice(words, size=int(rng.integers(5, 40)))) for _ in range(2000)]
    index = Bm25Index.build(texts)
    split = bm25._split_scorer()
    if split is None:
        pytest.skip("one core: no split loop")
    queries = [" ".join(rng.choice(words, size=6)) for _ in range(30)]
    expected = [index.scores(q) for q in queries]  # below JIT_MIN_CHUNKS: bm25s's own loop
    monkeypatch.setattr(bm25, "JIT_MIN_CHUNKS", 1)
    for query, want in zip(queries, expected, strict=True):
        np.testing.assert_array_equal(index.scores(query), want)
    model = index._accented
    m = model.scores
    ids = np.asarray([model.vocab_dict[t] for t in queries[0].split()], dtype=np.int64)
    for parts in (1, 3, 7):
        got = split(m["data"], m["indptr"], m["indices"], index.size, ids, parts)
        np.testing.assert_array_equal(got, expected[0])
    with ThreadPoolExecutor(4) as pool:  # concurrent questions: one splits, the rest wait not
        for got, want in zip(pool.map(index.scores, queries * 3), expected * 3, strict=True):
            np.testing.assert_array_equal(got, want)
