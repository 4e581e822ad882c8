"""How well diacritics are put back on text typed without them (``rag.retrieval.restore``).

  .venv/bin/python bench/restore.py [--squad ../shared/data/xquad-vi-dev.json]

Prints, for the seeds (with the Vietnamese questions of ``eval/gold.jsonl``) and for the
SQuAD file's articles (with its questions):
- questions: every question stripped of its diacritics and restored by a model of the whole
  corpus; the share of syllables restored right and of questions restored whole;
- held out: each document's (article's) sentences restored by a model of the others, against
  choosing each syllable's most frequent form in those others.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from rag.retrieval.restore import DiacriticRestorer
from rag.sentences import split_sentences
from rag.textnorm import normalize_text, strip_diacritics, syllables

ROOT = Path(__file__).resolve().parents[1]


def restored(restorer: DiacriticRestorer, texts: Sequence[str]) -> tuple[int, int, int]:
    """(syllables restored right, syllables, texts restored whole); texts whose restoration
    splits into a different number of syllables count as not compared."""
    right = total = whole = 0
    for text in texts:
        truth = syllables(normalize_text(text))
        guess = syllables(restorer.restore(strip_diacritics(normalize_text(text))))
        if len(guess) != len(truth):
            continue
        hits = sum(a == b for a, b in zip(truth, guess, strict=True))
        right, total, whole = right + hits, total + len(truth), whole + (hits == len(truth))
    return right, total, whole


def most_frequent_form(restorer: DiacriticRestorer, texts: Sequence[str]) -> tuple[int, int]:
    """(syllables whose most frequent form in the model is right, syllables); a syllable
    the model never saw is left as typed, as the restorer leaves it."""
    right = total = 0
    for text in texts:
        for syllable in syllables(normalize_text(text)):
            folded = strip_diacritics(syllable)
            forms = restorer._unigrams.get(folded)
            right += (forms.most_common(1)[0][0] if forms else folded) == syllable
            total += 1
    return right, total


def report(name: str, groups: Sequence[Sequence[str]], questions: Sequence[str]) -> None:
    everything = [text for group in groups for text in group]
    right, total, whole = restored(DiacriticRestorer(everything), questions)
    print(
        f"{name}: {len(questions)} questions: syllables {right / max(1, total):.3f}, "
        f"whole questions {whole / max(1, len(questions)):.3f}"
    )
    held = [0, 0]
    base = [0, 0]
    for i, group in enumerate(groups):
        others = DiacriticRestorer(t for j, g in enumerate(groups) if j != i for t in g)
        sentences = [s.text for text in group for s in split_sentences(text)]
        r, t, _ = restored(others, sentences)
        b, n = most_frequent_form(others, sentences)
        held, base = [held[0] + r, held[1] + t], [base[0] + b, base[1] + n]
    print(
        f"{name}: each of {len(groups)} held out, syllables {held[0] / max(1, held[1]):.3f} "
        f"(each syllable's most frequent form {base[0] / max(1, base[1]):.3f})"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--squad", type=Path, help="A SQuAD-format file (Vietnamese).")
    args = p.parse_args()
    seeds = [[path.read_text(encoding="utf-8")] for path in sorted((ROOT / "seeds").glob("*.txt"))]
    gold = [json.loads(line) for line in (ROOT / "eval" / "gold.jsonl").open(encoding="utf-8")]
    report("seeds", seeds, [g["question"] for g in gold if g.get("lang") == "vi"])
    if args.squad:
        data = json.loads(args.squad.read_text(encoding="utf-8"))["data"]
        articles = [[p["context"] for p in a["paragraphs"]] for a in data]
        questions = [q["question"] for a in data for p in a["paragraphs"] for q in p["qas"]]
        report(args.squad.name, articles, questions)


if __name__ == "__main__":
    main()
