"""Integration: the chat page at / in a real headless Chromium (Debian's ``chromium`` and
``chromium-driver``, driven by selenium with explicit paths: nothing is downloaded), over
the app serving the real model on the real seeds.

Skips when chromium / chromedriver are not installed (``scripts/test.sh`` installs them
when it runs as root). With ``RAG_CHAT_SCREENSHOT=1`` the screenshot is written to
``docs/chat-page.png`` (the README's); otherwise to the test's temp dir.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from api.main import create_app
from tests.api.live import live_server
from tests.conftest import ROOT
from tests.integration.chat_browser import ask, chrome, get_json, post_json

pytestmark = pytest.mark.integration

SCREENSHOT = ROOT / "docs" / "chat-page.png"
QUESTION = "Hội nghị Ngoại giao lần thứ 32 diễn ra ngày nào?"
FOLLOW_UP = "còn lần thứ 31 thì sao?"
OFF_TOPIC = "Công thức nấu phở bò gồm những gì?"


@pytest.fixture(scope="module")
def base_url(e5_pipeline) -> Iterator[str]:
    """The app (real model, seeds) served on a free local port."""
    with live_server(create_app(pipeline=e5_pipeline)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chrome() as driver:
        yield driver


def test_chat_page_answers_cites_and_highlights_the_passage(browser, base_url, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(base_url + "/")
    assert browser.find_element(By.CSS_SELECTOR, "label[for=question]").is_displayed()

    turn = ask(browser, QUESTION, 1)
    assert turn.get_attribute("data-state") == "answered"
    expected = post_json(base_url + "/ask", {"question": QUESTION})  # the same (cached) answer
    assert expected["short_answer"] is not None
    short = turn.find_element(By.CSS_SELECTOR, ".short-answer")
    assert short.is_displayed()
    short_text = short.find_element(By.CSS_SELECTOR, ".short-text").text
    assert short_text == expected["short_answer"]["text"]
    assert "19/12" in short.text
    # the short answer comes first, then the answer
    answer = turn.find_element(By.CSS_SELECTOR, ".answer")
    assert short.location["y"] < answer.location["y"]
    assert answer.get_property("textContent") == expected["answer"]

    link = answer.find_element(By.CSS_SELECTOR, "button.cite[data-n='1']")
    assert link.text == "[1]"
    link.click()
    mark_css = "#doc-text mark[data-n='1']"
    WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.CSS_SELECTOR, mark_css))
    mark = browser.find_element(By.CSS_SELECTOR, mark_css)
    citation = next(c for c in expected["citations"] if c["n"] == 1)
    document = get_json(f"{base_url}/documents/{citation['doc_id']}")
    marked = mark.get_property("textContent")
    assert marked and marked in document["text"]
    assert marked == document["text"][citation["start"] : citation["end"]] == citation["text"]
    doc_text = browser.find_element(By.ID, "doc-text").get_property("textContent")
    assert doc_text == document["text"]  # the whole document, as text
    assert browser.find_element(By.ID, "doc-title").text == citation["title"]
    # scrolled into view inside the panel
    assert browser.execute_script(
        "const m = arguments[0].getBoundingClientRect();"
        "const p = document.getElementById('doc-panel').getBoundingClientRect();"
        "return m.top < p.bottom && m.bottom > p.top;",
        mark,
    )
    shot = SCREENSHOT if os.environ.get("RAG_CHAT_SCREENSHOT") == "1" else tmp_path / "chat.png"
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000

    # a follow-up: sent with the history, rewritten on the server, shown in the thread
    browser.find_element(By.ID, "doc-close").click()
    turn = ask(browser, FOLLOW_UP, 2)
    rewritten = turn.find_element(By.CSS_SELECTOR, ".rewritten")
    assert rewritten.is_displayed() and "lần thứ 31" in rewritten.text
    assert "Hội nghị" in rewritten.text
    thread = browser.find_element(By.ID, "thread").text
    assert QUESTION in thread and FOLLOW_UP in thread


def test_chat_page_says_when_the_documents_do_not_hold_the_answer(browser, base_url):
    from selenium.webdriver.common.by import By

    browser.get(base_url + "/")
    turn = ask(browser, OFF_TOPIC, 1)
    assert turn.get_attribute("data-state") == "abstained"
    box = turn.find_element(By.CSS_SELECTOR, ".abstained")
    assert box.is_displayed() and "không có câu trả lời" in box.text.lower()
    assert not turn.find_elements(By.CSS_SELECTOR, ".short-answer:not([hidden])")
    assert not turn.find_elements(By.CSS_SELECTOR, "button.cite")


def test_chat_page_fits_a_phone_screen(browser, base_url):
    from selenium.webdriver.common.by import By

    browser.set_window_size(390, 844)
    try:
        browser.get(base_url + "/")
        turn = ask(browser, QUESTION, 1)
        width = "const e = document.documentElement; return [e.scrollWidth, e.clientWidth];"
        scroll_width, inner_width = browser.execute_script(width)
        assert scroll_width <= inner_width
        assert browser.find_element(By.ID, "send").is_displayed()
        turn.find_element(By.CSS_SELECTOR, ".answer button.cite").click()
        panel = browser.find_element(By.ID, "doc-panel")
        assert panel.is_displayed() and panel.size["width"] >= inner_width - 1  # full screen
    finally:
        browser.set_window_size(1280, 860)
