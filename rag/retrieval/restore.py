"""Put diacritics back on a question typed without them, using the corpus itself.

Each accent-folded syllable may stand for the accented forms it has in the indexed text.
The question's forms are chosen together, by Viterbi over the lattice of forms, under a
bigram model of the corpus: P(form | previous form) is the bigram count interpolated with
the form's unigram probability (a Dirichlet prior). The syllable after a word counts as
much as the one before ("dien ra" → "diễn ra", though "diện" is the more frequent form), and
a form that is rarely followed by the next syllable loses. Documents are statements and
rarely hold the question phrases ("bao nhiêu", "ai", "nào"), so those count as seen
``PRIOR_COUNT`` times (the closed class in ``rag.language``). Sentences are counted from
their start to their end (``END``), and a question's forms are chosen up to its end: "đến
đâu?" ends a question where "đến đầu" would end none of the corpus's sentences.

Measured (syllables restored right / questions restored whole; every question stripped of
its diacritics, the corpus's text as the model; eval/README.md), against the left-to-right
choice this replaced (each syllable's most frequent form after the previous one):
- XQuAD dev Vietnamese questions over their 60 paragraphs: 0.884 / 0.249 → 0.958 / 0.619;
- the seeds' 56 Vietnamese gold questions over the seeds: 0.895 / 0.179 → 0.970 / 0.661;
- held out, not used to choose anything: each document's own sentences restored by a
  model of the other documents, seeds 0.859 → 0.879, XQuAD's 12 articles 0.776 → 0.819.
Sentence starts and ends (2026-12-07, `bench/restore.py`): XQuAD questions 0.958 / 0.619 →
0.959 / 0.630, seeds' questions unchanged (0.970 / 0.661), held out seeds 0.879 → 0.881,
XQuAD 0.819 → 0.822.

The dense retriever embeds the restored question, because the embedding model reads "hội
nghị ngoại giao" far better than "hoi nghi ngoai giao", and so does the reader; BM25
matches the folded field directly and needs no restoration.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

from rag.language import VI_QUESTION_PHRASES
from rag.textnorm import strip_diacritics, syllables

SMOOTHING = 3.0
"""The prior's weight, in bigram counts. Syllables right on the XQuAD dev / seed gold
questions: 0.3 → 0.953 / 0.969, 1 → 0.954 / 0.969, 3 → 0.958 / 0.970, 10 → 0.959 / 0.968,
30 → 0.960 / 0.968, 100 → 0.956 / 0.961."""
PRIOR_COUNT = 3
"""How often each question phrase counts as seen: 0 → 0.932 / 0.920, 1 → 0.957 / 0.970, 3 →
0.958 / 0.970, 10 → 0.958 / 0.968 (same questions)."""
CANDIDATES = 6
"""Accented forms considered per syllable, the most frequent first (3 → 0.943 / 0.960; 10
as 6)."""

_PUNCTUATION = ".,;:!?()\"'"
END = "</s>"
"""The end of a sentence, as the model counts it: a form that rarely ends one ("đến đầu"
inside a statement) loses at the end of a question to one that often does ("đến đâu")."""
_SENTENCE_END = re.compile(r"[.!?…]+(?=\s)|\n+")


class DiacriticRestorer:
    def __init__(self, texts: Iterable[str]) -> None:
        self._unigrams: dict[str, Counter[str]] = {}
        self._bigrams: dict[tuple[str, str], Counter[str]] = {}
        self._starts: Counter[str] = Counter()  # how often each form precedes another
        self._total = 0
        for text in texts:
            for sentence in _SENTENCE_END.split(text):
                self._count(syllables(sentence))
        for _ in range(PRIOR_COUNT):
            for _kind, phrases in VI_QUESTION_PHRASES:
                for phrase in phrases:
                    self._count(phrase.split())

    def _count(self, forms: list[str]) -> None:
        """Count one sentence's forms, from its start ("") to its end (``END``)."""
        if not forms:
            return
        prev = ""
        for syl in [*forms, END]:
            folded = strip_diacritics(syl)
            self._unigrams.setdefault(folded, Counter())[syl] += 1
            self._bigrams.setdefault((prev, folded), Counter())[syl] += 1
            self._starts[prev] += 1
            self._total += 1
            prev = syl

    def _forms(self, folded: str) -> list[tuple[str, float]]:
        """The accented forms of ``folded`` with their probability in the corpus; the
        syllable itself when the corpus never has it."""
        counts = self._unigrams.get(folded)
        if not counts:
            return [(folded, 1.0 / (self._total + 1))]
        return [(form, n / self._total) for form, n in counts.most_common(CANDIDATES)]

    def _transition(self, prev: str, folded: str, form: str, unigram: float) -> float:
        """log P(form | prev): the bigram count interpolated with the form's unigram
        probability (a Dirichlet prior of weight ``SMOOTHING``)."""
        following = self._bigrams.get((prev, folded))
        seen = following.get(form, 0) if following else 0
        return math.log((seen + SMOOTHING * unigram) / (self._starts[prev] + SMOOTHING))

    def _best_forms(self, folded: list[str]) -> list[str]:
        """The likeliest sequence of accented forms for the folded syllables."""
        # the best path ending in each form of the current syllable: (log-probability, path)
        paths: dict[str, tuple[float, list[str]]] = {"": (0.0, [])}
        for syl in folded:
            step: dict[str, tuple[float, list[str]]] = {}
            for form, unigram in self._forms(syl):
                scored = (
                    (score + self._transition(prev, syl, form, unigram), path)
                    for prev, (score, path) in paths.items()
                )
                score, path = max(scored, key=lambda item: item[0])
                step[form] = (score, [*path, form])  # one copy per form, not per pair
            paths = step
        end = self._unigrams.get(END, Counter())[END] / max(1, self._total)
        return max(
            ((score + self._transition(prev, END, END, end), path)
             for prev, (score, path) in paths.items()),
            key=lambda item: item[0],
        )[1]  # fmt: skip

    def restore(self, text: str) -> str:
        """``text`` with each known syllable replaced by its likeliest accented form."""
        words = text.split()
        cores = [word.strip(_PUNCTUATION) for word in words]
        forms = self._best_forms([core.lower() for core in cores])
        out: list[str] = []
        for word, core, form in zip(words, cores, forms, strict=True):
            if core and core.lower() in self._unigrams:
                if core[0].isupper():
                    form = form[0].upper() + form[1:]
                word = word.replace(core, form, 1)
            out.append(word)
        return " ".join(out)
