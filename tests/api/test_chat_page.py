"""``GET /``: the chat page and its static files (no CDN), next to /docs."""

from __future__ import annotations

import re

from api.routes.chat import STATIC_DIR
from tests.api.conftest import assert_error

EXTERNAL_URL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
ASSET_URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def test_root_serves_the_chat_page(client):
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert '<form id="ask-form"' in html
    assert '<label for="question">' in html and 'id="question"' in html
    assert 'name="viewport"' in html
    assert 'id="doc-panel"' in html


def test_page_loads_nothing_from_another_site(client):
    html = client.get("/").text
    assert not EXTERNAL_URL.search(html), EXTERNAL_URL.findall(html)
    assets = ASSET_URL.findall(html)
    assert sorted(assets) == ["/static/chat.css", "/static/chat.js"]
    for url in assets:
        r = client.get(url)
        assert r.status_code == 200, url
        assert not re.search(r"https?://", r.text), url  # no imports or fonts from a CDN
    assert (
        client.get("/static/chat.js")
        .headers["content-type"]
        .startswith(("text/javascript", "application/javascript"))
    )


def test_the_script_talks_to_the_streaming_endpoint_and_escapes_document_text():
    script = (STATIC_DIR / "chat.js").read_text(encoding="utf-8")
    assert '"/ask/stream"' in script and "getReader()" in script
    assert "/documents/${encodeURIComponent(" in script
    assert "innerHTML" not in script  # text goes in as text nodes / textContent only


def test_docs_and_openapi_still_work_and_the_page_is_not_an_operation(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/" not in paths and "/ask/stream" in paths


def test_unknown_static_file_is_a_json_404(client):
    assert_error(client.get("/static/nope.js"), 404, "not_found")
    assert_error(client.get("/static/../schemas.py"), 404, "not_found")
