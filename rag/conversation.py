"""Follow-up questions: turn "còn năm 2023 thì sao?" into a question that stands alone.

A ``Conversation`` keeps the previous turns (question as typed, the standalone question the
answer was searched with, the answer and its citations) and rewrites each new question
through a ``Rewriter``. ``RuleBasedRewriter`` is the one used with the extractive backend:

1. **Slot follow-ups** ("còn năm 2023 thì sao?", "thế còn lần thứ 31?", "what about
   2023?", "and in Thai Binh?"): the new slot (a year, an ordinal, a place or name, a
   conference) replaces the slot of the same kind in the previous standalone question.
2. **Anaphora** ("hội nghị đó/này/ấy", "nó", "ở đó", "it", "its", "that conference",
   "there"): the phrase is replaced by the *referent*, the main subject phrase of the most
   recent standalone question that has one (e.g. "Hội nghị ngoại giao lần thứ 32").
3. **Ellipsis** ("Ai chủ trì?", "Diễn ra ở đâu?", "Vậy bao nhiêu người dự?"): a short
   question with no subject of its own (no conference, no name, no number) gets the
   referent inserted after its verb, in front of it, or as "tại <referent>".

Everything is matched on an accent- and case-folded copy of the question of the same
length, so questions typed without diacritics ("hoi nghi do dien ra o dau?") work too, and
replacements are applied to the original text. Questions that are not follow-ups come back
unchanged. An LLM-based rewriter can be plugged in through ``rewriter_for`` later.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from rag.answering.models import Answer, Citation
from rag.textnorm import normalize_text, strip_diacritics

MAX_TURNS = 20


# ---------------------------------------------------------------------------- turns
@dataclass(frozen=True)
class Turn:
    """One exchange of a conversation."""

    question: str  # as the user typed it (NFC)
    standalone: str  # the question the shown answer was searched with
    answer: str
    citations: tuple[Citation, ...] = ()
    abstained: bool = False


class Rewriter(Protocol):
    """Turns a possibly elliptical follow-up into a standalone question."""

    name: str

    def rewrite(self, question: str, history: Sequence[Turn]) -> str: ...


def rewriter_for(llm: str | None = None, answerer: object | None = None) -> Rewriter:
    """The rewriter to use with answer backend ``llm``: the LLM itself when the backend has
    one (``answerer.llm``), else the rule-based rewriter."""
    model = getattr(answerer, "llm", None)
    if llm and model is not None:
        from rag.llm.rewriter import LlmRewriter

        return LlmRewriter(model, RuleBasedRewriter())
    return RuleBasedRewriter()


@dataclass
class Conversation:
    """Previous turns plus the rewriter that makes follow-ups standalone."""

    rewriter: Rewriter = field(default_factory=lambda: rewriter_for(None))
    turns: list[Turn] = field(default_factory=list)
    max_turns: int = MAX_TURNS

    def rewrite(self, question: str) -> str:
        """The standalone form of ``question`` (the question itself when not a follow-up)."""
        return self.rewriter.rewrite(question, self.turns)

    def add(self, question: str, standalone: str, answer: Answer | None = None) -> Turn:
        turn = Turn(
            question=question,
            standalone=standalone,
            answer=answer.answer if answer else "",
            citations=tuple(answer.citations) if answer else (),
            abstained=answer.abstained if answer else False,
        )
        self.turns.append(turn)
        del self.turns[: -self.max_turns]
        return turn

    def reset(self) -> None:
        self.turns.clear()

    @property
    def last(self) -> Turn | None:
        return self.turns[-1] if self.turns else None

    def referent(self) -> str | None:
        """The subject phrase follow-ups refer to (see ``subject_phrase``)."""
        return _referent(self.turns)


# ------------------------------------------------------------------ folded view
def _fold_same_length(text: str) -> str:
    """Lowercase, diacritics stripped, đ→d; exactly as long as ``text`` (which is NFC)."""
    stripped = strip_diacritics(text)
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in stripped)


@dataclass(frozen=True)
class _View:
    text: str  # normalised question
    key: str  # folded, same length

    @classmethod
    def of(cls, question: str) -> _View:
        text = " ".join(normalize_text(question).split())
        return cls(text, _fold_same_length(text))

    @property
    def accented(self) -> bool:
        return strip_diacritics(self.text) != self.text


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words (folded) that introduce the conference a question is about.
_VI_HEAD = r"(?:hoi nghi|dai hoi|su kien|cuoc hop|phien hop|hoi thao|le ky niem)"
_EN_HEAD = r"(?:conference|meeting|summit|congress|event|convention)"
_VI_HEAD_RE = re.compile(rf"\b{_VI_HEAD}\b")
_EN_HEAD_RE = re.compile(rf"\b{_EN_HEAD}s?\b")
_HEAD_RE = re.compile(rf"\b(?:{_VI_HEAD}|{_EN_HEAD}s?)\b")

# Folded syllables that end a Vietnamese subject phrase (verbs, question words, prepositions).
_VI_BOUNDARY = _wordset(
    "dien duoc do co la da se dang khai be ket bat vao luc khi o tai ai gi nao dau bao "
    "may thi va ve con nay ay day kia tren nhu voi cho neu keo gom tu den trong ma hay "
    "hoac nhung chi phat du tham"
)
_VI_TRAILING = frozenset({"nam", "ngay", "thang", "lan", "thu", "cua"})
_EN_STOP = _wordset(
    "when where who whom whose what which how why was were is are did does do has have "
    "had held chaired attended hosted opened the a an of in on at to for and or by with "
    "it its this that these those there about many much take took place"
)
_YEAR = r"(?:19|20)\d{2}"
_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)?|\S")


def _tokens(view: _View) -> list[tuple[int, int]]:
    """Word spans (and single punctuation characters) of the question."""
    return [m.span() for m in _WORD_RE.finditer(view.text)]


def subject_phrase(question: str) -> str | None:
    """The conference a question is about: "Hội nghị ngoại giao lần thứ 32" in
    "Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?", "the 32nd Diplomatic Conference" in
    "When was the 32nd Diplomatic Conference held?". None when there is no specific one
    (a bare "hội nghị" or "the conference" is not specific)."""
    view = _View.of(question)
    spans = _tokens(view)
    words = [view.key[s:e] for s, e in spans]
    vi = _VI_HEAD_RE.search(view.key)
    en = _EN_HEAD_RE.search(view.key)
    if vi and (not en or vi.start() <= en.start()):
        first = next(i for i, (s, _) in enumerate(spans) if s == vi.start())
        last = first + len(vi.group().split()) - 1
        end = last
        for i in range(last + 1, len(spans)):
            word = words[i]
            if not word[0].isalnum() or word in _VI_BOUNDARY:
                break
            if word == "to" and i + 1 < len(words) and words[i + 1] == "chuc":
                break  # "tổ chức" (held)
            end = i
        while end > last and words[end] in _VI_TRAILING:
            end -= 1
        if end == last:
            return None
        return view.text[spans[first][0] : spans[end][1]]
    if en:
        head = next(i for i, (s, _) in enumerate(spans) if s == en.start())
        start = head
        while start > 0 and words[start - 1][0].isalnum() and words[start - 1] not in _EN_STOP:
            start -= 1
        end = head
        # "... Conference on Foreign Affairs", "... conference in 2021"
        i = head + 1
        while i + 1 < len(spans) and words[i] in {"on", "of", "for", "in"}:
            j = i + 1
            while j < len(spans) and (
                (words[j][0].isalnum() and words[j] not in _EN_STOP)
                or (words[j] in {"and", "the"} and j + 1 < len(spans))
            ):
                j += 1
            if j == i + 1:
                break
            end, i = j - 1, j
        while end > head and words[end] in {"and", "the"}:
            end -= 1
        if start == head and end == head:
            return None
        if start > 0 and words[start - 1] == "the":
            start -= 1
        phrase = view.text[spans[start][0] : spans[end][1]]
        return re.sub(r"['’]s$", "", phrase)
    return None


def _referent(turns: Sequence[Turn]) -> str | None:
    """The latest conference a question named; failing that, the latest one an answer named."""
    for turn in reversed(turns):
        phrase = subject_phrase(turn.standalone) or subject_phrase(turn.question)
        if phrase:
            return phrase
    for turn in reversed(turns):
        phrase = None if turn.abstained else subject_phrase(turn.answer)
        if phrase:
            return phrase
    return None


# ---------------------------------------------------------------------- rewriting
# Leading discourse particles that mark a follow-up ("Vậy ai chủ trì?", "And who chaired?").
_LEAD_RE = re.compile(r"^(?:(?:va|vay|the|con|thi|and)\b[\s,]*)+(?=\S)")
_LEAD_ACCENTED = {"va": "và", "vay": "vậy", "the": "thế", "con": "còn", "thi": "thì", "and": "and"}
# "còn X thì sao", "thế còn X?", "X thì sao?", "what about X?", "and in 2023?"
_VI_SLOT_RE = re.compile(
    r"^(?:(?:va|vay|the)\s+)?con\s+(?P<x>.+?)(?:\s+(?:thi\s+sao|thi\s+the\s+nao|the\s+nao|"
    r"nua|thi|a|nhi))?\s*[?.!]*$"
)
_VI_SLOT_SAO_RE = re.compile(r"^(?P<x>.+?)\s+thi\s+sao\s*[?.!]*$")
_EN_SLOT_RE = re.compile(
    r"^(?:(?:and|so|ok|okay),?\s+)?(?:what|how)\s+about\s+(?P<x>.+?)\s*[?.!]*$"
    r"|^and\s+(?P<y>.+?)\s*[?.!]*$"
)
_QUESTION_WORDS = re.compile(
    r"\b(?:ai|gi|nao|dau|bao nhieu|bao gio|may|sao|khong|chua|who|whom|whose|what|when|"
    r"where|which|how|why|did|does|was|were|is|are)\b"
)
# "hội nghị đó/này/ấy/trên", "that conference", "it", "nó", "ở đó", "there".
_VI_DEMONSTRATIVE_RE = re.compile(
    rf"\b{_VI_HEAD}\s+(?:nay|do|ay|day|kia|tren|noi tren|vua roi|vua neu|vua nhac den)\b"
)
_VI_PLACE_ANAPHOR_RE = re.compile(r"\b(?:tai|o)\s+(?:do|day)\b(?!\s+(?:ai|la)\b)")
_VI_PRONOUN_RE = re.compile(r"\bnó\b", re.IGNORECASE)
_EN_NP_ANAPHOR_RE = re.compile(
    rf"\b(?:that|this|the same|said|the above)\s+{_EN_HEAD}\b|\bthe\s+{_EN_HEAD}\s+above\b"
)
_EN_IT_RE = re.compile(r"\bit(?P<s>s)?\b")
_EN_THERE_RE = re.compile(r"(?<!\bis )(?<!\bare )(?<!\bwas )(?<!\bwere )\bthere\s*(?=[?.!]*$)")
# "do" (by) is not "đó" (that) before an agent: "hội nghị do ai chủ trì".
_AGENT_AFTER_DO = re.compile(
    r"\s*(?:ai|ong|ba|bo|ban|dong chi|thu tuong|tong bi thu|chu tich|pho|uy ban|chinh phu|"
    r"dang|nha nuoc|cac|nhung|trung uong|so|tinh|thanh pho|[^\W\d_]*\d)\b"
)

# Ellipsis: where to put the referent in a question that has no subject of its own.
_VI_INTRANSITIVE_RE = re.compile(
    r"^(?:dien ra|duoc to chuc|duoc khai mac|khai mac|be mac|ket thuc|bat dau|keo dai|"
    r"co chu de|co (?:bao nhieu|may|nhung|ai)|to chuc)\b"
)
_VI_VERB_RE = re.compile(
    r"\b(?:tham du|du|chu tri|dong chu tri|to chuc|khai mac|be mac|chi dao|phat bieu tai|"
    r"dieu hanh|tham gia)(?=\s*(?:[?.!]|$|\s(?:tai|o|vao|luc|khi|nam|ngay|la|gom|co)\b))"
)
_EN_VERB_RE = re.compile(
    r"\b(?:attended|attend|chaired|chair|hosted|host|organi[sz]ed|organi[sz]e|opened|open|"
    r"closed|close|addressed|address|joined|join)(?=\s*(?:[?.!]|$|\s(?:in|at|on|from)\b))"
)
_EN_INTRANSITIVE_RE = re.compile(r"^(?:when|where|how long)\s+(?:was|did)\s+(?:held|take)\b")
# "Chủ đề là gì?" → "Chủ đề của <referent> là gì?"; "What was the theme?" → "... of <referent>?"
_VI_ATTRIBUTE_RE = re.compile(
    r"^(?:chu de|dia diem|muc tieu|noi dung|ket qua|thoi gian|khau hieu|y nghia|thanh phan|"
    r"chuong trinh|nhiem vu)\b"
)
_EN_ATTRIBUTE_RE = re.compile(
    r"^(?:what|which|where)\s+(?:was|is|were|are)\s+the\s+(?:theme|venue|agenda|topic|outcome|"
    r"purpose|goal|goals|result|results|slogan|date|location|motto)\b"
)
_MAX_ELLIPTIC_WORDS = 9


class RuleBasedRewriter:
    """Rewrites follow-ups with the rules in the module docstring (no model needed)."""

    name = "rules"

    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        view = _View.of(question)
        if not history or not view.text:
            return view.text
        previous = history[-1].standalone
        referent = _referent(history)
        lead = _LEAD_RE.match(view.key)
        if lead and not _lead_is_particle(view, lead.end()):
            lead = None
        merged = _merge_slot(view, previous, referent)
        if merged is not None:
            return merged
        if lead:
            rest = view.text[lead.end() :]
            if not any(ch.isalnum() for ch in rest):
                return view.text
            view = _View.of(_capitalise(rest))
        if referent is None:
            return view.text
        substituted = _substitute_anaphora(view, referent) or _specify_bare_head(view, referent)
        if substituted is not None:
            return _capitalise(substituted)
        if lead or _is_elliptical(view):
            return _capitalise(_insert_referent(view, referent))
        return view.text


def _lead_is_particle(view: _View, end: int) -> bool:
    """Whether the folded leading words are the particles ("thế", not the English "the")."""
    words = view.text[:end].replace(",", " ").split()
    keys = view.key[:end].replace(",", " ").split()
    for word, key in zip(words, keys, strict=True):
        if view.accented and word.lower() != _LEAD_ACCENTED[key]:
            return False
    if not view.accented and keys[0] == "the":
        return len(keys) > 1  # "the con ..." / "the thi ..."; "The conference" is English
    return True


def _merge_slot(view: _View, previous: str, referent: str | None) -> str | None:
    """ "còn X thì sao?" → the previous standalone question with X in place."""
    x: str | None = None
    vi = _VI_SLOT_RE.match(view.key) or _VI_SLOT_SAO_RE.match(view.key)
    if vi and _vi_slot_ok(view, vi):
        x = view.text[vi.start("x") : vi.end("x")]
    else:
        en = _EN_SLOT_RE.match(view.key)
        if en:
            group = "x" if en.group("x") else "y"
            x = view.text[en.start(group) : en.end(group)]
    if not x:
        return None
    xkey = _fold_same_length(x)
    if _QUESTION_WORDS.search(xkey) or len(xkey.split()) > 8:
        return None  # "còn ai dự nữa?" is a question of its own, not a slot
    return _replace_slot(previous, x, referent)


def _vi_slot_ok(view: _View, match: re.Match[str]) -> bool:
    """In an accented question the folded cue words must really be "còn" / "thế"."""
    if not view.accented:
        return True
    lead = view.key[: match.start("x")].split()
    words = view.text[: match.start("x")].lower().split()
    expected = {"con": "còn", "the": "thế", "va": "và", "vay": "vậy"}
    return all(expected.get(k, w) == w for k, w in zip(lead, words, strict=True))


def _replace_slot(previous: str, x: str, referent: str | None) -> str:
    pview = _View.of(previous)
    p, pkey = pview.text, pview.key
    xkey = _fold_same_length(x)
    core = p.rstrip(" ?.!")
    tail = p[len(core) :] or "?"
    # a year: "năm 2023", "in 2023", "2023"
    year = re.search(rf"\b{_YEAR}\b", xkey)
    if year:
        old = list(re.finditer(rf"\b{_YEAR}\b", pkey))
        if old:
            o = old[-1]
            return p[: o.start()] + year.group() + p[o.end() :]
        addition = x if re.match(r"(?:nam|in)\b", xkey) else f"năm {year.group()}"
        if referent and referent in core:
            return core.replace(referent, f"{referent} {addition}", 1) + tail
        return f"{core} {addition}{tail}"
    # an ordinal: "lần thứ 31", "the 31st"
    ordinal = re.search(r"\blan\s+thu\s+(\d+|[ivxlc]+)\b|\b(\d+)(?:st|nd|rd|th)\b", xkey)
    if ordinal:
        number = ordinal.group(1) or ordinal.group(2)
        old_vi = list(re.finditer(r"\b(lan\s+thu\s+)(\d+|[ivxlc]+)\b", pkey))
        if old_vi:
            o = old_vi[-1]
            return p[: o.start(2)] + number.upper() + p[o.end(2) :]
        old_en = list(re.finditer(r"\b(\d+)(st|nd|rd|th)\b", pkey))
        if old_en and number.isdigit():
            o = old_en[-1]
            return p[: o.start()] + _english_ordinal(int(number)) + p[o.end() :]
    # another conference
    if _HEAD_RE.search(xkey) and referent and referent in p:
        replaced = p.replace(referent, x, 1)
        return _capitalise(replaced)
    # a name or place: "Thanh Hóa", "điểm cầu Thanh Hóa", "in Thai Binh"
    names = _proper_runs(x)
    spans = _proper_runs_spans(p, skip=referent)
    if names and spans:
        start, end = spans[-1]
        return p[:start] + names[-1] + p[end:]
    return f"{core} – {x}{tail}"


def _english_ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _proper_runs_spans(text: str, skip: str | None = None) -> list[tuple[int, int]]:
    """Spans of runs of capitalised words (names, places), not counting a single
    capitalised first word (the start of the sentence) nor anything inside ``skip``."""
    runs: list[tuple[int, int]] = []
    current: list[tuple[int, int]] = []
    protected = (text.find(skip), text.find(skip) + len(skip)) if skip and skip in text else None
    for m in re.finditer(r"[^\W_]+", text):
        inside = protected is not None and protected[0] <= m.start() < protected[1]
        if m.group()[0].isupper() and not inside:
            current.append(m.span())
            continue
        _close_run(runs, current)
        current = []
    _close_run(runs, current)
    return runs


def _close_run(runs: list[tuple[int, int]], current: list[tuple[int, int]]) -> None:
    if not current:
        return
    if current[0][0] == 0 and len(current) == 1:
        return
    runs.append((current[0][0], current[-1][1]))


def _proper_runs(text: str) -> list[str]:
    spans = _proper_runs_spans(" " + text)  # no word is "first" inside a fragment
    return [(" " + text)[s:e] for s, e in spans]


def _substitute_anaphora(view: _View, referent: str) -> str | None:
    """Replace "hội nghị đó", "nó", "ở đó", "it", "that conference" by the referent."""
    text, key = view.text, view.key
    replacements: list[tuple[int, int, str]] = []
    for m in _VI_DEMONSTRATIVE_RE.finditer(key):
        demonstrative = key[m.start() : m.end()].split()[-1]
        if demonstrative == "do" and not _is_that(view, m.end() - 2, m.end()):
            continue
        replacements.append((m.start(), m.end(), referent))
    for m in _VI_PLACE_ANAPHOR_RE.finditer(key):
        if key[m.end() - 2 : m.end()] == "do" and not _is_that(view, m.end() - 2, m.end()):
            continue
        preposition = text[m.start() : m.start() + (3 if key[m.start()] == "t" else 1)]
        replacements.append((m.start(), m.end(), f"{preposition} {referent}"))
    for m in _VI_PRONOUN_RE.finditer(text):
        replacements.append((m.start(), m.end(), referent))
    for m in _EN_NP_ANAPHOR_RE.finditer(key):
        replacements.append((m.start(), m.end(), referent))
    if not view.accented and _english_context(key):
        for m in _EN_IT_RE.finditer(key):
            phrase = f"{referent}'s" if m.group("s") else referent
            replacements.append((m.start(), m.end(), phrase))
        for m in _EN_THERE_RE.finditer(key):
            replacements.append((m.start(), m.end(), f"at {referent}"))
    if not replacements:
        return None
    out = text
    taken: list[tuple[int, int]] = []
    for start, end, new in sorted(replacements, key=lambda r: -r[0]):
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        out = out[:start] + new + out[end:]
    return out


def _specify_bare_head(view: _View, referent: str) -> str | None:
    """A bare "hội nghị" / "the conference" in a follow-up means the one being discussed."""
    if subject_phrase(view.text) is not None:
        return None
    key = view.key
    vi = re.search(rf"\b{_VI_HEAD}\b(?=\s*(?:[^\w\s]|$)|\s+(?P<next>\w+))", key)
    if vi and (vi.group("next") is None or vi.group("next") in _VI_BOUNDARY):
        return view.text[: vi.start()] + referent + view.text[vi.end() :]
    en = re.search(rf"\bthe\s+{_EN_HEAD}\b(?!\s+(?:on|of|for)\b)", key)
    if en and _english_context(key):
        return view.text[: en.start()] + referent + view.text[en.end() :]
    return None


def _is_that(view: _View, start: int, end: int) -> bool:
    """Whether the folded "do" at ``start:end`` is the demonstrative "đó"."""
    if view.text[start:end].lower() == "đó":
        return True
    if view.accented:
        return False  # written "do" in an accented question is "do" (by)
    return not _AGENT_AFTER_DO.match(view.key[end:]) or view.key[end:].strip(" ?.!") == ""


def _english_context(key: str) -> bool:
    """Whether a folded question reads as English ("it" itself is not evidence: "ít")."""
    words = [w for w in re.findall(r"[a-z]+", key) if w not in {"it", "its"}]
    return bool(words) and sum(w in _EN_STOP for w in words) / len(words) >= 0.25


def _is_elliptical(view: _View) -> bool:
    """A short question with nothing to search by itself: no conference, name or number."""
    key = view.key
    if len(key.split()) > _MAX_ELLIPTIC_WORDS or _HEAD_RE.search(key):
        return False
    if re.search(r"\d", key) or _proper_runs_spans(view.text):
        return False
    return bool(
        _VI_ATTRIBUTE_RE.match(key)
        or _EN_ATTRIBUTE_RE.match(key)
        or _VI_INTRANSITIVE_RE.match(key)
        or _VI_VERB_RE.search(key)
        or _EN_VERB_RE.search(key)
        or _EN_INTRANSITIVE_RE.match(key)
    )


def _insert_referent(view: _View, referent: str) -> str:
    """Put the referent where the question's missing subject or object belongs."""
    text, key = view.text, view.key
    attribute = _VI_ATTRIBUTE_RE.match(key) or _EN_ATTRIBUTE_RE.match(key)
    if attribute:
        joiner = "of" if _EN_ATTRIBUTE_RE.match(key) else "của"
        return f"{text[: attribute.end()]} {joiner} {referent}{text[attribute.end() :]}"
    if _VI_INTRANSITIVE_RE.match(key):
        return f"{referent} {_decapitalise(text)}"
    verb = _VI_VERB_RE.search(key) or _EN_VERB_RE.search(key)
    if verb:
        return f"{text[: verb.end()]} {referent}{text[verb.end() :]}"
    m = _EN_INTRANSITIVE_RE.match(key)
    if m:
        # "When was held?" → "When was <referent> held?"
        aux_end = m.start() + len(" ".join(key[m.start() : m.end()].split()[:2]))
        return f"{text[:aux_end]} {referent}{text[aux_end:]}"
    core = text.rstrip(" ?.!")
    tail = text[len(core) :] or "?"
    english = _english_context(key) and not view.accented
    return f"{core} {'at' if english else 'tại'} {referent}{tail}"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _decapitalise(text: str) -> str:
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def standalone_question(
    question: str, history: Sequence[tuple[str, str]], rewriter: Rewriter | None = None
) -> str:
    """``question`` made standalone from earlier ``(question, answer)`` turns, oldest first
    (what a stateless client such as the chat page sends): the turns are replayed through
    a ``Conversation`` exactly as the REPL builds one, each earlier question rewritten
    against the turns before it, then ``question`` is rewritten against them all."""
    conversation = Conversation(rewriter=rewriter or rewriter_for(None))
    for asked, answered in history[-conversation.max_turns :]:
        conversation.turns.append(Turn(asked, conversation.rewrite(asked), answered))
    return conversation.rewrite(question) if conversation.turns else question
