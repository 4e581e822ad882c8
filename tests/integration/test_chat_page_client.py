"""Integration: the chat page's client-side details in headless chromium, over a fast
hashing-embedder app (no model): the answer rendered while it streams, code-point offsets
highlighted right after astral characters, API errors shown in the thread, keyboard use
(Shift+Enter, Esc)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from api.main import create_app
from embeddings.hashing import HashingEmbedder
from rag import Pipeline, Settings
from rag.answering.base import Draft, citation
from rag.documents import Document
from tests.api.live import live_server
from tests.conftest import SEEDS
from tests.integration.chat_browser import ask, chrome, get_json

pytestmark = pytest.mark.integration

MAX_QUESTION_CHARS = 60
# Emoji and mathematical letters are two UTF-16 units each but one code point (Python's
# offsets): a page that sliced with the API's offsets directly would mark the wrong text.
ASTRAL = Document(
    doc_id="astral",
    title="Tài liệu 😀 thử",
    text="😀 Mở đầu 🎉🎉 rồi 𝐀𝐁𝐂.\n\nHội nghị thử nghiệm diễn ra ở Huế ngày 2/3/2024. Hết 🎉.",
    source="test",
)


@pytest.fixture(scope="module")
def chat_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    root: Path = tmp_path_factory.mktemp("chat-client")
    settings = Settings(
        index_dir=root / "index", docs_path=SEEDS, embed_backend="hash",
        model_cache=root / "m", max_question_chars=MAX_QUESTION_CHARS,
    )  # fmt: skip
    pipeline = Pipeline(settings, embedder=HashingEmbedder())
    pipeline.ingest([SEEDS])
    pipeline.add_documents([ASTRAL])
    return pipeline


@pytest.fixture(scope="module")
def base_url(chat_pipeline: Pipeline) -> Iterator[str]:
    with live_server(create_app(pipeline=chat_pipeline)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chrome() as driver:
        yield driver


def test_passage_after_astral_characters_is_marked_exactly(browser, base_url):
    from selenium.webdriver.common.by import By

    browser.get(base_url + "/")
    text = get_json(f"{base_url}/documents/astral")["text"]
    start = text.index("Hội nghị thử")
    end = text.index(" Hết")
    assert len(text[:start].encode("utf-16-le")) // 2 > start  # the offsets really differ
    citation = {"n": 2, "doc_id": "astral", "title": ASTRAL.title, "start": start, "end": end}
    browser.execute_script("return openPassage(arguments[0], arguments[1]);", citation, "x")
    mark = browser.find_element(By.CSS_SELECTOR, "#doc-text mark[data-n='2']")
    assert mark.get_property("textContent") == text[start:end]
    assert browser.find_element(By.ID, "doc-text").get_property("textContent") == text
    assert browser.find_element(By.ID, "doc-title").text == ASTRAL.title


def test_a_document_that_is_gone_is_reported_in_the_panel(browser, base_url):
    from selenium.webdriver.common.by import By

    browser.get(base_url + "/")
    citation = {"n": 1, "doc_id": "gone", "title": "Gone", "start": 0, "end": 3}
    browser.execute_script("return openPassage(arguments[0], arguments[1]);", citation, "x")
    meta = browser.find_element(By.ID, "doc-meta").text
    assert "Không mở được tài liệu" in meta and "no document with id 'gone'" in meta
    assert not browser.find_elements(By.CSS_SELECTOR, "#doc-text mark")


def test_api_errors_are_shown_in_the_thread(browser, base_url):
    from selenium.webdriver.common.by import By

    browser.get(base_url + "/")
    turn = ask(browser, "Hội nghị " + "rất " * MAX_QUESTION_CHARS + "dài?", 1)
    assert turn.get_attribute("data-state") == "error"
    error = turn.find_element(By.CSS_SELECTOR, ".error").text
    assert "question is too long" in error
    # a failed turn is not part of the history sent with the next question
    assert browser.execute_script("return state.history.length;") == 0
    turn = ask(browser, "Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?", 2)
    assert turn.get_attribute("data-state") in {"answered", "abstained"}
    assert browser.execute_script("return state.history.length;") == 1


def test_keyboard_shift_enter_is_a_new_line_and_escape_closes_the_document(browser, base_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(base_url + "/")
    box = browser.find_element(By.ID, "question")
    box.send_keys("dòng một", Keys.SHIFT, Keys.ENTER, Keys.SHIFT, "dòng hai")
    assert box.get_property("value") == "dòng một\ndòng hai"
    assert not browser.find_elements(By.CSS_SELECTOR, "#thread > li")
    citation = {"n": 1, "doc_id": "astral", "title": ASTRAL.title, "start": 0, "end": 1}
    browser.execute_script("return openPassage(arguments[0], arguments[1]);", citation, "😀")
    panel = browser.find_element(By.ID, "doc-panel")
    assert panel.is_displayed()
    mark = browser.find_element(By.CSS_SELECTOR, "#doc-text mark")
    assert mark.get_property("textContent") == "😀" and mark.get_attribute("data-matches") == "true"
    assert browser.switch_to.active_element.get_attribute("id") == "doc-title"
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    assert not panel.is_displayed()
    assert browser.switch_to.active_element == box


class HeldStream:
    """A streaming answerer (like an LLM's) citing the first passage: its first words, then
    nothing until ``release`` is set, then the rest (so the page is seen mid-answer)."""

    name = "held"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.first = ""

    def stream(self, query: Any, passages: Sequence[Any]) -> Iterator[str | Draft]:
        passage = passages[0]
        words = passage.chunk.text.split()
        self.first = " ".join(words[:3]) + " "
        answer = self.first + " ".join(words[3:12]) + " [1]"
        yield self.first
        assert self.release.wait(60)
        yield answer[len(self.first) :]
        cited = citation(1, passage, passage.chunk.start, passage.chunk.end)
        yield Draft(answer=answer, abstained=False, citations=[cited], confidence=1.0)


def test_the_answer_is_shown_while_it_streams(
    browser, base_url, chat_pipeline, monkeypatch, request
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    held = HeldStream()
    request.addfinalizer(held.release.set)  # never leave the server thread waiting
    monkeypatch.setattr(chat_pipeline, "answerer", lambda name=None: held)
    browser.get(base_url + "/")
    ask_box = browser.find_element(By.ID, "question")
    ask_box.send_keys("Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?\n")
    answer_css = "#thread > li.turn .answer.streaming"
    WebDriverWait(browser, 30).until(
        lambda b: (
            held.first
            and b.find_elements(By.CSS_SELECTOR, answer_css)
            and b.find_element(By.CSS_SELECTOR, answer_css).get_property("textContent")
            == held.first
        )
    )
    turn = browser.find_element(By.CSS_SELECTOR, "#thread > li.turn")
    assert turn.get_attribute("data-state") is None  # not finished yet
    assert not browser.find_element(By.ID, "send").is_enabled()
    held.release.set()
    WebDriverWait(browser, 30).until(lambda b: turn.get_attribute("data-state"))
    assert turn.get_attribute("data-state") == "answered"
    final = turn.find_element(By.CSS_SELECTOR, ".answer")
    assert final.get_property("textContent").startswith(held.first)
    assert final.find_element(By.CSS_SELECTOR, "button.cite").text == "[1]"
    assert "streaming" not in final.get_attribute("class")
    assert browser.find_element(By.ID, "send").is_enabled()
