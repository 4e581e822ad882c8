"""The question sets ``rag eval --calibrate`` asks (eval/calibration_run.py)."""

from __future__ import annotations

from eval.calibration_run import _unaccented
from eval.squad import load_squad
from rag.textnorm import strip_diacritics


def test_unaccented_variant_of_every_question_with_diacritics(squad_file):
    squad = load_squad(squad_file)
    bare = _unaccented(squad)
    assert bare["mk0a"] == "Song Me Kong dai khoang bao nhieu km?"
    with_marks = [q for q in squad.questions if strip_diacritics(q.question) != q.question]
    assert set(bare) == {q.id for q in with_marks}
    assert all(strip_diacritics(text) == text for text in bare.values())
