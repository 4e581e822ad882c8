import numpy as np

from rag.retrieval.bm25 import Bm25Index

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
