"""Where a short answer starts and ends: on whole names, and past the words that make a
number a quantity.

The reader's span starts and ends on subword tokens, so it can cut a name that the tagger
reads as one proper noun (``Np``): "Pittard" of "Pittard Sullivan", "XXXIII" of "Super Bowl
XXXIII"; such a span takes the whole name (``whole_names``). On the XQuAD dev file this
changes two short answers in each language, both to the gold; snapping to every word,
not only names, changed ten Vietnamese ones and lost three exact matches ("vệ tinh Astra
2A": the tagger's words are not always the answer's).

The reader also often stops at the digits: "1,5" where the sentence says "1,5 tỷ tấn", "17"
for "17 giây", "6,8" for "6,8%". A number without its magnitude word ("tỷ", "triệu",
"nghìn": tagged ``M``, a numeral, by underthesea) is a different number, and one without
its unit ("giây", "tấn", "USD": tagged ``Nu``, a unit noun) is only half an answer unless
the question already names the unit ("bao nhiêu tấn …" → "1,5 tỷ"). The part-of-speech
tags decide, not a list of words: they come with the tagger for any Vietnamese text.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from rag.answering.words import Word

PERCENT = frozenset("%‰")


def whole_names(start: int, end: int, words: Sequence[Word]) -> tuple[int, int]:
    """``(start, end)`` widened to the proper nouns (``Np`` words) it cuts into."""
    for w in words:
        if w.tag == "Np" and w.start < start < w.end:
            start = w.start
        if w.tag == "Np" and w.start < end < w.end:
            end = w.end
    return start, end


def quantity_end(
    text: str,
    end: int,
    words: Sequence[Word],
    question_syllables: Collection[str] | None,
) -> int:
    """The end of the quantity whose digits end at ``text[end - 1]``: past a percent sign,
    then past the numerals (magnitude words) right after it, then past one unit noun the
    question does not name. ``words``: the tagged words of the sentence (document offsets);
    ``question_syllables``: the question's accent-folded syllables, or None when they cannot
    tell whether it names the unit (an English question over Vietnamese text: "square
    kilometres" against "km"), and then no unit is added. ``end`` itself when the span does
    not end in a digit."""
    if end == 0 or not text[end - 1].isdigit():
        return end
    if end < len(text) and text[end] in PERCENT:
        return end + 1
    following = [w for w in words if w.start >= end]
    extended = end
    i = 0
    while (
        i < len(following)
        and following[i].tag == "M"
        and not any(ch.isdigit() for ch in following[i].text)
        and text[extended : following[i].start].isspace()
    ):
        extended = following[i].end
        i += 1
    if (
        question_syllables is not None
        and i < len(following)
        and following[i].tag == "Nu"
        and text[extended : following[i].start].isspace()
        and not set(following[i].folded.split()) & set(question_syllables)
    ):
        extended = following[i].end
    return extended
