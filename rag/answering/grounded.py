"""LLM answers grounded in the retrieved passages, with citations that are checked.

``GroundedAnswerer`` (backends ``local`` and ``openai``):

1. runs the extractive answerer first; when it abstains, its abstention is the answer and
   the LLM is not called (nor loaded);
2. otherwise asks the LLM to restate what the extractive answerer found
   (``rag.answering.prompt``): the short answer span, the supporting sentences, then the
   passages around them, and one sentence asked for, in the question's language (English
   for an English question, Vietnamese otherwise), with stop sequences that end the reply
   before notes or a new "Question:";
3. cleans the reply (``rag.answering.replies.clean_reply``): the model's own ``[n]``,
   prompt labels ("Answer:"), lead-ins and tails naming the source ("According to passage
   1, …", "Trong đoạn 2, …", "… as stated in the passage"), sentences about the sources
   ("The passage provides this information.") and an unfinished last sentence are removed;
   abstention sentences after real content are removed (``strip_abstention``);
4. places the ``[n]`` markers itself (``place_markers``): after each sentence, the
   citations of the supporting sentences whose figures, names or words it uses; a reply
   that uses none of them but holds the short answer (the question restated with the
   answer filled in) cites the sentence the short answer comes from;
5. checks the result (``verify``): every number and every capitalised name must occur in
   a cited passage (or in the question). Numbers and dates are compared as normalised
   figures (``rag.answering.figures``: "December 19, 2023" is "19/12/2023", "600 billion
   USD" is "600 tỷ USD"); names after folding accents and case ("Nguyen Phu Trong" is
   "Nguyễn Phú Trọng"), any contiguous run of an evidence name's syllables counting ("Phú
   Trọng"), written together or apart ("Hanoi" is "Hà Nội"); a capitalised run made only
   of English words (the English words of the domain lexicon and of ``rag.language``, e.g.
   "Diplomatic Conference", "Politburo") is a translation, not a name. A reply that is
   empty after cleaning, only an abstention, asks the question back (``asks_back``: it
   ends with "?" or still says "bao nhiêu" / "how many"), leaves out the extractive short
   answer (``keeps``) or fails the check is ``grounded=False``, and
   the extractive answer is returned instead (the LLM's text is kept in ``llm_answer``):
   the extractive answerer did find an answer, so the LLM cannot turn it into a refusal.

Only the first ``MAX_PASSAGES`` (3) passages are considered for the prompt's passage text.

The short answer (``Draft.short_answer``) always comes from the extractive answerer's span
finder, never from the LLM's text: a grounded LLM answer keeps the extractive span, numbered
after the final citation whose passage holds it (``place_short_answer``), or none when the
passages the answer cites do not hold it; the fallback keeps it as the extractive answer
gave it; an abstention has none.

``stream()`` yields the LLM's text pieces as they come, then one final ``GroundedDraft``:
the checked answer, which is what must be shown in the end (it differs from the streamed
text: markers added, meta-text removed, or the extractive fallback). The draft's
``timings_ms`` holds ``llm_first_token`` (prompt evaluation: from the call to the first
piece) and ``llm`` (the whole call), in milliseconds.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rag.answering import figures
from rag.answering.base import Answerer, Draft, Passage, Support, citation, place_short_answer
from rag.answering.extractive import ABSTAIN_MESSAGES
from rag.answering.keeps import missing_parts
from rag.answering.prompt import (
    STOP,
    Evidence,
    build_messages,
    prefix_prompts,
    prompt_language,
)
from rag.answering.question import analyse
from rag.answering.replies import (
    asks_back,
    clean_reply,
    holds_phrase,
    only_restates,
    place_markers,
)
from rag.language import ENGLISH_WORDS
from rag.lexicon import lexicon
from rag.llm.base import LLM, Message
from rag.retrieval.base import Query
from rag.textnorm import fold

# Passages considered for the prompt: on 2 CPU cores prompt evaluation dominates the
# latency, and a 0.5-1.5B model answers from the wrong passage more often when given more.
MAX_PASSAGES = 3
# Characters of passage text added after the supporting sentences (0: none); measured on
# the gold test split (eval/README.md).
PASSAGE_CHARS = 0

_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_ANY_MARKER = re.compile(r"\[[^\[\]\n]{0,20}\]")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_TOKEN = re.compile(r"[^\W_]+")
# a word of a name: letters and digits ("DVB-S2", "G20")
_NAME_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
_SENTENCES = re.compile(r"(?<=[.!?…])\s+|\n+")
_SENTENCE_END = re.compile(r"[.!?:;…\n]")
_PREFIX = re.compile(r"^\s*(?:trả lời|câu trả lời|answer)\s*:\s*", re.IGNORECASE)
_ABSTAIN_KEYS = (
    *sorted({fold(m).rstrip(".") for m in ABSTAIN_MESSAGES.values()}),
    "khong tim thay thong tin",
)


@dataclass
class GroundedDraft(Draft):
    """A ``Draft`` plus what the LLM did (copied into ``Answer``'s optional fields)."""

    model: str | None = None
    grounded: bool | None = None
    llm_answer: str | None = None
    tokens_per_s: float | None = None
    unsupported: list[str] = field(default_factory=list)
    """Numbers/names of the LLM's answer that no cited passage contains."""
    left_out: list[str] = field(default_factory=list)
    """Figures and names of the extractive short answer the LLM's answer left out (then it
    is not accepted, ``rag.answering.keeps``)."""
    attributed: bool = False
    """No supporting sentence was found for the answer by its words; the checker cited the
    passage holding its figures and names instead."""
    timings_ms: dict[str, float] = field(default_factory=dict)
    """``llm_first_token`` and ``llm`` (ms) when the LLM was called."""


@dataclass
class Verification:
    text: str
    abstained: bool
    cited: list[int]  # 0-based passage indexes, in new-number order
    dropped: list[int]
    unsupported: list[str]
    has_text: bool = True
    attributed: bool = False
    """The LLM cited nothing; the checker found the one passage that holds the answer."""

    @property
    def grounded(self) -> bool:
        return bool(self.cited) and self.has_text and not self.unsupported


class GroundedAnswerer:
    def __init__(
        self,
        name: str,
        extractive: Answerer,
        llm: LLM,
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        max_passages: int = MAX_PASSAGES,
        passage_chars: int = PASSAGE_CHARS,
        keep_answer: bool = True,
    ) -> None:
        self.name = name
        self.extractive = extractive
        self.llm = llm
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.max_passages = max_passages
        self.passage_chars = passage_chars
        self.keep_answer = keep_answer

    def warm_up(self) -> None:
        """Load the model and evaluate each answer language's constant prompt prefix now,
        when the backend can keep it (``prefill``): the first question in each language
        then evaluates only its own evidence."""
        prefill = getattr(self.llm, "prefill", None)
        if prefill is not None:
            for messages in prefix_prompts():
                prefill(messages)

    # ------------------------------------------------------------------- prompt
    def fit(self, passages: Sequence[Passage]) -> list[Passage]:
        """The leading passages (at most ``max_passages``) the prompt may quote from."""
        return list(passages[: self.max_passages])

    def messages(self, query: Query, passages: list[Passage]) -> list[Message]:
        """The prompt the LLM gets for ``query`` (runs the extractive answerer; for
        inspection and tests), or ``[]`` when the extractive answerer abstains."""
        first = self.extractive.answer(query, passages)
        return [] if first.abstained else self._prompt(query, first, passages)[0]

    def _prompt(
        self, query: Query, first: Draft, passages: list[Passage]
    ) -> tuple[list[Message], list[Passage], list[Support]]:
        """The messages, the passages of ``first``'s citations (``[n]`` is the n-th) and
        the supporting sentences the prompt shows."""
        sources = cited_passages(first, passages)
        support = first.support or _whole_passages(first, sources)
        info = analyse(query.text)
        short = first.short_answer.text if first.short_answer is not None else None
        if info.multipart:
            short = None  # one span answers one part: the model would restate only that part
        # a question typed without diacritics is shown as the reader reads it: restored from
        # the corpus (a small model otherwise copies the unaccented words into its reply)
        evidence = Evidence(query.dense_text or query.text, short, support, self.fit(passages))
        lang = prompt_language(info.lang)
        return build_messages(evidence, lang, self.passage_chars), sources, support

    # ------------------------------------------------------------------ answering
    def answer(self, query: Query, passages: list[Passage]) -> Draft:
        final: Draft | None = None
        for item in self.stream(query, passages):
            if isinstance(item, Draft):
                final = item
        assert final is not None
        return final

    def stream(self, query: Query, passages: list[Passage]) -> Iterator[str | Draft]:
        """Text pieces from the LLM as they arrive, then the checked ``GroundedDraft``.

        When the extractive answerer abstains, only the final draft is yielded.
        """
        first = self.extractive.answer(query, passages)
        model = getattr(self.llm, "model", None)
        if first.abstained or not passages:
            yield _extend(first)  # the LLM is neither loaded nor called
            return
        messages, sources, support = self._prompt(query, first, passages)
        pieces: list[str] = []
        started = time.perf_counter()
        first_at: float | None = None
        for piece in self.llm.stream(
            messages, max_tokens=self.max_tokens, temperature=self.temperature, stop=STOP
        ):
            if first_at is None:
                first_at = time.perf_counter()
            pieces.append(piece)
            yield piece
        ended = time.perf_counter()
        raw = "".join(pieces).strip()
        speed = _speed(self.llm, len(pieces), first_at or started, ended)
        timing = {
            "llm_first_token": round(((first_at or ended) - started) * 1000, 2),
            "llm": round((ended - started) * 1000, 2),
        }
        content = strip_abstention(raw)
        reply = clean_reply(content) if content is not None else ""
        marked, used = place_markers(reply, support, query.text)
        if reply and not used:
            marked = self._cite_short_answer(marked, first, support, query)
        check = verify(marked, sources, query.text) if reply else None
        left_out = self._left_out(check, first, query)
        if check is None or check.abstained or not check.grounded or left_out or asks_back(reply):
            # the extractive answer found an answer; a reply that says nothing, abstains,
            # asks the question back or states what the evidence does not hold is not shown
            yield _extend(
                first,
                model=model,
                grounded=False,
                llm_answer=raw,
                tokens_per_s=speed,
                unsupported=[] if check is None else check.unsupported,
                left_out=left_out,
                timings_ms=timing,
            )
            return
        citations = [
            citation(n, sources[i], sources[i].chunk.start, sources[i].chunk.end)
            for n, i in enumerate(check.cited, 1)
        ]
        yield GroundedDraft(
            check.text,
            False,
            citations,
            first.confidence,
            place_short_answer(first.short_answer, citations),
            model=model,
            grounded=True,
            llm_answer=raw,
            tokens_per_s=speed,
            timings_ms=timing,
            attributed=check.attributed,
        )

    def _cite_short_answer(
        self, reply: str, first: Draft, support: Sequence[Support], query: Query
    ) -> str:
        """``reply`` cited with the supporting sentence that holds the short answer, when
        ``place_markers`` found nothing to cite and the reply is the question restated with
        the answer filled in ("… kiểm điểm kết quả hai năm …" for "… mấy năm …"): it holds
        the short answer word for word, the question does not, and every word the reply
        does not take from the question is in that sentence (an echo of the question with
        "." for "?" adds nothing and cites nothing). The grounding check still reads its
        figures and names in that passage."""
        short = first.short_answer
        if short is None or analyse(query.text).multipart:
            return reply  # a multipart question's prompt shows no short answer
        asked = query.dense_text or query.text  # as the prompt showed it
        if not holds_phrase(reply, short.text) or holds_phrase(asked, short.text):
            return reply
        for s in support:
            if s.doc_id == short.doc_id and s.start <= short.start < s.end:
                return _append_marker(reply, s.n) if only_restates(reply, asked, s.text) else reply
        return reply

    def _left_out(self, check: Verification | None, first: Draft, query: Query) -> list[str]:
        """What of the extractive short answer a grounded reply left out (``keeps``)."""
        if not self.keep_answer or check is None or not check.grounded:
            return []
        if first.short_answer is None:
            return []
        lang = prompt_language(analyse(query.text).lang)
        return missing_parts(check.text, first.short_answer.text, lang)


def cited_passages(draft: Draft, passages: Sequence[Passage]) -> list[Passage]:
    """The passage of each of ``draft``'s citations, in citation order (``[n]`` is
    ``result[n - 1]``); citations whose passage is not among ``passages`` are left out."""
    out: list[Passage] = []
    for c in sorted(draft.citations, key=lambda c: c.n):
        found = next(
            (
                p
                for p in passages
                if p.document.doc_id == c.doc_id and p.chunk.start <= c.start < p.chunk.end
            ),
            None,
        )
        if found is not None and found not in out:
            out.append(found)
    return out


def _whole_passages(draft: Draft, sources: Sequence[Passage]) -> list[Support]:
    """Supporting "sentences" for an answerer that names none: its cited passages."""
    return [
        Support(p.chunk.text, n, p.document.doc_id, p.chunk.start, p.chunk.end)
        for n, p in enumerate(sources, 1)
    ]


# ---------------------------------------------------------------------- checking
def verify(text: str, passages: Sequence[Passage], question: str = "") -> Verification:
    """Renumber the ``[n]`` markers of ``text`` and check its numbers and names against the
    passages it cites (``passages`` are numbered 1..len in the prompt)."""
    body = _PREFIX.sub("", text.strip())
    content = strip_abstention(body)
    if content is None:
        return Verification(body, True, [], [], [])
    body = content
    mapping: dict[int, int] = {}
    dropped: list[int] = []

    def renumber(match: re.Match[str]) -> str:
        out: list[str] = []
        for part in re.split(r"[,;\s]+", match.group(1)):
            n = int(part)
            if 1 <= n <= len(passages):
                marker = f"[{mapping.setdefault(n, len(mapping) + 1)}]"
                if marker not in out:
                    out.append(marker)
            else:
                dropped.append(n)
        return "".join(out)

    cleaned = _tidy(_MARKER.sub(renumber, body))
    cited = [old - 1 for old in mapping]  # dicts keep insertion (= new number) order
    claims = _ANY_MARKER.sub(" ¦ ", cleaned)  # a marker also separates two names
    has_text = len(_WORD.findall(claims)) >= 2  # a bare "[1]" answers nothing
    attributed = False
    if not cited and has_text:
        found = attribute(claims, passages, question)
        if found is not None:
            cited, attributed = [found], True
            cleaned = _append_marker(cleaned, 1)
    evidence = _evidence([passages[i] for i in cited], question)
    unsupported = _unsupported_numbers(claims, evidence) + _unsupported_names(claims, evidence)
    return Verification(cleaned, False, cited, dropped, unsupported, has_text, attributed)


def _evidence(passages: Sequence[Passage], question: str) -> str:
    parts = [question]
    for p in passages:
        parts += [p.document.title, p.document.date or "", p.chunk.text]
    return " ".join(parts)


def attribute(claims: str, passages: Sequence[Passage], question: str = "") -> int | None:
    """For an answer that cites nothing: the best-ranked passage holding every number and
    name of it, at least one of them not taken from the question; else ``None``."""
    for i, p in enumerate(passages):
        evidence = _evidence([p], question)
        if _unsupported_numbers(claims, evidence) or _unsupported_names(claims, evidence):
            continue
        own = _evidence([p], "")
        own_figures = figures.extract(own, count_words=True)  # evidence: "ba", "XIII" read too
        asked = figures.claimed(question)
        if any(
            figures.supported(f, own_figures) and not figures.supported(f, asked)
            for f in figures.claimed(claims)
        ) or any(
            not _unsupported_names(name, own) and _unsupported_names(name, question)
            for name in capitalised_names(claims)
        ):
            return i
    return None


def _append_marker(text: str, n: int) -> str:
    """``text [n]``, the marker before a closing full stop: "… hội nghị [1]."."""
    text = text.rstrip()
    end = len(text)
    while end and text[end - 1] in ".!?…":
        end -= 1
    return f"{text[:end].rstrip()} [{n}]{text[end:]}"


def is_abstention(text: str) -> bool:
    folded = fold(text).strip(" \"'“”.")
    return any(folded.startswith(key) or key in folded for key in _ABSTAIN_KEYS)


def strip_abstention(text: str) -> str | None:
    """``text`` without its abstention sentences, or ``None`` when nothing else is left.

    "Nguyễn Phú Trọng chủ trì [1]. The documents do not contain this." gives
    "Nguyễn Phú Trọng chủ trì [1]."; "Không tìm thấy thông tin này trong các tài liệu."
    gives ``None``. A sentence counts as content when it has two words or more besides
    ``[n]`` markers.
    """
    if not is_abstention(text):
        return text
    kept = [s for s in _SENTENCES.split(text.strip()) if s.strip() and not is_abstention(s)]
    rest = " ".join(kept).strip()
    if len(_WORD.findall(_ANY_MARKER.sub(" ", rest))) < 2:
        return None
    return rest


def _unsupported_numbers(claims: str, evidence: str) -> list[str]:
    """Figures (dates, numbers) of ``claims`` that no figure of ``evidence`` backs."""
    return figures.unsupported(claims, evidence)


def capitalised_names(text: str) -> list[str]:
    """Runs of capitalised words (letters and digits), minus the first word of a run that
    opens a sentence."""
    runs: list[list[str]] = []
    current: list[str] = []
    sentence_start = True
    run_opens_sentence = False
    last_end = 0
    for match in _NAME_WORD.finditer(text):
        gap = text[last_end : match.start()]
        if _SENTENCE_END.search(gap):
            sentence_start = True
        joined = not gap.strip() and current
        word = match.group()
        if word[0].isupper() and joined:
            current.append(word)
        else:
            if current:
                runs.append(current[1:] if run_opens_sentence else current)
            current = [word] if word[0].isupper() else []
            run_opens_sentence = sentence_start
        sentence_start = False
        last_end = match.end()
    if current:
        runs.append(current[1:] if run_opens_sentence else current)
    return [" ".join(run) for run in runs if run]


def name_forms(name: str) -> list[str]:
    """``name`` as written and, when it differs, without English possessives: "Josh
    Norman's" names Josh Norman, but "Three's Company" is a name with its "'s"."""
    bare = " ".join(_POSSESSIVE.sub("", w) for w in name.split())
    return [name] if bare == name else [name, bare]


def _unsupported_names(claims: str, evidence: str) -> list[str]:
    tokens = _TOKEN.findall(fold(evidence))
    haystack = " " + " ".join(tokens) + " "
    joined = _joined_runs(tokens)
    out = []
    for name in capitalised_names(claims):
        # a month name is part of a date, checked as a figure ("December 19, 2023");
        # English words are translated terms, not names ("Prime Minister Phạm Minh Chính"
        # is checked as "Phạm Minh Chính", "Diplomatic Conference" not at all)
        needles = []
        for form in name_forms(name):
            words = [
                w
                for w in form.split()
                if not figures.is_month(w) and w.lower() not in english_vocabulary()
            ]
            needles.append(" ".join(_TOKEN.findall(fold(" ".join(words)))))
        if all(
            n and f" {n} " not in haystack and n.replace(" ", "") not in joined for n in needles
        ):
            out.append(name)
    return out


def _joined_runs(tokens: Sequence[str], longest: int = 4) -> set[str]:
    """Runs of up to ``longest`` evidence syllables written together ("hanoi", "vietnam")."""
    return {
        "".join(tokens[i : i + n])
        for n in range(2, longest + 1)
        for i in range(len(tokens) - n + 1)
    }


@lru_cache(maxsize=1)
def english_vocabulary() -> frozenset[str]:
    """English words that appear capitalised in English answers as translated terms: the
    words of the domain lexicon's English phrases and ``rag.language.ENGLISH_WORDS``."""
    words = {w for phrase in lexicon() for w in re.findall(r"[a-z]+", phrase)}
    return frozenset(words | ENGLISH_WORDS)


# ----------------------------------------------------------------------- helpers
def _tidy(text: str) -> str:
    text = re.sub(r"(\[\d+\])(?:[ \t]*\1)+", r"\1", text)  # "[1] [1]" -> "[1]"
    text = re.sub(r"[ \t]+([.,;:!?…])", r"\1", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def _speed(llm: LLM, pieces: int, first_at: float, ended: float) -> float | None:
    stats = getattr(llm, "last_stats", None)
    speed = stats.tokens_per_s if stats is not None else None
    if speed is None and pieces > 1 and ended > first_at:
        speed = (pieces - 1) / (ended - first_at)
    return None if speed is None else round(speed, 2)


def _extend(draft: Draft, **extra: object) -> GroundedDraft:
    """``draft`` (an extractive one) as a ``GroundedDraft``, its short answer checked."""
    return GroundedDraft(
        draft.answer,
        draft.abstained,
        draft.citations,
        draft.confidence,
        None if draft.abstained else place_short_answer(draft.short_answer, draft.citations),
        **extra,  # type: ignore[arg-type]
    )
