"""Benchmark `rag ingest --ray` against the serial ingest: chunks/s of a full ingest into an
empty index, serial (the encoder on all cores, and on one thread) and on a local Ray with
1 and 2 encoder actors (one CPU each), and whether each index equals the serial one.

  PYTHONPATH=. .venv/bin/python bench/ingest_ray.py --corpus seeds
  PYTHONPATH=. .venv/bin/python bench/ingest_ray.py --corpus generated --docs 300

The generated corpus is made of the seeds' paragraphs, drawn and ordered at random per
document (seeded), so its text is real Vietnamese and no two documents are equal. The
ingests run as the CLI's do (with a progress callback: the serial one then embeds step
by step, and the Ray one embeds the same steps). The model is loaded before the serial
timings start; Ray is started once before the Ray
timings (its start-up is printed apart), but each Ray ingest starts its own workers and
actors, which load the encoder: that cost is in its time.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from rag import Pipeline, Settings
from rag.documents import load_documents

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def generated_corpus(folder: Path, docs: int, seed: int = 15) -> Path:
    """``docs`` text files, each a title and 6-14 paragraphs drawn from the seeds."""
    paragraphs = [
        p.strip()
        for d in load_documents([SEEDS])
        for p in d.text.split("\n")
        if len(p.split()) >= 12
    ]
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(docs):
        body = rng.sample(paragraphs, rng.randint(6, min(14, len(paragraphs))))
        title = f"Tài liệu tổng hợp số {i + 1}: {' '.join(body[0].split()[:8])}"
        (folder / f"gen_{i:05d}.txt").write_text("\n\n".join([title, *body]), encoding="utf-8")
    return folder


def timed_ingest(settings: Settings, corpus: Path, *, ray: bool, pipeline: Pipeline | None = None):
    p = pipeline or Pipeline(settings)
    if not ray:
        p.backend  # the model is loaded before the clock starts  # noqa: B018
    started = time.perf_counter()
    report = p.ingest([corpus], ray=ray, progress=lambda total: lambda n: None)  # as the CLI
    return time.perf_counter() - started, report, p


def same_index(a: Pipeline, b: Pipeline) -> str:
    x, y = a.index().snapshot, b.index().snapshot
    same_chunks = [(c.chunk_id, c.start, c.end, c.text) for c in x.chunks] == [
        (c.chunk_id, c.start, c.end, c.text) for c in y.chunks
    ]
    if not same_chunks or x.vectors.shape != y.vectors.shape:
        return "NO (chunks differ)"
    diff = float(np.abs(np.asarray(x.vectors) - np.asarray(y.vectors)).max(initial=0.0))
    return f"yes (max |Δvector| {diff:.1e})" if diff <= 1e-6 else f"NO (max |Δvector| {diff:.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", choices=["seeds", "generated"], default="seeds")
    parser.add_argument("--docs", type=int, default=300, help="generated documents")
    parser.add_argument("--workers", default="1,2", help="Ray encoder actors to try")
    parser.add_argument("--backend", default="auto")
    args = parser.parse_args()
    import ray

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        corpus = SEEDS if args.corpus == "seeds" else generated_corpus(root / "docs", args.docs)
        base = Settings(embed_backend=args.backend, index_dir=root / "serial")
        print(f"corpus       {corpus.name}: {len(load_documents([corpus]))} documents")
        print(f"cpus         {os.cpu_count()}; load average {os.getloadavg()[0]:.1f} at start")

        seconds, report, serial = timed_ingest(base, corpus, ray=False)
        print(f"chunks       {report.chunks}")
        print(f"{'mode':<28} {'seconds':>8} {'chunks/s':>9}  same index as serial", flush=True)

        def row(name: str, seconds: float, same: str) -> None:
            print(f"{name:<28} {seconds:8.1f} {report.chunks / seconds:9.1f}  {same}", flush=True)

        row("serial", seconds, "reference")
        one = base.model_copy(update={"index_dir": root / "serial-1t", "embed_threads": 1})
        seconds, _, p = timed_ingest(one, corpus, ray=False)
        row("serial, 1 encoder thread", seconds, same_index(p, serial))

        # workers at the driver's priority, as `rag ingest --ray` starts them (Ray's default
        # is 15 nice levels below, which starves them on a shared machine)
        os.environ.setdefault("RAY_worker_niceness", "0")
        started = time.perf_counter()
        ray.init(
            address="local", num_cpus=os.cpu_count(), include_dashboard=False,
            log_to_driver=False, logging_level=logging.ERROR,
        )  # fmt: skip
        print(f"ray start    {time.perf_counter() - started:.1f} s (not in the times below)")
        for workers in [int(w) for w in args.workers.split(",")]:
            s = base.model_copy(
                update={"index_dir": root / f"ray-{workers}", "ray_workers": workers,
                        "ray_worker_cpus": 1}
            )  # fmt: skip
            seconds, _, p = timed_ingest(s, corpus, ray=True)
            row(f"ray, {workers} actor(s) x 1 cpu", seconds, same_index(p, serial))
        ray.shutdown()
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
