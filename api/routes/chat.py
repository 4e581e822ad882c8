"""``GET /``: the chat page (static HTML, JS and CSS from ``api/static``; no build step,
nothing loaded from another site)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
STATIC_PATH = "/static"

router = APIRouter(include_in_schema=False)


@router.get("/")
def chat_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")


def static_files() -> StaticFiles:
    """The page's scripts and styles, mounted at ``STATIC_PATH``."""
    return StaticFiles(directory=STATIC_DIR)
