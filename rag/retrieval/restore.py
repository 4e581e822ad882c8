"""Put diacritics back on a question typed without them, using the corpus itself.

Each accent-folded syllable is mapped to the accented forms it has in the indexed text;
the most frequent form is chosen, preferring forms that follow the previous restored
syllable in the corpus (bigram counts). The dense retriever embeds the restored question,
because the embedding model reads "hội nghị ngoại giao" far better than "hoi nghi ngoai
giao"; BM25 matches the folded field directly and needs no restoration.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from rag.textnorm import strip_diacritics, syllables


class DiacriticRestorer:
    def __init__(self, texts: Iterable[str]) -> None:
        self._unigrams: dict[str, Counter[str]] = {}
        self._bigrams: dict[tuple[str, str], Counter[str]] = {}
        for text in texts:
            prev = ""
            for syl in syllables(text):
                folded = strip_diacritics(syl)
                self._unigrams.setdefault(folded, Counter())[syl] += 1
                self._bigrams.setdefault((prev, folded), Counter())[syl] += 1
                prev = syl

    def restore(self, text: str) -> str:
        """``text`` with each known syllable replaced by its likeliest accented form."""
        out: list[str] = []
        prev = ""
        for word in text.split():
            core = word.strip(".,;:!?()\"'")
            folded = core.lower()
            choice = self._bigrams.get((prev, folded)) or self._unigrams.get(folded)
            if choice and core:
                best = choice.most_common(1)[0][0]
                if core[0].isupper():
                    best = best[0].upper() + best[1:]
                word = word.replace(core, best, 1)
                prev = best.lower()
            else:
                prev = folded
            out.append(word)
        return " ".join(out)
