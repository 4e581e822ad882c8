"""What an LLM's reply becomes before it is checked: meta-text and stray markers removed,
then ``[n]`` markers placed by us from the supporting sentences the reply uses.

Small models wrap a right answer in talk about where it came from ("According to passage
1, …", "… as stated in the passage.", "The passage provides this information.", "Trong
đoạn 2, …"), copy a label of the prompt ("Answer:"), write markers of their own and stop
mid-sentence at the token limit. ``clean_reply`` removes those; ``place_markers`` cites,
after each sentence, the supporting sentences whose figures, names or words it uses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.answering import figures
from rag.answering.base import Support
from rag.textnorm import fold

_MARKER = re.compile(r"\s*\[[^\[\]\n]{0,20}\]")
_SENTENCES = re.compile(r"(?<=[.!?…])\s+|\n+")
_END = ".!?…"
_WORD = re.compile(r"[^\W_]+")
MIN_SHARED_WORDS = 2
"""Words (syllables) a sentence without a figure or name must share with a supporting
sentence, besides the question's, to cite it."""

_SOURCE_EN = r"(?:passage|document|article|text|sentence|source|evidence|context)s?"
_SOURCE_VI = r"(?:đoạn(?: văn)?|tài liệu|bài(?: báo| viết)?|văn bản|câu|nguồn|ngữ cảnh)"
_NUMBERED = r"(?:\s*(?:(?:id|số)\s*)?[\"'“]?\d+[\"'”]?(?:\s*(?:and|và|,)\s*\d+)*)?"
# "Answer:", "One English sentence that answers the question:" (the prompt's own labels)
_LABEL = re.compile(
    r"^\s*(?:(?:the\s+)?answer(?:\s+found)?|trả lời|câu trả lời(?: đã tìm thấy)?"
    r"|(?:answer the question in )?one english sentence[^:\n]{0,80}"
    r"|một câu tiếng việt[^:\n]{0,60})\s*:\s*",
    re.IGNORECASE,
)
# a lead-in naming the source: "According to passage 1, ", "Theo đoạn 2, ", "Trong tài liệu, "
_LEAD_IN = re.compile(
    rf"^\s*(?:(?:according to|based on|as (?:stated|mentioned|described) in|in|from)"
    rf"\s+(?:the\s+)?(?:given\s+|provided\s+)?{_SOURCE_EN}{_NUMBERED}"
    rf"|(?:theo|trong|dựa (?:vào|trên)|căn cứ (?:vào)?)\s+(?:các\s+|những\s+)?{_SOURCE_VI}"
    rf"{_NUMBERED}(?:\s+(?:trên|đã cho|được cung cấp))?)\s*[,:]\s*",
    re.IGNORECASE,
)
# "The passage says that …", "Đoạn 1 cho biết …"
_SAYS = re.compile(
    rf"^\s*(?:(?:the\s+)?(?:given\s+|provided\s+)?{_SOURCE_EN}{_NUMBERED}\s+"
    rf"(?:says|states|mentions|shows|indicates|notes|reports|explains)(?:\s+that)?"
    rf"|(?:các\s+)?{_SOURCE_VI}{_NUMBERED}(?:\s+(?:trên|đã cho))?\s+"
    rf"(?:cho biết|nêu rõ|nêu|nói|ghi|viết|đề cập)(?:\s+(?:rằng|là))?)\s*[,:]?\s+",
    re.IGNORECASE,
)
# a tail naming the source: ", as stated in passage 2", " (passage 1)", " theo đoạn 1"
_TAIL = re.compile(
    rf"\s*(?:,\s*|\s+)(?:(?:as|which is)\s+(?:stated|mentioned|described|shown)\s+in"
    rf"|according to|(?:as\s+)?(?:given|provided)\s+in|in)\s+(?:the\s+)?{_SOURCE_EN}{_NUMBERED}"
    rf"(?=\s*[.!?…]?\s*$)"
    rf"|\s*(?:,\s*|\s+)(?:theo|trong|như trong|như)\s+(?:các\s+)?{_SOURCE_VI}{_NUMBERED}"
    rf"(?:\s+(?:trên|đã cho))?(?=\s*[.!?…]?\s*$)"
    rf"|\s*\(\s*(?:{_SOURCE_EN}|{_SOURCE_VI}){_NUMBERED}\s*\)",
    re.IGNORECASE,
)
# a whole sentence about the sources rather than the question
_META = re.compile(
    rf"\b(?:the\s+{_SOURCE_EN}|{_SOURCE_EN}\s*(?:id\s*)?[\"'“]?\d)"
    rf"|\b(?:provides?|contains?|gives?|mentions?)\s+(?:this|that|the)\s+information\b"
    rf"|^\s*(?:note|lưu ý|ghi chú|nguồn|sources?)\b"
    rf"|^\s*(?:trong|theo)\s+{_SOURCE_VI}\b"
    rf"|\b{_SOURCE_VI}\s+(?:số\s+)?\d+\b"
    rf"|\b(?:thông tin này|thông tin trên)\s+(?:có|được|nằm)\b",
    re.IGNORECASE,
)
_DANGLING = re.compile(
    r"(?:\s+(?:and|or|of|by|the|a|an|to|in|on|at|with|for|is|was|và|hoặc|của|do|bởi|là|"
    r"tại|ở|với|cho|các|những|được|vào|ngày|năm))+\s*$",
    re.IGNORECASE,
)


def clean_reply(text: str) -> str:
    """``text`` without the model's own markers, prompt labels, sentences about the sources,
    lead-ins and tails naming them, and an unfinished last sentence. Returns "" when
    nothing about the question is left."""
    text = _MARKER.sub("", text.replace("\r", ""))
    kept: list[str] = []
    for raw in _SENTENCES.split(text.strip()):
        sentence = _LABEL.sub("", raw.strip().strip("*").strip())
        previous = None
        while previous != sentence:  # "According to passage 1, in the text, …"
            previous = sentence
            sentence = _SAYS.sub("", _LEAD_IN.sub("", sentence))
            sentence = _TAIL.sub("", sentence).strip()
        if not sentence:
            continue
        if _META.search(sentence) and (kept or not _rest_after_meta(sentence)):
            continue
        kept.append(_capitalise(sentence))
    if len(kept) > 1 and not kept[-1].endswith(tuple(_END)):
        kept.pop()  # cut by the token limit: a fragment after a whole sentence
    if any(not s.endswith("?") for s in kept):
        # the question restated before the answer ("… rộng bao nhiêu dặm vuông? 1.160.000
        # dặm vuông."): only the answer is kept
        kept = [s for s in kept if not s.endswith("?")]
    if not kept:
        return ""
    last = _DANGLING.sub("", kept[-1].rstrip(" ,;:–—-"))
    if not last.endswith(tuple(_END)):
        last += "."
    kept[-1] = last
    return " ".join(kept)


_ASKS = re.compile(r"\b(?:bao nhiêu|how many|how much)\b", re.IGNORECASE)


def asks_back(reply: str) -> bool:
    """Whether ``reply`` puts a question instead of answering one: it ends with "?" or still
    holds the quantity question's "bao nhiêu" / "how many". A small model sometimes restates
    the question ("… đã viện trợ cho bao nhiêu quốc gia, tổ chức?"); every figure and name
    of that is in the passages, and it answers nothing."""
    text = _MARKER.sub("", reply).strip()
    return text.endswith("?") or _ASKS.search(text) is not None


def _rest_after_meta(sentence: str) -> bool:
    """A first sentence that mentions its source but also answers ("The passage says the
    conference took place on 19/12/2023"): kept when it holds a figure."""
    return bool(figures.extract(sentence))


def _capitalise(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:] if sentence[:1].islower() else sentence


# ------------------------------------------------------------------------- markers
def place_markers(
    text: str, support: Sequence[Support], question: str = ""
) -> tuple[str, list[int]]:
    """``text`` with ``[n]`` after each sentence for the supporting sentences it uses, and
    the ``n`` used, in order of first use.

    A sentence cites every supporting sentence that holds one of its figures or names not
    taken from the question; without such, the one sharing most of its words (accent- and
    case-folded, at least ``MIN_SHARED_WORDS`` words the question does not have). A
    sentence that uses no supporting sentence gets no marker (the grounding check then
    looks for a passage that holds its facts, or rejects it).
    """
    used: list[int] = []
    out: list[str] = []
    for sentence in _SENTENCES.split(text.strip()):
        if not sentence.strip():
            continue
        ns = cited_support(sentence, support, question)
        for n in ns:
            if n not in used:
                used.append(n)
        out.append(_with_markers(sentence.strip(), ns) if ns else sentence.strip())
    return " ".join(out), used


def cited_support(sentence: str, support: Sequence[Support], question: str = "") -> list[int]:
    """The ``n`` of the supporting sentences ``sentence`` uses (see ``place_markers``)."""
    from rag.answering.grounded import capitalised_names, name_forms  # one name rule for both

    asked = figures.claimed(question)
    own = [f for f in figures.claimed(sentence) if not figures.supported(f, asked)]
    folded_question = _tokens(question)
    names = [n for n in capitalised_names(sentence) if not _tokens(n) <= folded_question]
    specific: list[int] = []
    for s in support:
        held = figures.extract(s.text, count_words=True)  # evidence: "ba", "XIII" read too
        haystack = " " + " ".join(_WORD.findall(fold(s.text))) + " "
        uses = any(figures.supported(f, held) for f in own) or any(
            f" {' '.join(_WORD.findall(fold(form)))} " in haystack
            for name in names
            for form in name_forms(name)
        )
        if uses and s.n not in specific:
            specific.append(s.n)
    if specific:
        return specific
    words = _tokens(sentence) - folded_question
    overlap = [(len(words & _tokens(s.text)), -i, s.n) for i, s in enumerate(support)]
    best = max(overlap, default=(0, 0, 0))
    return [best[2]] if best[0] >= MIN_SHARED_WORDS else []


def holds_phrase(text: str, phrase: str) -> bool:
    """Whether ``text`` holds ``phrase`` word for word, accent- and case-folded."""
    words = _WORD.findall(fold(phrase))
    return bool(words) and f" {' '.join(words)} " in f" {' '.join(_WORD.findall(fold(text)))} "


def only_restates(reply: str, question: str, sentence: str) -> bool:
    """Whether every word of ``reply`` (accent- and case-folded) is one of ``question``'s or
    ``sentence``'s: the question restated with words of the sentence filled in."""
    return _tokens(reply) - _tokens(question) <= _tokens(sentence)


def _tokens(text: str) -> set[str]:
    return {w for w in _WORD.findall(fold(text)) if len(w) > 1 and not w.isdigit()}


def _with_markers(sentence: str, ns: Sequence[int]) -> str:
    """``sentence`` with ``[n]…`` before its closing punctuation: "… hội nghị [1]."."""
    markers = "".join(f"[{n}]" for n in ns)
    end = len(sentence)
    while end and sentence[end - 1] in _END:
        end -= 1
    return f"{sentence[:end].rstrip()} {markers}{sentence[end:]}"
