"""Integration: the official ``openai`` client against a live server running the real
multilingual-e5-small over the real seeds (the extractive answerer, model ``hoinghi-qa``)."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from api.main import create_app
from api.openai_chat import available_models
from tests.api.live import live_server

pytestmark = pytest.mark.integration

DOC_2023 = "003_792b6e1b99918ddc"  # the 32nd Diplomatic Conference (19/12/2023)
Q_DATE = "Hội nghị Ngoại giao lần thứ 32 diễn ra ngày nào?"


@pytest.fixture(scope="module")
def client(e5_pipeline) -> Iterator[openai.OpenAI]:
    with live_server(create_app(pipeline=e5_pipeline)) as url:
        yield openai.OpenAI(base_url=f"{url}/v1", api_key="sk-any", max_retries=0, timeout=120)


def ask(client: openai.OpenAI, *messages: str) -> openai.types.chat.ChatCompletion:
    """Alternating user/assistant messages, the last one the question."""
    roles = ["user", "assistant"]
    chat = [{"role": roles[i % 2], "content": m} for i, m in enumerate(messages)]
    return client.chat.completions.create(model="hoinghi-qa", messages=chat)  # type: ignore[arg-type]


def content_of(completion: openai.types.chat.ChatCompletion) -> str:
    return completion.choices[0].message.content or ""


def cited_docs(completion: openai.types.chat.ChatCompletion) -> set[str]:
    return {c["doc_id"] for c in (completion.model_extra or {}).get("citations", [])}


def test_models(client, e5_pipeline):
    ids = [m.id for m in client.models.list()]
    assert ids[0] == "hoinghi-qa"
    assert ids == available_models(e5_pipeline.settings)


def test_cited_answer_then_the_same_streamed(client):
    done = ask(client, Q_DATE)
    content = content_of(done)
    answer, sources = content.split("\n\nNguồn:\n")
    assert "19/12" in answer and "[1]" in answer
    assert f"/documents/{DOC_2023}#" in sources and "(2023-12-19)" in sources
    short = (done.model_extra or {})["short_answer"]
    assert short is not None and short["doc_id"] == DOC_2023

    stream = client.chat.completions.create(
        model="hoinghi-qa", messages=[{"role": "user", "content": Q_DATE}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == content


def test_english_question_has_sources(client):
    content = content_of(ask(client, "When was the 32nd diplomatic conference held?"))
    assert "19/12" in content and "\n\nSources:\n[1] " in content


def test_follow_up_needs_the_history(client):
    first = ask(client, Q_DATE)
    alone = ask(client, "Chủ đề là gì?")
    assert "Nguồn:" not in content_of(alone)  # on its own: an abstention
    follow = ask(client, Q_DATE, content_of(first), "Chủ đề là gì?")
    assert "[1]" in content_of(follow) and DOC_2023 in cited_docs(follow)


def test_english_follow_up(client):
    question = "When was the 32nd diplomatic conference held?"
    first = ask(client, question)
    follow = ask(client, question, content_of(first), "What was the theme?")
    assert "Sources:" in content_of(follow) and DOC_2023 in cited_docs(follow)
    # Without the history the same words are about nothing in particular: whatever the
    # answerer makes of them (abstention, or a vague match), not the 2023 conference.
    alone = ask(client, "What was the theme?")
    assert "Sources:" not in content_of(alone) or DOC_2023 not in cited_docs(alone)


def test_unknown_model(client):
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": Q_DATE}]
        )
