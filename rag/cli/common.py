"""Shared CLI plumbing: one-line errors, the pipeline, progress bars."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from rich.console import Console
from rich.markup import escape

from rag.errors import RagError

P = ParamSpec("P")
R = TypeVar("R")

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise SystemExit(code)


def friendly_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn expected failures into one line on stderr and a non-zero exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except RagError as exc:
            fail(escape(exc.message), exc.exit_code)  # plain text, not console markup
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except (OSError, ValueError) as exc:
            if os.environ.get("RAG_DEBUG"):
                raise
            fail(escape(f"{type(exc).__name__}: {exc}"))
        raise AssertionError("unreachable")

    return wrapper


def quiet_libraries() -> None:
    """Silence third-party progress bars and info logs on the terminal."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def is_interactive() -> bool:
    return sys.stdout.isatty() and not os.environ.get("CI")
