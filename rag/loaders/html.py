"""Web pages → cleaned article text, with the title and date the page's metadata states.

* Title, first found: ``og:title``, ``<title>`` without its site suffix ("Bài viết | Báo
  X", "Bài viết - Báo X"), the first visible ``<h1>``.
* Date, first found: ``article:published_time`` (and the other publication-date meta
  tags), JSON-LD ``datePublished``, the first visible ``<time datetime>``; else a full
  date written in the lines right after the first visible ``<h1>`` (a byline the main-text
  extraction may leave out; ``date_source="text"``). Never a guess (a bare year, a date in
  a footer): ``rag.documents`` then only looks at the head of the extracted text.
* Boilerplate never reaches the title or the text: scripts, navigation, page headers and
  footers, asides, dialogs and hidden elements (``hidden``, ``aria-hidden="true"``,
  ``display:none``) are removed before ``trafilatura`` extracts the main text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag.dates import HEADER_LINES, extract_date, parse_date
from rag.errors import DocumentError
from rag.loaders import Loaded, cleaned, first_error_line, locate_headings
from rag.textnorm import fold, normalize_text

_DROP_TAGS = (
    "script", "style", "noscript", "template", "nav", "aside", "dialog", "button", "select",
    "iframe", "svg", "canvas", "object", "embed",
)  # fmt: skip
_DROP_ROLES = (
    "dialog", "alertdialog", "navigation", "banner", "contentinfo", "complementary", "search",
    "menu", "menubar", "toolbar", "tooltip",
)  # fmt: skip
_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_DATE_META = (
    "article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate",
    "publish_date", "publication_date", "dc.date.issued", "dc.date", "dcterms.issued",
    "date", "sailthru.date", "parsely-pub-date",
)  # fmt: skip
_TITLE_SEPARATOR_RE = re.compile(r"\s+(?:\||-|–|—|·|»|::)\s+")
_SITE_SUFFIX_CHARS = 60


def load_html(path: Path, raw: str) -> Loaded:
    import lxml.html
    import trafilatura  # slow import: only when HTML is actually loaded
    from lxml.etree import ParserError

    try:
        tree = lxml.html.document_fromstring(raw)
    except (ParserError, ValueError) as exc:
        raise DocumentError(f"{path}: not a readable HTML page ({first_error_line(exc)})") from exc
    metas = _meta_values(tree)
    ld = list(_json_ld(tree))
    remove_boilerplate(tree)
    title = page_title(tree, metas)
    marked = [(_text(h), int(h.tag[1])) for h in tree.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    date = page_date(tree, metas, ld)
    date_source = "meta"
    if date is None:
        date, date_source = byline_date(tree), "text"
    body = trafilatura.extract(
        lxml.html.tostring(tree, encoding="unicode"),
        output_format="txt",
        include_comments=False,
        with_metadata=False,
    )
    # trafilatura separates paragraphs by one newline; the corpus uses a blank line.
    text = cleaned((body or "").replace("\n", "\n\n"), str(path))
    if title and not text.startswith(title):
        text = f"{title}\n\n{text}"
    url = _canonical_url(tree) or metas.get("og:url")
    return Loaded(
        text=text, title=title, date=date, date_source=date_source, url=url or None,
        headings=locate_headings(text, marked),
    )  # fmt: skip


def _text(element: Any) -> str:
    return " ".join(normalize_text(element.text_content()).split())


def _meta_values(tree: Any) -> dict[str, str]:
    """``<meta property|name|itemprop=... content=...>`` by lowercased key (first wins)."""
    values: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        content = (meta.get("content") or "").strip()
        if key and content:
            values.setdefault(key.strip().lower(), content)
    return values


def _json_ld(tree: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in the page's JSON-LD scripts (``@graph`` members included)."""
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except json.JSONDecodeError:
            continue
        stack = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                yield item
                if isinstance(item.get("@graph"), list):
                    stack.extend(item["@graph"])


def remove_boilerplate(tree: Any) -> None:
    """Drop what is never the article: scripts, menus, dialogs, hidden elements, and the
    page's own header and footer (an article's ``<header>``/``<footer>`` stay)."""
    doomed = [el for el in tree.iter() if isinstance(el.tag, str) and _is_boilerplate(el)]
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()


def _is_boilerplate(el: Any) -> bool:
    tag = el.tag.lower()
    if tag in _DROP_TAGS:
        return True
    if tag in ("header", "footer") and not any(
        a.tag in ("article", "main") for a in el.iterancestors()
    ):
        return True
    if el.get("hidden") is not None or (el.get("aria-hidden") or "").lower() == "true":
        return True
    if (el.get("aria-modal") or "").lower() == "true":
        return True
    if (el.get("role") or "").lower() in _DROP_ROLES:
        return True
    return bool(_HIDDEN_STYLE_RE.search(el.get("style") or ""))


def page_title(tree: Any, metas: dict[str, str]) -> str | None:
    """og:title, else ``<title>`` without its site suffix, else the first visible h1."""
    site = metas.get("og:site_name")
    og = " ".join(normalize_text(metas.get("og:title", "")).split())
    if og:
        return strip_site_suffix(og, site, guess=False)
    head_title = tree.find(".//title")
    if head_title is not None:
        title = strip_site_suffix(_text(head_title), site)
        if title:
            return title
    for h1 in tree.iter("h1"):
        title = _text(h1)
        if title:
            return title
    return None


def strip_site_suffix(title: str, site: str | None, *, guess: bool = True) -> str:
    """``title`` without a trailing (or leading) " | Site" / " - Site" part.

    With the site's name known (``og:site_name``) only that is removed; else, with
    ``guess``, the last part after a separator when it looks like a name (capitalised, short,
    shorter than the rest): "Phát triển kinh tế - xã hội" keeps its last words.
    """
    title = " ".join(title.split())
    parts = _TITLE_SEPARATOR_RE.split(title)
    if len(parts) < 2:
        return title
    if site:
        key = fold(site)
        if fold(parts[-1]) == key:
            return title[: _last_separator(title).start()].strip()
        if fold(parts[0]) == key:
            return title[_first_separator(title).end() :].strip()
        return title
    last = parts[-1]
    rest = title[: _last_separator(title).start()].strip()
    capitalised = last[:1].isupper() or last[:1].isdigit()
    if guess and capitalised and len(last) <= _SITE_SUFFIX_CHARS and len(last) < len(rest):
        return rest
    return title


def _last_separator(title: str) -> re.Match[str]:
    *_, last = _TITLE_SEPARATOR_RE.finditer(title)
    return last


def _first_separator(title: str) -> re.Match[str]:
    return next(_TITLE_SEPARATOR_RE.finditer(title))


def page_date(tree: Any, metas: dict[str, str], ld: list[dict[str, Any]]) -> str | None:
    """The publication date the page states in its metadata or markup, ISO, or None."""
    for key in _DATE_META:
        if key in metas:
            iso = parse_date(metas[key])
            if iso:
                return iso
    for item in ld:
        value = item.get("datePublished")
        if isinstance(value, str):
            iso = parse_date(value)
            if iso:
                return iso
    for time in tree.iter("time"):
        iso = parse_date(time.get("datetime") or "")
        if iso:
            return iso
    return None


def byline_date(tree: Any) -> str | None:
    """A full date in the visible text right after the first ``<h1>`` (title, byline)."""
    h1 = next((h for h in tree.iter("h1") if _text(h)), None)
    if h1 is None:
        return None
    heading = [t.strip() for t in h1.itertext() if t.strip()]
    body = tree.find("body")
    pieces = [t.strip() for t in (body if body is not None else tree).itertext() if t.strip()]
    for i in range(len(pieces) - len(heading) + 1):
        if pieces[i : i + len(heading)] == heading:
            after = pieces[i + len(heading) :][:HEADER_LINES]
            return extract_date("\n".join(normalize_text(p) for p in after))
    return None


def _canonical_url(tree: Any) -> str | None:
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            return str(link.get("href")).strip()
    return None
