"""``Pipeline.warm_up`` does the per-index work a first question would otherwise wait for."""

from __future__ import annotations


def test_warm_up_learns_the_diacritic_restorer(pipeline):
    index = pipeline.index()
    assert index._restorer is None  # learnt lazily until warm-up
    pipeline.warm_up()
    restorer = index._restorer
    assert restorer is not None
    assert restorer.restore("hoi nghi ngoai giao") == "hội nghị ngoại giao"
    pipeline.search("Hoi nghi ngoai giao lan thu 32 dien ra ngay nao?")  # typed without accents
    assert index._restorer is restorer  # not learnt again
