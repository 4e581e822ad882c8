"""The gold set: the loader's validation, and the data itself against the seeds."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from eval.gold import DEFAULT_GOLD, GoldError, load_gold, parse_lines, select_split
from rag.documents import load_documents
from rag.textnorm import fold

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "eval" / "gold.jsonl"
SEEDS = ROOT / "seeds"

GOOD = {
    "id": "q1", "question": "Ai chủ trì?", "answer": "Nguyễn Phú Trọng", "aliases": [],
    "evidence": ["Tổng Bí thư Nguyễn Phú Trọng chủ trì"], "doc_ids": ["000_x"], "lang": "vi",
    "answerable": True, "type": "person", "split": "dev",
}  # fmt: skip
UNANSWERABLE = {**GOOD, "id": "q2", "answer": "", "evidence": [], "doc_ids": [],
                "answerable": False}  # fmt: skip


def raw_rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in GOLD.read_text("utf-8").splitlines() if line.strip()]


def lines(*rows: object) -> list[str]:
    return [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]


# ------------------------------------------------------------------------------ the data
def test_default_gold_is_the_repository_file():
    assert DEFAULT_GOLD.resolve() == GOLD.resolve()


def test_gold_loads_and_meets_the_minimum_counts():
    items = load_gold(GOLD)
    langs = Counter(i.lang for i in items)
    assert len(items) >= 80
    assert langs["en"] >= 15
    assert langs["vi-noaccent"] >= 15
    assert sum(not i.answerable for i in items) >= 15
    assert {i.split for i in items} == {"dev", "test", "holdout"}


def test_ids_are_unique():
    ids = [row["id"] for row in raw_rows()]
    assert len(ids) == len(set(ids))


def test_answerable_questions_have_evidence_and_unanswerable_none():
    for row in raw_rows():
        if row["answerable"]:
            assert len(row["evidence"]) >= 1, row["id"]
            assert row["answer"].strip(), row["id"]
        else:
            assert row["evidence"] == [], row["id"]
            assert row["answer"] == "", row["id"]


def test_every_evidence_string_is_in_the_cleaned_text_of_one_of_its_docs():
    docs = {d.doc_id: fold(d.text) for d in load_documents(SEEDS)}
    missing = []
    for row in raw_rows():
        assert set(row["doc_ids"]) <= set(docs), row["id"]
        for evidence in row["evidence"]:
            if not any(fold(evidence) in docs[d] for d in row["doc_ids"]):
                missing.append((row["id"], evidence))
    assert missing == []


def test_every_listed_doc_holds_some_evidence():
    docs = {d.doc_id: fold(d.text) for d in load_documents(SEEDS)}
    for row in raw_rows():
        for doc_id in row["doc_ids"]:
            assert any(fold(e) in docs[doc_id] for e in row["evidence"]), (row["id"], doc_id)


# ---------------------------------------------------------------------------- the loader
def test_parse_lines_builds_items():
    items = parse_lines(lines(GOOD, "", UNANSWERABLE))
    assert [i.id for i in items] == ["q1", "q2"]
    assert items[0].expected == ("Nguyễn Phú Trọng",)
    assert items[0].evidence == ("Tổng Bí thư Nguyễn Phú Trọng chủ trì",)
    assert items[1].expected == ()
    assert not items[1].answerable


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ({k: v for k, v in GOOD.items() if k != "evidence"}, "missing field(s) evidence"),
        ({**GOOD, "lang": "fr"}, "lang 'fr' is not one of"),
        ({**GOOD, "split": "train"}, "split 'train' is not one of"),
        ({**GOOD, "type": "colour"}, "type 'colour' is not one of"),
        ({**GOOD, "answerable": "yes"}, "'answerable' must be true or false"),
        ({**GOOD, "aliases": "x"}, "'aliases' must be a list"),
        ({**GOOD, "evidence": []}, "needs evidence and doc_ids"),
        ({**GOOD, "answer": " "}, "empty answer"),
        ({**UNANSWERABLE, "evidence": ["x"]}, "unanswerable question must have"),
        ({**GOOD, "question": ""}, "empty question"),
    ],
)
def test_malformed_line_is_reported_with_its_line_number(row, message):
    with pytest.raises(GoldError) as err:
        parse_lines(lines(UNANSWERABLE, row), "gold.jsonl")
    assert str(err.value).startswith("gold.jsonl:2: ")
    assert message in str(err.value)


def test_duplicate_ids_are_rejected():
    with pytest.raises(GoldError, match=r"gold:2: duplicate id 'q1' \(first on line 1\)"):
        parse_lines(lines(GOOD, GOOD))


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", "utf-8")
    with pytest.raises(GoldError, match="no gold questions"):
        load_gold(empty)
    with pytest.raises(GoldError, match="gold file not found"):
        load_gold(tmp_path / "nope.jsonl")


def test_select_split():
    items = parse_lines(lines(GOOD, {**UNANSWERABLE, "split": "test"}))
    assert [i.id for i in select_split(items, "dev")] == ["q1"]
    assert [i.id for i in select_split(items, "test")] == ["q2"]
    assert len(select_split(items, "all")) == 2
    with pytest.raises(GoldError):
        select_split(items, "train")


def test_compound_answers():
    (plain, listed, two) = parse_lines(lines(
        GOOD,
        {**GOOD, "id": "q3", "type": "list"},
        {**GOOD, "id": "q4", "evidence": ["a b c", "d e f"]},
    ))  # fmt: skip
    assert not plain.compound
    assert listed.compound
    assert two.compound
