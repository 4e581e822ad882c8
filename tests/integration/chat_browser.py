"""Helpers for the chat page's browser tests: the app served by uvicorn in a thread, and
Debian's headless chromium driven by selenium with explicit paths (selenium-manager is never
asked to find or download a browser or driver)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ANSWER_TIMEOUT = 120


@contextmanager
def chrome() -> Iterator[Any]:
    """A headless chromium WebDriver; skips the test when chromium or chromedriver is missing."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(
            "needs Debian's chromium and chromium-driver (/usr/bin/chromium, "
            "/usr/bin/chromedriver): apt-get install -y chromium chromium-driver"
        )
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (test extra)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=vi"):
        options.add_argument(arg)
    options.add_argument("--window-size=1280,860")
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def post_json(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=ANSWER_TIMEOUT) as response:
        return json.load(response)


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def ask(browser: Any, question: str, turns: int) -> Any:
    """Type ``question``, press Enter, wait for turn number ``turns`` to finish."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    box = browser.find_element(By.ID, "question")
    assert browser.switch_to.active_element == box  # focus is back in the question box
    box.send_keys(question, Keys.ENTER)
    done = f"#thread > li.turn:nth-child({turns})[data-state]"
    WebDriverWait(browser, ANSWER_TIMEOUT).until(lambda b: b.find_elements(By.CSS_SELECTOR, done))
    turn = browser.find_element(By.CSS_SELECTOR, done)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#thread > li.turn")) == turns
    return turn
