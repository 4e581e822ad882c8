"""Chat Completions on top of the pipeline: model ids, messages → question and
conversation, the answer → message content with its sources.

Stateless per request: the conversation is rebuilt from the request's messages each time
and follow-ups are rewritten into standalone questions by the REPL's code
(:mod:`rag.conversation`). As in the REPL, when the rewritten question abstains the user's
own words are asked too and win if they find an answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from api.errors import ApiError
from api.schemas_openai import ChatMessage
from rag.answering.models import Answer, Citation
from rag.conversation import MAX_TURNS, Conversation, RuleBasedRewriter, Turn, rewriter_for
from rag.language import EN, detect_language
from rag.llm.factory import local_llm_available
from rag.pipeline import Pipeline
from rag.settings import Settings
from rag.textnorm import normalize_text

EXTRACTIVE_MODEL = "hoinghi-qa"
LOCAL_MODEL = "hoinghi-qa-local"
MODEL_BACKENDS = {EXTRACTIVE_MODEL: "extractive", LOCAL_MODEL: "local"}
"""Model id → answer backend (``Pipeline.ask(llm=...)``)."""

SOURCES_HEADING = {"vi": "Nguồn:", "en": "Sources:"}
_SOURCES_BLOCK = re.compile(r"\n\n(?:Nguồn|Sources):\n\[\d+\] .*\Z", re.DOTALL)


# ------------------------------------------------------------------------- models
def available_models(settings: Settings) -> list[str]:
    """The model ids this server can answer with now: extractive always, the local LLM
    when llama-cpp-python and a GGUF model are installed."""
    ids = [EXTRACTIVE_MODEL]
    if local_llm_available(settings):
        ids.append(LOCAL_MODEL)
    return ids


def backend_for(model: str, settings: Settings) -> str:
    """The answer backend of ``model``; 404 ``model_not_found`` for any other id."""
    if model in MODEL_BACKENDS and model in available_models(settings):
        return MODEL_BACKENDS[model]
    if model == LOCAL_MODEL:
        reason = "this server has no local LLM (install llama-cpp-python and run `rag llm pull`)"
    else:
        reason = f"the models are: {', '.join(available_models(settings))}"
    raise ApiError(
        404, "model_not_found", f"the model {model!r} does not exist: {reason}", param="model"
    )


# ----------------------------------------------------------------------- messages
@dataclass(frozen=True)
class ChatTurns:
    """The question (the last user message) and the exchanges before it."""

    question: str
    history: list[tuple[str, str]]  # (user message, assistant reply), oldest first


def split_messages(messages: Sequence[ChatMessage]) -> ChatTurns:
    """The last ``user`` message is the question; each earlier ``user`` message is paired
    with the ``assistant`` reply that follows it (``""`` when none does). Other roles
    (system, developer, tool) are ignored. 400 when there is no user message."""
    last = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last is None:
        raise ApiError(
            400,
            "missing_user_message",
            "messages must contain a message with role 'user' (the question)",
            param="messages",
        )
    history: list[tuple[str, str]] = []
    for m in messages[:last]:
        if m.role == "user":
            history.append((m.text(), ""))
        elif m.role == "assistant" and history and not history[-1][1]:
            history[-1] = (history[-1][0], m.text())
    return ChatTurns(messages[last].text(), history[-MAX_TURNS:])


def _clean(text: str, limit: int) -> str:
    """History text made safe for the rewriter: lone surrogates replaced, length capped."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return text[:limit]


def strip_sources(content: str) -> str:
    """An assistant message without the sources list this API appended to it."""
    return _SOURCES_BLOCK.sub("", content)


def conversation_for(
    history: Sequence[tuple[str, str]], pipeline: Pipeline, llm: str | None
) -> Conversation:
    """A conversation holding ``history``, with the rewriter the REPL would use for ``llm``.

    The earlier questions' standalone forms are rebuilt with the rule-based rewriter (cheap
    and deterministic); only the new question goes through an LLM rewriter."""
    answerer = pipeline.answerer(llm) if llm else None
    conversation = Conversation(rewriter=rewriter_for(llm, answerer))
    rules = RuleBasedRewriter()
    limit = pipeline.settings.max_question_chars
    for question, reply in history:
        asked = _clean(question, limit)
        if not asked.strip():
            continue
        standalone = rules.rewrite(asked, conversation.turns)
        answer = strip_sources(_clean(reply, 20 * limit))
        conversation.turns.append(Turn(question=asked, standalone=standalone, answer=answer))
    return conversation


# ----------------------------------------------------------------------- answering
@dataclass(frozen=True)
class ChatAnswer:
    answer: Answer
    standalone: str  # the question the answer was found with
    content: str  # the message content: answer text and its sources


def respond(pipeline: Pipeline, backend: str, turns: ChatTurns) -> ChatAnswer:
    """Answer the question of ``turns`` (blocking; run it in a worker thread)."""
    question = pipeline.check_question(turns.question)  # 422 for bad text, before rewriting
    llm = None if backend == "extractive" else backend
    conversation = conversation_for(turns.history, pipeline, llm)
    standalone = conversation.rewrite(question)
    answer = pipeline.ask(standalone, llm=backend)
    if standalone != " ".join(normalize_text(question).split()) and answer.abstained:
        own = pipeline.ask(question, llm=backend)
        if not own.abstained:
            answer, standalone = own, question
    return ChatAnswer(answer, standalone, message_content(answer, turns.question))


def message_content(answer: Answer, question: str) -> str:
    """The answer text (with its ``[n]`` markers), then the sources it cites, headed
    "Nguồn:" or "Sources:" in the question's language. Abstentions have no sources."""
    if answer.abstained or not answer.citations:
        return answer.answer
    heading = SOURCES_HEADING["en" if detect_language(question) == EN else "vi"]
    lines = [source_line(c) for c in answer.citations]
    return f"{answer.answer}\n\n{heading}\n" + "\n".join(lines)


def source_line(c: Citation) -> str:
    """``[n] title (date) — /documents/{doc_id}#start-end``."""
    date = f" ({c.date})" if c.date else ""
    return f"[{c.n}] {c.title}{date} — /documents/{c.doc_id}#{c.start}-{c.end}"


def word_count(text: str) -> int:
    return len(text.split())


def prompt_words(messages: Sequence[ChatMessage]) -> int:
    return sum(word_count(m.text()) for m in messages)
