"""Ingest on a Ray cluster (``rag ingest --ray``; Ray is the optional ``.[scale]`` extra).

Three Ray Data passes around the serial ingest's own steps:

1. files → documents: Ray tasks run ``rag.documents.load_file`` (reading and cleaning) on
   batches of files; this process checks them in file order as ``load_documents`` does
   (the first bad file, duplicate ids), so the errors are the serial ones;
2. documents to (re-)embed → chunks: Ray tasks chunk with the serial chunker
   (``rag.ingest.chunk_document``; each worker process builds it once);
3. chunks → vectors: an actor pool (``map_batches`` with ``ActorPoolStrategy``) whose
   actors each build the encoder once, from the settings and the provisioned model files
   like the serial path (``rag.encoder``), and embed the same ``EMBED_STEP`` groups of
   texts as the serial `rag ingest` (which embeds with a progress bar, step by step).

Between them ``rag.ingest.apply_changes`` diffs against the index (unchanged documents are
not sent to the cluster) and commits through the same index writer; the result is the
serial `rag ingest`'s: same chunks and offsets, the same vectors. (A serial ingest through
the library without a progress callback embeds all texts in one call; with the int8
encoder its vectors differ from these within the encoder's grouping noise, cosine ≥ 0.998.)
"""

from __future__ import annotations

import logging
import math
import os
import socket
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from embeddings import Embedder
from rag.chunking import Chunk, Chunker, ChunkerSettings
from rag.documents import Document, list_files, load_file, unique_documents
from rag.encoder import embedder_from_settings, encoder_id
from rag.errors import ClusterError, DocumentError, ModelError, RagError
from rag.index.manifest import IndexConfig
from rag.ingest import ProgressFactory, chunk_document
from rag.loaders import first_error_line
from rag.settings import Settings

if TYPE_CHECKING:
    from types import ModuleType

FILES_PER_TASK = 32
DOCS_PER_BATCH = 16
"""Upper bounds of a load or chunk task's files and documents; smaller when there are
few, so that every worker gets several batches."""
EMBED_STEP = 32
"""Texts per encoder call, taken in chunk order: the steps in which the serial `rag ingest`
embeds (the int8 encoder's progress step, ``OnnxEncoder.batch_size`` 4 × 8; the fp32
encoders' batches of 16 divide it). The int8 encoder's vectors depend on which texts share
a call (it quantises activations per batch: up to 0.011 per component between two
groupings), so embedding the same steps gives the CLI's serial vectors exactly."""


def embedding_steps(texts: Sequence[str]) -> list[Sequence[str]]:
    """``texts`` cut into the consecutive ``EMBED_STEP`` groups that are embedded together."""
    return [texts[i : i + EMBED_STEP] for i in range(0, len(texts), EMBED_STEP)]


def _import_ray() -> ModuleType:
    try:
        import ray
        import ray.data
    except ImportError:
        raise ClusterError(
            "Ray is not installed: pip install 'hoinghi-qa[scale]' (or 'ray[data]')"
        ) from None
    return ray


@dataclass
class RaySession:
    """A connection to a Ray cluster for one ingest (see ``start``)."""

    settings: Settings
    workers: int
    """Encoder actors (each reserves ``settings.ray_worker_cpus`` CPUs)."""

    @classmethod
    @contextmanager
    def start(cls, settings: Settings) -> Iterator[RaySession]:
        """Connect to ``settings.ray_address``, or start a local Ray (one CPU per core)
        when it is None, and shut it down afterwards. A Ray this process already started
        (``ray.init`` by the caller) is used as it is and left running."""
        ray = _import_ray()
        owned = not ray.is_initialized()
        if owned:
            _connect(ray, settings)
        _quiet_ray_data(ray)
        try:
            cpus = int(ray.cluster_resources().get("CPU", 1))
            workers = settings.ray_workers or max(1, cpus // settings.ray_worker_cpus)
            with _translated_errors(ray):
                yield cls(settings, workers)
        finally:
            if owned:
                ray.shutdown()

    def load_documents(self, sources: Sequence[str | Path]) -> list[Document]:
        """``rag.documents.load_documents`` with the files read and cleaned by Ray tasks."""
        ray = _import_ray()
        files = list_files(sources)
        items = [{"pos": i, "path": str(f)} for i, f in enumerate(files)]
        parallel = max(1, int(ray.cluster_resources().get("CPU", 1)))
        size = _batch_size(len(items), parallel, FILES_PER_TASK)
        ds = _rows(ray, items, size).map_batches(_load_files, batch_size=size)
        loaded = {int(row["pos"]): (row["docs"], row["error"]) for row in ds.take_all()}
        return unique_documents(_in_file_order(files, loaded))

    def chunk_embed_stage(self, config: IndexConfig, chunking: ChunkerSettings) -> RayChunkEmbed:
        return RayChunkEmbed(self.settings, config, chunking, self.workers)


def _connect(ray: ModuleType, settings: Settings) -> None:
    address = settings.ray_address
    quiet: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR}
    if address is None:
        cpus = max(os.cpu_count() or 1, (settings.ray_workers or 0) * settings.ray_worker_cpus)
        # Ray starts workers 15 nice levels below the driver; here they do all the work,
        # so they run at the ingest's own priority (RAY_worker_niceness overrides)
        os.environ.setdefault("RAY_worker_niceness", "0")
        ray.init(address="local", num_cpus=cpus, include_dashboard=False, **quiet)
        return
    import embeddings
    import rag

    # the cluster's workers run this checkout's code (its dependencies and the provisioned
    # model must be on the nodes: `pip install hoinghi-qa[scale]`, `rag model`)
    code = [str(Path(m.__file__).parent) for m in (rag, embeddings) if m.__file__]
    _check_reachable(address)
    try:
        ray.init(address=address, runtime_env={"py_modules": code}, **quiet)
    except (ConnectionError, TimeoutError, RuntimeError, ValueError) as exc:
        raise ClusterError(
            f"cannot reach the Ray cluster at {address!r}: {first_error_line(exc)}"
        ) from None


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """ClusterError at once when a ``host:port`` or ``ray://host:port`` address does not
    accept a connection (Ray itself retries for a long time); ``auto`` is left to Ray."""
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        if address.startswith("ray://"):
            raise ClusterError(f"Ray address {address!r} has no port (ray://host:10001)")
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise ClusterError(
            f"cannot reach the Ray cluster at {address!r}: {exc.strerror or exc}"
        ) from None


def _quiet_ray_data(ray: ModuleType) -> None:
    """No progress bars or per-dataset info lines on the terminal (the CLI has its own)."""
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False


@contextmanager
def _translated_errors(ray: ModuleType) -> Iterator[None]:
    """A failure on the cluster as the error it was: a RagError raised by a worker (a bad
    file, a model that does not load) is re-raised here; anything else is one ClusterError
    line with the root cause."""
    try:
        yield
    except ray.exceptions.RayError as exc:
        cause = _root_cause(exc)
        if isinstance(cause, RagError):
            raise cause from None
        raise ClusterError(f"the Ray ingest failed: {first_error_line(cause)}") from None


def _root_cause(exc: BaseException) -> BaseException:
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        nested = getattr(exc, "cause", None) or exc.__cause__
        if not isinstance(nested, BaseException):
            break
        exc = nested
    return exc


def _batch_size(items: int, parallel: int, most: int) -> int:
    """Rows per batch: at most ``most``, and about four batches per worker."""
    return max(1, min(most, math.ceil(items / (4 * parallel))))


def _rows(ray: ModuleType, items: list[dict[str, Any]], batch_size: int) -> Any:
    """A dataset of ``items`` in blocks of ``batch_size`` rows (one batch each, so that the
    batches can go to different workers)."""
    return ray.data.from_items(items, override_num_blocks=_blocks(items, batch_size))


def _blocks(items: Sequence[object], batch_size: int) -> int:
    return max(1, math.ceil(len(items) / batch_size))


def _objects(values: Sequence[object]) -> np.ndarray:
    """A 1-d object column (numpy would make lists of equal length a 2-d array)."""
    column = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        column[i] = value
    return column


def _load_files(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Ray task: read and clean each file; a bad file's DocumentError message is returned
    (raised in this process, in file order, like the serial ingest)."""
    docs: list[list[Document]] = []
    errors: list[str | None] = []
    for path in batch["path"]:
        try:
            docs.append(load_file(Path(str(path))))
            errors.append(None)
        except DocumentError as exc:
            docs.append([])
            errors.append(exc.message)
    return {"pos": batch["pos"], "docs": _objects(docs), "error": _objects(errors)}


def _in_file_order(
    files: list[Path], loaded: dict[int, tuple[Sequence[Document], str | None]]
) -> Iterator[tuple[Path, Sequence[Document]]]:
    for pos, file in enumerate(files):
        docs, error = loaded[pos]
        if error is not None:
            raise DocumentError(error)
        yield file, list(docs)


_CHUNKERS: dict[str, tuple[Chunker, str]] = {}


def _chunker(settings: Settings, chunking: ChunkerSettings) -> tuple[Chunker, str]:
    """This worker process's chunker and its encoder's id, built once: the chunker counts
    tokens with the encoder's tokenizer, so the encoder is built from the settings as in
    ``StepEncoder``."""
    key = f"{settings.model_dump_json()}|{chunking}"
    if key not in _CHUNKERS:
        embedder = embedder_from_settings(settings, threads=settings.ray_worker_cpus)
        _CHUNKERS.clear()  # one configuration per worker process at a time
        _CHUNKERS[key] = (Chunker(chunking, embedder.count_tokens), _encoder_of(embedder))
    return _CHUNKERS[key]


def _encoder_of(embedder: Embedder) -> str:
    return f"{embedder.model_id}|{encoder_id(embedder)}"


def _chunk_docs(
    batch: dict[str, np.ndarray], settings: Settings, chunking: ChunkerSettings
) -> dict[str, np.ndarray]:
    """Ray task: chunk each document (one output row per chunk, with its embedded text)."""
    chunker, encoder = _chunker(settings, chunking)
    positions: list[int] = []
    chunks: list[Chunk] = []
    texts: list[str] = []
    for pos, doc in zip(batch["pos"], batch["doc"], strict=True):
        doc_chunks, doc_texts = chunk_document(chunker, doc)
        positions += [int(pos)] * len(doc_chunks)
        chunks += doc_chunks
        texts += doc_texts
    return {
        "pos": np.array(positions, np.int64),
        "index": np.array([c.index for c in chunks], np.int64),
        "start": np.array([c.start for c in chunks], np.int64),
        "end": np.array([c.end for c in chunks], np.int64),
        "text": _objects(texts),
        "encoder": _objects([encoder] * len(chunks)),
    }


class StepEncoder:
    """Ray actor: builds the encoder once, then embeds one step of texts per call (the
    same ``EMBED_STEP`` groups as the serial ingest, so the same vectors)."""

    def __init__(self, settings: Settings) -> None:
        self.embedder = embedder_from_settings(settings, threads=settings.ray_worker_cpus)
        self.encoder = _encoder_of(self.embedder)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = [self.embedder.embed_passages(list(texts)) for texts in batch["texts"]]
        return {
            "step": batch["step"],
            "vectors": _objects([v.astype(np.float32) for v in vectors]),
            "encoder": _objects([self.encoder] * len(vectors)),
        }


@dataclass
class RayChunkEmbed:
    """The Ray stage of ``apply_changes`` (a ``rag.ingest.ChunkEmbedStage``): documents
    chunked by Ray tasks, the chunks' texts embedded by an actor pool."""

    settings: Settings
    config: IndexConfig
    chunking: ChunkerSettings
    workers: int

    def __call__(
        self, docs: Sequence[Document], progress: ProgressFactory | None
    ) -> tuple[list[Chunk], np.ndarray]:
        chunks, texts = self._chunk(docs)
        callback = progress(len(texts)) if progress else None
        steps = embedding_steps(texts)
        ray = _import_ray()
        items = [{"step": k, "texts": list(step)} for k, step in enumerate(steps)]
        with warnings.catch_warnings():  # max_restarts has no named parameter (yet)
            warnings.simplefilter("ignore", DeprecationWarning)
            ds = _rows(ray, items, 1).map_batches(
                StepEncoder,
                fn_constructor_kwargs={"settings": self.settings},
                # no more actors (encoder loads) than steps: one changed document, one
                compute=ray.data.ActorPoolStrategy(size=min(self.workers, len(items))),
                num_cpus=self.settings.ray_worker_cpus,
                batch_size=1,
                max_restarts=0,  # an encoder that died fails the ingest (nothing committed)
            )
        vectors: list[np.ndarray] = [np.zeros((0, self.config.dim), np.float32)] * len(steps)
        for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
            self._check(batch["encoder"])
            for step, block in zip(batch["step"].tolist(), batch["vectors"], strict=True):
                vectors[step] = block
                if callback:
                    callback(len(block))
        return chunks, np.vstack([np.zeros((0, self.config.dim), np.float32), *vectors])

    def _chunk(self, docs: Sequence[Document]) -> tuple[list[Chunk], list[str]]:
        """Chunks and their embedded texts in document and chunk order (the serial
        stage's order)."""
        ray = _import_ray()
        parallel = max(1, int(ray.cluster_resources().get("CPU", 1)))
        size = _batch_size(len(docs), parallel, DOCS_PER_BATCH)
        items = [{"pos": i, "doc": doc} for i, doc in enumerate(docs)]
        ds = _rows(ray, items, size).map_batches(
            _chunk_docs, fn_kwargs={"settings": self.settings, "chunking": self.chunking},
            batch_size=size,
        )  # fmt: skip
        rows: list[tuple[int, int, int, int, str]] = []
        for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
            self._check(batch["encoder"])
            rows += zip(batch["pos"].tolist(), batch["index"].tolist(), batch["start"].tolist(),
                        batch["end"].tolist(), batch["text"], strict=True)  # fmt: skip
        rows.sort(key=lambda row: row[:2])
        chunks = [
            Chunk(docs[pos].doc_id, index, docs[pos].text[start:end], start, end)
            for pos, index, start, end, _ in rows
        ]
        return chunks, [str(row[4]) for row in rows]

    def _check(self, encoders: np.ndarray) -> None:
        expected = f"{self.config.model_id}|{self.config.encoder}"
        for encoder in set(encoders):
            if encoder != expected:
                raise ModelError(
                    f"a Ray worker's encoder is {encoder!r}, this process's {expected!r}: "
                    "provision the same model on every node (`rag model`)"
                )
