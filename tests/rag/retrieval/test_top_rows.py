import numpy as np

from rag.retrieval.bm25 import top_rows


def test_top_rows_is_the_head_of_a_stable_descending_sort():
    rng = np.random.default_rng(0)
    for n, k in [(1000, 10), (50, 50), (30, 100), (2000, 1)]:
        scores = rng.integers(0, 6, n).astype(np.float32)  # many ties
        expected = np.argsort(-scores, kind="stable")[:k]
        np.testing.assert_array_equal(top_rows(scores, k), expected)
    assert len(top_rows(np.zeros(0, np.float32), 5)) == 0
