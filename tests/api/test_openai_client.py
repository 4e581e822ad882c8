"""The official ``openai`` Python client against a live server (uvicorn on a local port)
over the hashing-embedder seed index: what OpenAI clients (Open WebUI, LangChain...) do."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from api.main import create_app
from rag import Pipeline
from tests.api.live import live_server
from tests.api.test_openai import Q_VI
from tests.rag.cli.fakes import SpanAnswerer

KEY = "sk-v1-test"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.api.conftest import seeded_pipeline

    pipeline: Pipeline = seeded_pipeline(tmp_path_factory.mktemp("openai-live"))
    fake = SpanAnswerer()  # cited answers with [1] whatever the hashing embedder retrieves
    pipeline.answerer = lambda name=None: fake  # type: ignore[method-assign]
    with live_server(create_app(pipeline=pipeline)) as url:
        yield f"{url}/v1"


@pytest.fixture
def client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="sk-anything", max_retries=0, timeout=60)


def test_models(client):
    assert [m.id for m in client.models.list()] == ["hoinghi-qa"]
    assert client.models.retrieve("hoinghi-qa").id == "hoinghi-qa"


def test_completion_and_stream_agree(client):
    messages = [{"role": "user", "content": Q_VI}]
    done = client.chat.completions.create(model="hoinghi-qa", messages=messages)
    content = done.choices[0].message.content
    assert content and "[1]" in content and "\n\nNguồn:\n[1] " in content
    assert done.choices[0].finish_reason == "stop"
    assert done.usage is not None and done.usage.total_tokens > 0
    extra = done.model_extra or {}
    assert extra["citations"][0]["n"] == 1 and extra["short_answer"]["n"] == 1

    stream = client.chat.completions.create(model="hoinghi-qa", messages=messages, stream=True)
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert streamed == content


def test_follow_up_with_history(client):
    first = client.chat.completions.create(
        model="hoinghi-qa", messages=[{"role": "user", "content": Q_VI}]
    )
    follow = client.chat.completions.create(
        model="hoinghi-qa",
        messages=[
            {"role": "user", "content": Q_VI},
            {"role": "assistant", "content": first.choices[0].message.content or ""},
            {"role": "user", "content": "Ai chủ trì hội nghị đó?"},
        ],
        temperature=0.7,
        max_tokens=100,
        user="tester",
    )
    assert "[1]" in (follow.choices[0].message.content or "")


def test_unknown_model_is_not_found(client):
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": Q_VI}])
    assert info.value.code == "model_not_found"


def test_bad_request_is_raised_as_such(client):
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model="hoinghi-qa", messages=[{"role": "system", "content": "no question"}]
        )
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(
            model="hoinghi-qa", messages=[{"role": "user", "content": " "}]
        )


def test_authentication_error_when_the_key_is_required(tmp_path):
    from tests.api.conftest import seeded_pipeline

    pipeline = seeded_pipeline(tmp_path)
    settings = pipeline.settings.model_copy(update={"api_key": KEY, "v1_require_key": True})
    with live_server(create_app(pipeline=pipeline, settings=settings)) as url:
        wrong = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            wrong.models.list()
        right = openai.OpenAI(base_url=f"{url}/v1", api_key=KEY, max_retries=0)
        assert [m.id for m in right.models.list()] == ["hoinghi-qa"]
