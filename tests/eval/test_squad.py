"""The SQuAD runner on the hashing pipeline: loading, held-out articles, records, metrics,
the report. ``fake_answers`` (conftest) replaces ``Pipeline.ask`` so the span metrics have
known values whatever the extractive answerer currently returns."""

from __future__ import annotations

import json
import tempfile

import pytest

from eval.squad import (
    choose_holdout,
    gold_findability,
    load_question_texts,
    load_squad,
    paragraph_documents,
    replace_questions,
    run_squad,
    slugify,
)
from eval.squad_report import CURVE_PNG, F1_PNG, render_markdown, write_squad_report
from rag import Pipeline, Settings
from rag.errors import InputError
from tests.eval.conftest import SQUAD

ARTICLES = ["Sông_Mê_Kông", "Phở", "Vịnh_Hạ_Long"]


@pytest.fixture
def hash_settings(tmp_path):
    return Settings(index_dir=tmp_path / "untouched", embed_backend="hash",
                    model_cache=tmp_path / "models")  # fmt: skip


# ------------------------------------------------------------------------- loading
def test_load_squad(squad_file):
    data = load_squad(squad_file)
    assert list(data.articles) == ARTICLES
    assert [p.doc_id for p in data.paragraphs] == [
        "song-me-kong-0", "song-me-kong-1", "pho-0", "pho-1", "vinh-ha-long-0", "vinh-ha-long-1",
    ]  # fmt: skip
    assert len(data.questions) == 12
    q = data.questions[3]
    assert (q.id, q.doc_id, q.answers) == ("mk1b", "song-me-kong-1",
                                           ("khoảng 17 triệu người", "17 triệu"))  # fmt: skip


def test_slugs():
    assert slugify("Sky_(United_Kingdom)") == "sky-united-kingdom"
    assert slugify("Jacksonville,_Florida") == "jacksonville-florida"
    assert slugify("Đà_Lạt") == "da-lat"
    assert slugify("!!!") == "article"


def test_documents_one_per_paragraph(squad_file):
    docs = paragraph_documents(load_squad(squad_file))
    assert [d.title for d in docs[:3]] == ["Sông Mê Kông", "Sông Mê Kông", "Phở"]
    assert {d.source for d in docs} == {"mini-squad.json"}
    assert all(d.date is None for d in docs)
    assert "ôn hòa quanh năm" in docs[5].text  # cleaned: one tone-mark convention


def test_gold_findability_counts_cleaning_losses(tmp_path):
    data = json.loads(json.dumps(SQUAD))
    para = data["data"][0]["paragraphs"][0]
    para["context"] += "\n1.234 lượt xem"  # a view counter: the cleaner drops the line
    para["qas"].append({"id": "x", "question": "Bao nhiêu lượt xem?",
                        "answers": [{"text": "1.234 lượt xem", "answer_start": 0}]})  # fmt: skip
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    squad = load_squad(path)
    texts = {d.doc_id: d.text for d in paragraph_documents(squad)}
    found = gold_findability(squad.questions, texts)
    # 15 gold spans; "ôn hoà quanh năm" only after tone placement; the counter is gone
    assert found == {"answers": 15, "verbatim": 13, "normalised": 14, "rate": 0.9333}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1, 2]", 'expected an object with a "data" list'),
        ('{"data": []}', '"data" is empty'),
        ('{"data": [{"title": "A", "paragraphs": [{"context": "x"}]}]}', "needs a qas list"),
        ('{"data": [{"title": "A", "paragraphs": [{"context": "x", "qas": [{"id": "1", '
         '"question": "?", "answers": []}]}]}]}', "has no answers"),
        ("{not json", "malformed JSON"),
    ],
)  # fmt: skip
def test_bad_squad_files(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, "utf-8")
    with pytest.raises(InputError, match=message):
        load_squad(path)


def test_missing_squad_file(tmp_path):
    with pytest.raises(InputError, match="SQuAD file not found"):
        load_squad(tmp_path / "nope.json")


def test_replace_questions(squad_file, english_file):
    data, n = replace_questions(load_squad(squad_file), load_question_texts(english_file))
    assert n == 2
    by_id = {q.id: q for q in data.questions}
    assert by_id["mk0a"].question == "How long is the Mekong River?"
    assert by_id["mk0a"].answers == ("4.350 km",)  # gold spans stay Vietnamese
    assert by_id["mk0b"].question == "Sông Mê Kông bắt nguồn từ đâu?"
    with pytest.raises(InputError, match=r"1 id\(s\) not in mini-squad\.json: nope"):
        replace_questions(data, {"nope": "?"})


# ------------------------------------------------------------------------ held out
def test_holdout_is_deterministic_and_in_file_order():
    titles = [f"a{i}" for i in range(12)]
    first = choose_holdout(titles, 3, seed=0)
    assert first == choose_holdout(titles, 3, seed=0)
    assert len(first) == 3 and set(first) <= set(titles)
    assert first == sorted(first, key=titles.index)
    assert len({tuple(choose_holdout(titles, 3, seed=s)) for s in range(10)}) > 1
    assert choose_holdout(titles, 0) == []
    # a larger N extends the same shuffle
    assert set(first) <= set(choose_holdout(titles, 5, seed=0))


@pytest.mark.parametrize("n", [3, 4])
def test_holdout_must_leave_an_article(n):
    with pytest.raises(InputError, match=f"cannot hold out {n} of 3 articles"):
        choose_holdout(ARTICLES, n)


# -------------------------------------------------------------------------- running
def test_span_metrics_with_known_answers(hash_settings, squad_file, fake_answers):
    run = run_squad(hash_settings, squad_file, limit=4, mode="bm25")
    m = run.metrics["overall"]["all"]
    assert [r.id for r in run.records] == ["mk0a", "mk0b", "mk1a", "mk1b"]
    assert [r.exact_match for r in run.records] == [1.0, 0.0, 0.0, 0.0]
    assert [r.f1 for r in run.records] == [1.0, pytest.approx(8 / 9, abs=1e-4), 0.0, 0.0]
    assert [r.contains for r in run.records] == [True, True, False, False]
    assert m["n"] == m["n_answerable"] == 4 and m["n_answered"] == 3
    assert m["n_short_answer"] == 3
    assert m["exact_match"] == 0.25
    assert m["f1"] == pytest.approx((1 + 8 / 9) / 4, abs=1e-4)
    assert m["exact_match_answered"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["f1_answered"] == pytest.approx((1 + 8 / 9) / 3, abs=1e-4)
    assert m["answer_contains"] == 0.5
    assert m["false_abstention"] == 0.25
    assert m["abstain_rate"] is None  # nothing held out
    ranks = [r.hit_rank for r in run.records]
    assert m["hit@1"] == sum(r == 1 for r in ranks) / 4
    assert m["hit@5"] == sum(r is not None and r <= 5 for r in ranks) / 4
    assert set(run.metrics["article"]) == {"Sông_Mê_Kông"}


def test_no_short_answer_scores_zero(hash_settings, squad_file, fake_answers):
    run = run_squad(hash_settings, squad_file, mode="bm25")
    phở = [r for r in run.records if r.article == "Phở"]
    assert phở and all(not r.abstained and r.short_answer is None for r in phở)
    assert all(r.f1 == 0.0 and r.exact_match == 0.0 for r in phở)
    assert run.metrics["article"]["Phở"]["f1"] == 0.0
    assert run.metrics["article"]["Phở"]["f1_answered"] == 0.0


def test_held_out_articles_are_not_indexed(hash_settings, squad_file, fake_answers, tmp_path):
    index_dir = tmp_path / "kept-index"
    run = run_squad(hash_settings, squad_file, holdout_articles=1, seed=0, mode="bm25",
                    index_dir=index_dir)  # fmt: skip
    heldout = choose_holdout(ARTICLES, 1, 0)
    assert run.config["heldout_titles"] == heldout
    indexed = Pipeline(hash_settings.model_copy(update={"index_dir": index_dir}))
    paragraphs = load_squad(squad_file).paragraphs
    assert {d for d, _ in indexed.documents()} == {
        p.doc_id for p in paragraphs if p.article not in heldout
    }
    for r in run.records:
        assert r.heldout == (r.article in heldout)
        assert r.answerable == (not r.heldout)
        if r.heldout:
            assert r.hit_rank is None and r.f1 is None and r.contains is None
    m = run.metrics["overall"]["all"]
    assert (m["n_answerable"], m["n_unanswerable"], m["n_heldout"]) == (8, 4, 4)
    held = [r for r in run.records if r.heldout]
    assert m["abstain_rate"] == sum(r.abstained for r in held) / 4
    # the fake abstains on one Mê Kông question
    assert m["false_abstention"] == (0.0 if "Sông_Mê_Kông" in heldout else 1 / 8)

    # the kept index is reused and follows another choice of held-out article
    other = next(s for s in range(1, 50) if choose_holdout(ARTICLES, 1, s) != heldout)
    again = run_squad(hash_settings, squad_file, holdout_articles=1, seed=other, mode="bm25",
                      index_dir=index_dir, limit=1)  # fmt: skip
    now_out = choose_holdout(ARTICLES, 1, other)
    assert again.config["heldout_titles"] == now_out
    assert {d for d, _ in indexed.documents()} == {
        p.doc_id for p in paragraphs if p.article not in now_out
    }


def test_records_with_the_real_answerer(settings, squad_file, english_file, monkeypatch,
                                        tmp_path):  # fmt: skip
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    pipeline = Pipeline(settings)  # no index of its own: run_squad never touches it
    run = run_squad(pipeline, squad_file, questions=english_file, limit=6, top_k=3)
    assert list(scratch.iterdir()) == []  # the temporary index is removed
    assert not settings.index_dir.exists()
    assert len(run.records) == 6
    assert run.config["questions_replaced"] == 2
    assert run.config["mode"] == settings.retrieval_mode
    assert run.config["paragraphs_indexed"] == 6 and run.config["heldout_titles"] == []
    langs = {r.id: r.lang for r in run.records}
    assert langs["mk0a"] == "en" and langs["mk0b"] == "vi"
    for r in run.records:
        assert r.answerable and not r.heldout
        assert isinstance(r.confidence, float) and isinstance(r.abstained, bool)
        assert 0.0 <= r.f1 <= 1.0 and r.exact_match in (0.0, 1.0)
        assert r.hit_rank is None or 1 <= r.hit_rank <= 10
        if r.abstained or r.short_answer is None:
            assert r.f1 == 0.0
        else:
            assert r.short_answer_in_gold == (r.short_answer_doc_id == r.doc_id)
        assert "total" in r.timings_ms and r.search_ms >= 0
    assert set(run.metrics) == {"overall", "article", "type", "lang"}
    assert run.latency["ask"]["total"]["n"] == 6
    assert run.curve and all("threshold" in p for p in run.curve)


def test_bad_arguments(hash_settings, squad_file):
    with pytest.raises(InputError, match="cannot hold out"):
        run_squad(hash_settings, squad_file, holdout_articles=3)
    with pytest.raises(InputError, match="unknown retrieval mode"):
        run_squad(hash_settings, squad_file, mode="fuzzy", limit=1)
    with pytest.raises(InputError, match=r"not in mini-squad\.json"):
        run_squad(hash_settings, squad_file, questions={"zz": "?"})


# --------------------------------------------------------------------------- report
def test_report_files(hash_settings, squad_file, fake_answers, tmp_path):
    run = run_squad(hash_settings, squad_file, holdout_articles=1, mode="bm25")
    paths = write_squad_report(run, tmp_path / "report")
    data = json.loads(paths["json"].read_text("utf-8"))
    assert set(data) == {"config", "metrics", "latency", "abstention_curve", "records"}
    record = data["records"][0]
    for key in ("id", "article", "question", "lang", "gold_answers", "answerable",
                "short_answer", "answer", "abstained", "confidence", "hit_rank",
                "short_answer_doc_id", "short_answer_in_gold", "timings_ms"):  # fmt: skip
        assert key in record
    assert data["config"]["gold_in_cleaned_text"]["answers"] == 14
    md = render_markdown(run)
    assert "| n | answerable | unanswerable | EM | F1 |" in md
    assert f"{run.config['heldout_titles'][0]} (held out)" in md
    assert "## Per article" in md and "## Per type" in md
    assert (tmp_path / "report" / F1_PNG).stat().st_size > 1000
    assert (tmp_path / "report" / CURVE_PNG).stat().st_size > 1000


def test_strip_accents_asks_the_questions_without_diacritics(
    hash_settings, squad_file, fake_answers
):
    from rag.textnorm import strip_diacritics

    plain = run_squad(hash_settings, squad_file, limit=4, mode="bm25")
    run = run_squad(hash_settings, squad_file, limit=4, mode="bm25", strip_accents=True)
    assert run.config["questions_without_diacritics"] is True
    asked = [r.question for r in run.records]
    assert asked == [strip_diacritics(r.question) for r in plain.records]
    assert any(a != r.question for a, r in zip(asked, plain.records, strict=True))


def test_llm_answers_are_scored_in_squad_runs(hash_settings, squad_file, fake_answers, monkeypatch):
    from rag.pipeline import Pipeline

    fake = Pipeline.ask

    def llm_ask(self, question, top_k=None, mode=None, llm=None):
        answer = fake(self, question, top_k, mode, llm)
        if answer.abstained or not answer.short_answer:
            return answer
        right = answer.short_answer.text
        grounded = len(right) % 2 == 0  # some accepted, some rejected
        own = f"The answer is {right}."
        timings = {**answer.timings_ms, "first_token": 500.0, "total": 1500.0}
        return answer.model_copy(
            update={"model": "fake", "grounded": grounded, "llm_answer": own,
                    "answer": own if grounded else answer.answer, "timings_ms": timings}
        )  # fmt: skip

    monkeypatch.setattr(Pipeline, "ask", llm_ask)
    run = run_squad(hash_settings, squad_file, limit=4, mode="bm25")  # answers: llm_ask
    checked = [r for r in run.records if r.grounded is not None]
    assert checked and all(r.llm_called and r.reply_lang == "en" for r in checked if r.grounded)
    m = run.metrics["overall"]["all"]
    assert m["n_llm"] == len(checked)
    right = sum(bool(r.llm_correct) for r in checked) / len(checked)
    assert m["llm_accuracy"] == pytest.approx(right, abs=1e-4)
    assert run.latency["llm"]["first_token"]["p50"] == 500.0


def test_number_answers_in_another_language_hold_the_gold():
    from eval.squad import holds_gold

    assert holds_gold("Lady Gaga has won six Grammy Awards [1].", ["sáu"], "number")
    assert holds_gold("17 seconds were left.", ["17 giây"], "number")
    assert not holds_gold("17 seconds were left.", ["17 giây"], "other")  # spans only
    assert holds_gold("Còn 17 giây.", ["17 giây"], "other")
    assert not holds_gold("Five were left.", ["sáu"], "number")
