"""Load and validate the gold Q&A pairs (``eval/gold.jsonl``) into :class:`GoldItem` records."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import RagError

DEFAULT_GOLD = Path(__file__).with_name("gold.jsonl")
LANGS = ("vi", "vi-noaccent", "en")
SPLITS = ("dev", "test", "holdout")
TYPES = ("date", "number", "person", "place", "list", "other")

_STR_FIELDS = ("id", "question", "answer", "lang", "type", "split")
_LIST_FIELDS = ("aliases", "evidence", "doc_ids")


class GoldError(RagError):
    """The gold file is missing or one of its lines is malformed."""

    exit_code = 2


@dataclass(frozen=True)
class GoldItem:
    """One gold question with its expected answer and the evidence that supports it."""

    id: str
    question: str
    answer: str
    aliases: tuple[str, ...]
    evidence: tuple[str, ...]
    doc_ids: tuple[str, ...]
    lang: str
    answerable: bool
    type: str
    split: str

    @property
    def expected(self) -> tuple[str, ...]:
        """The answer followed by its aliases (empty for unanswerable questions)."""
        return tuple(a for a in (self.answer, *self.aliases) if a.strip())

    @property
    def compound(self) -> bool:
        """Lists and two-passage answers: correct when every part is present (GOLD_NOTES)."""
        return self.type == "list" or len(self.evidence) > 1 or ";" in self.answer


def parse_item(data: Any, where: str = "gold") -> GoldItem:
    """Validate one decoded JSON line; raise :class:`GoldError` naming ``where`` on problems."""
    if not isinstance(data, dict):
        raise GoldError(f"{where}: expected a JSON object, got {type(data).__name__}")
    missing = [f for f in (*_STR_FIELDS, *_LIST_FIELDS, "answerable") if f not in data]
    if missing:
        raise GoldError(f"{where}: missing field(s) {', '.join(missing)}")
    for name in _STR_FIELDS:
        if not isinstance(data[name], str):
            raise GoldError(f"{where}: field {name!r} must be a string")
    for name in _LIST_FIELDS:
        value = data[name]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise GoldError(f"{where}: field {name!r} must be a list of non-empty strings")
    if not isinstance(data["answerable"], bool):
        raise GoldError(f"{where}: field 'answerable' must be true or false")
    ident = data["id"].strip()
    if not ident:
        raise GoldError(f"{where}: empty id")
    if not data["question"].strip():
        raise GoldError(f"{where}: {ident}: empty question")
    for name, allowed in (("lang", LANGS), ("split", SPLITS), ("type", TYPES)):
        if data[name] not in allowed:
            raise GoldError(
                f"{where}: {ident}: {name} {data[name]!r} is not one of {', '.join(allowed)}"
            )
    if data["answerable"]:
        if not data["answer"].strip():
            raise GoldError(f"{where}: {ident}: answerable question with an empty answer")
        if not data["evidence"] or not data["doc_ids"]:
            raise GoldError(f"{where}: {ident}: answerable question needs evidence and doc_ids")
    elif data["answer"].strip() or data["aliases"] or data["evidence"] or data["doc_ids"]:
        raise GoldError(
            f"{where}: {ident}: unanswerable question must have an empty answer, "
            "no aliases, no evidence and no doc_ids"
        )
    return GoldItem(
        id=ident,
        question=data["question"],
        answer=data["answer"],
        aliases=tuple(data["aliases"]),
        evidence=tuple(data["evidence"]),
        doc_ids=tuple(data["doc_ids"]),
        lang=data["lang"],
        answerable=data["answerable"],
        type=data["type"],
        split=data["split"],
    )


def parse_lines(lines: Iterable[str], source: str = "gold") -> list[GoldItem]:
    """Parse JSON lines (blank lines skipped); ids must be unique."""
    items: list[GoldItem] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldError(f"{where}: invalid JSON ({exc.msg} at column {exc.colno})") from None
        item = parse_item(data, where)
        if item.id in seen:
            raise GoldError(f"{where}: duplicate id {item.id!r} (first on line {seen[item.id]})")
        seen[item.id] = number
        items.append(item)
    if not items:
        raise GoldError(f"{source}: no gold questions")
    return items


def load_gold(path: str | Path = DEFAULT_GOLD) -> list[GoldItem]:
    """Read and validate a gold JSONL file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GoldError(f"{path}: gold file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldError(f"{path}: cannot read the gold file ({exc})") from None
    return parse_lines(text.splitlines(), str(path))


def select_split(items: Sequence[GoldItem], split: str) -> list[GoldItem]:
    """The items of ``split`` ("dev", "test", "holdout" or "all")."""
    if split == "all":
        return list(items)
    if split not in SPLITS:
        raise GoldError(f"unknown split {split!r} (use dev, test, holdout or all)")
    return [item for item in items if item.split == split]
