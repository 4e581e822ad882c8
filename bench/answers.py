"""Dump every answer of a question set, to check that a speed-up changes no answer.

  .venv/bin/python bench/answers.py dump before.jsonl [--squad ../shared/data/xquad-vi-dev.json]
  .venv/bin/python bench/answers.py dump after.jsonl ...
  .venv/bin/python bench/answers.py diff before.jsonl after.jsonl

``dump`` asks the gold questions (``eval/gold.jsonl``) against the index at
``RAG_INDEX_DIR`` and, with ``--squad``, every question of that SQuAD file against an index
of all its paragraphs (kept in ``--squad-index`` so a second run embeds nothing): as written,
in English (``--questions``, e.g. ``xquad-en-dev-questions.json``) and typed without
diacritics. One JSON line per question: the whole ``Answer`` except its timings, with the
answer cache off. ``diff`` prints the questions whose answers differ (exit status 1 if any).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from rag import Pipeline
from rag.textnorm import strip_diacritics


def _records(pipeline: Pipeline, tag: str, questions: Iterable[tuple[str, str]]) -> Iterable[str]:
    for qid, question in questions:
        answer = pipeline.ask(question).model_dump(mode="json", exclude={"timings_ms"})
        yield json.dumps({"set": tag, "id": qid, **answer}, ensure_ascii=False, sort_keys=True)


def dump(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    lines: list[str] = []
    seeds = Pipeline.from_settings(answer_cache_size=0)
    seeds.warm_up()
    gold = [json.loads(line) for line in args.gold.open(encoding="utf-8")]
    lines += _records(seeds, "gold", ((g["id"], g["question"]) for g in gold))
    if args.squad is not None:
        from eval.squad import _build_index, load_question_texts, load_squad, paragraph_documents

        data = load_squad(args.squad)
        squad = Pipeline(
            seeds.settings.model_copy(update={"index_dir": args.squad_index}),
            embedder=seeds.backend,
        )
        _build_index(squad, paragraph_documents(data))
        squad.warm_up()
        vi = [(q.id, q.question) for q in data.questions][: args.limit]
        lines += _records(squad, "squad-vi", vi)
        lines += _records(squad, "squad-noaccent", ((i, strip_diacritics(q)) for i, q in vi))
        if args.questions is not None:
            english = load_question_texts(args.questions)
            en = [(q.id, english[q.id]) for q in data.questions if q.id in english]
            lines += _records(squad, "squad-en", en[: args.limit])
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} answers in {time.perf_counter() - started:.1f} s -> {args.out}")


def diff(args: argparse.Namespace) -> int:
    def load(path: Path) -> dict[tuple[str, str], dict[str, object]]:
        rows = (json.loads(line) for line in path.open(encoding="utf-8") if line.strip())
        return {(r["set"], r["id"]): r for r in rows}

    before, after = load(args.before), load(args.after)
    changed = 0
    for key in sorted(before.keys() | after.keys()):
        a, b = before.get(key), after.get(key)
        if a == b:
            continue
        changed += 1
        if changed <= args.show:
            print(f"--- {key}")
            print(f"  before: {json.dumps(a, ensure_ascii=False)[:600]}")
            print(f"  after:  {json.dumps(b, ensure_ascii=False)[:600]}")
    print(f"{len(before)} vs {len(after)} answers; {changed} differ")
    return 1 if changed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out", type=Path)
    d.add_argument("--gold", type=Path, default=Path("eval/gold.jsonl"))
    d.add_argument("--squad", type=Path)
    d.add_argument("--questions", type=Path, help="English question texts by id")
    d.add_argument("--squad-index", type=Path, default=Path("/tmp/rag-answers-squad-index"))
    d.add_argument("--limit", type=int, default=None, help="First N SQuAD questions only")
    c = sub.add_parser("diff")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    c.add_argument("--show", type=int, default=10)
    args = parser.parse_args()
    if args.command == "dump":
        dump(args)
        return 0
    return diff(args)


if __name__ == "__main__":
    sys.exit(main())
