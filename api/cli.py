"""``rag serve``: run the HTTP API with uvicorn (registered via ``hoinghi_qa.commands``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from rag.cli.common import console, fail, friendly_errors

APP_FACTORY = "api.main:create_app"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
_ROOT = Path(__file__).resolve().parents[1]


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging, plus the API's one-line JSON logs (``api.*``) on stderr.

    uvicorn applies this in every worker process, so ``--workers N`` logs the same way.
    """
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "default": {"()": "uvicorn.logging.DefaultFormatter",
                        "fmt": "%(levelprefix)s %(message)s"},
            "json": {"format": "%(message)s"},
        },
        "handlers": {
            "default": {"class": "logging.StreamHandler", "formatter": "default",
                        "stream": "ext://sys.stderr"},
            "json": {"class": "logging.StreamHandler", "formatter": "json",
                     "stream": "ext://sys.stderr"},
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": upper, "propagate": False},
            "uvicorn.error": {"level": upper},
            "api": {"handlers": ["json"], "level": upper, "propagate": False},
        },
    }  # fmt: skip


def default_workers(configured: int | None) -> int:
    """``RAG_WORKERS``, else one worker per CPU core (each runs one encoder thread)."""
    return configured or max(1, os.cpu_count() or 1)


def _available(module: str, fallback: str) -> str:
    """``module`` when it is installed (uvloop, httptools), else uvicorn's ``fallback``."""
    import importlib.util

    return module if importlib.util.find_spec(module) is not None else fallback


def register(app: typer.Typer) -> None:
    @app.command()
    @friendly_errors
    def serve(
        host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
        workers: Annotated[
            int | None,
            typer.Option(
                min=1,
                help="Worker processes (default: RAG_WORKERS, else one per CPU core; they "
                "share the word embeddings and index vectors through memory maps).",
            ),
        ] = None,
        reload: Annotated[
            bool, typer.Option(help="Restart on code changes (development; one worker).")
        ] = False,
        log_level: Annotated[
            str,
            typer.Option(envvar="RAG_LOG_LEVEL", help=f"One of: {', '.join(LOG_LEVELS)}."),
        ] = "info",
    ) -> None:
        """Serve the HTTP API (POST /ask, /ask/stream, /search, /documents; docs at /docs)
        and the chat page at /."""
        from rag import Pipeline

        level = log_level.lower()
        if level not in LOG_LEVELS:
            fail(f"unknown log level {log_level!r} (use one of: {', '.join(LOG_LEVELS)})", 2)
        if reload and workers is not None and workers > 1:
            fail("--reload runs a single worker; drop --workers or --reload", 2)
        pipeline = Pipeline.from_settings()
        if workers is None:
            workers = 1 if reload else default_workers(pipeline.settings.workers)
        if not pipeline.store.exists():
            fail(
                f"no index at {pipeline.settings.index_dir}: run `rag ingest` first "
                "(or set RAG_INDEX_DIR)",
                3,
            )
        # The server runs requests in parallel threads (and workers), each calling the
        # model: one intra-op thread per call avoids oversubscribing the cores, which
        # with torch's spinning thread pools costs 5-20x in latency under load.
        os.environ.setdefault("RAG_EMBED_THREADS", "1")

        import uvicorn

        console.print(
            f"serving on http://{host}:{port} (chat page: /, docs: /docs, {workers} worker(s))",
            highlight=False,
        )
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=host,
            port=port,
            workers=None if reload else workers,
            reload=reload,
            reload_dirs=[str(_ROOT / d) for d in ("api", "rag", "embeddings")] if reload else None,
            log_level=level,
            log_config=log_config(level),
            loop=_available("uvloop", "auto"),
            http=_available("httptools", "auto"),
            access_log=False,  # the API writes its own JSON access log (logger api.access)
            timeout_graceful_shutdown=10,
        )
