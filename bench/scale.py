"""The embedded vector index at scale: FAISS flat (exact) against IVF and HNSW on synthetic chunks.

Vectors are drawn around cluster centres with noise and L2-normalised (dimension 384, as
multilingual-e5-small's). The centres are the vectors of a real index when
``--centers-from INDEX_DIR`` is given (e.g. the seeds ingested with the real model),
otherwise random unit vectors. Queries come from the same distribution, drawn apart.

For each structure it prints: build time; the memory of a fresh process that loads the
saved index the way the server does (memory-mapped) and answers the queries: RSS, split
into anonymous memory (private to the process) and file-backed pages (the mapped vectors,
shared by all workers through the page cache); single-query search latency p50/p99 with
one thread (one request); and recall@10 against exact search.

    .venv/bin/python bench/scale.py                      # 100k chunks
    .venv/bin/python bench/scale.py --n 20000 --queries 300 --ef-search 64,128
    .venv/bin/python bench/scale.py --centers-from .rag/index
    .venv/bin/python bench/scale.py --n 100000 --only milvus   # Milvus Lite ([scale] extra)

``--index-dir DIR [--build --n 1000000]`` measures a real index generation instead (built
first with ``--build``: ``bench/synthetic_corpus.py`` writes N synthetic chunks around
the seeds' real e5 embeddings through the project's index writer): file sizes, the
vector index in a fresh process per ``--search-values`` (nprobe or ef_search) with
recall@10 against exact search over all vectors, then the served path (a fresh
``Pipeline``: ``warm_up`` and hybrid ``search`` over the gold questions; RSS, p50/p99).

    PYTHONPATH=. nice -n 5 .venv/bin/python bench/scale.py --index-dir /tmp/m1 --build \
        --n 1000000 --threads 2

``--only milvus`` measures Milvus Lite instead (the engine embedded, exact search): insert
time, and search in a fresh process that opens the file (its RSS is the whole engine's).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from rag.index.vector_index import (
    FLAT,
    HNSW,
    IVF,
    MILVUS,
    VectorIndexSpec,
    VectorPolicy,
    build_vector_index,
)

DIM = 384


def synthetic(
    n: int, n_queries: int, seed: int, centers_from: Path | None
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if centers_from is not None:
        from rag.index.store import IndexStore

        centers = np.asarray(IndexStore(centers_from).load().vectors, np.float32)
    else:
        centers = rng.standard_normal((max(64, n // 500), DIM)).astype(np.float32)
        centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    dim = centers.shape[1]

    def draw(count: int) -> np.ndarray:
        picks = centers[rng.integers(0, len(centers), count)]
        noise = rng.standard_normal((count, dim)).astype(np.float32) * (0.6 / np.sqrt(dim))
        x = picks + noise
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    return np.ascontiguousarray(draw(n)), np.ascontiguousarray(draw(n_queries))


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _policy(spec: VectorIndexSpec, index_path: str) -> VectorPolicy:
    if spec.kind != MILVUS:
        return VectorPolicy()
    from rag.index.milvus_index import MilvusConnection

    pointer = json.loads(Path(index_path).read_text(encoding="utf-8"))
    return VectorPolicy(store="milvus", milvus=MilvusConnection(pointer["uri"]))


def child(spec_json: str, index_path: str, queries_path: str, truth_path: str) -> None:
    """Load like the server does, answer every query alone, print one JSON line."""
    import faiss

    from rag.index.vector_index import load_vector_index

    faiss.omp_set_num_threads(1)
    spec = VectorIndexSpec.from_json(json.loads(spec_json))
    policy = _policy(spec, index_path)
    queries = np.load(queries_path)
    truth = np.load(truth_path)
    base_anon, base_file = _status_kb("RssAnon"), _status_kb("RssFile")
    index = load_vector_index(spec, Path(index_path), queries.shape[1], None, policy)
    for q in queries[:20]:  # warm-up
        index.search(q[None, :], 10)
    times, found = [], []
    for q in queries:
        t0 = time.perf_counter()
        _, ids = index.search(q[None, :], 10)
        times.append(time.perf_counter() - t0)
        found.append(ids[0])
    recall = float(np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found, strict=True)]))
    times.sort()
    print(json.dumps({
        "p50_ms": 1000 * times[len(times) // 2],
        "p99_ms": 1000 * times[min(len(times) - 1, int(len(times) * 0.99))],
        "recall10": recall,
        "anon_mb": (_status_kb("RssAnon") - base_anon) / 1024,
        "file_mb": (_status_kb("RssFile") - base_file) / 1024,
        "rss_mb": _status_kb("VmRSS") / 1024,
    }))  # fmt: skip


def build_milvus(base_path: str, uri: str, pointer_path: str, time_path: str) -> None:
    """Insert the vectors into a Milvus Lite collection in a process of its own (one
    process at a time may open the file); write its pointer and the seconds it took."""
    from rag.index.milvus_index import MilvusConnection

    policy = VectorPolicy(store="milvus", milvus=MilvusConnection(uri))
    base = np.load(base_path)
    t0 = time.perf_counter()
    index = build_vector_index(VectorIndexSpec(MILVUS), base, policy)
    Path(time_path).write_text(str(time.perf_counter() - t0))
    index.save(Path(pointer_path))


def _pipeline(index_dir: Path) -> Any:
    from rag import Pipeline, Settings

    return Pipeline(Settings(index_dir=index_dir))


def _peak_rss_mb() -> float:
    return _status_kb("VmHWM") / 1024


def served(index_dir: str, questions_path: str) -> None:
    """A fresh process serving ``index_dir`` the way ``rag serve`` does (``warm_up``: the
    encoder, the index, the per-index caches), then ``Pipeline.search`` (hybrid) once per
    question; prints one JSON line."""
    t0 = time.perf_counter()
    pipeline = _pipeline(Path(index_dir))
    pipeline.warm_up()
    loaded_s = time.perf_counter() - t0
    after_load = {"rss_mb": _status_kb("VmRSS") / 1024, "anon_mb": _status_kb("RssAnon") / 1024}
    questions = json.loads(Path(questions_path).read_text(encoding="utf-8"))
    walls, search, first = [], [], {}
    for q in questions:
        t0 = time.perf_counter()
        response = pipeline.search(q["question"], mode="hybrid")
        wall = 1000 * (time.perf_counter() - t0)
        if q["lang"] not in first:  # the first of a kind may build lazy caches
            first[q["lang"]] = wall
            continue
        walls.append(wall)
        search.append(response.timings_ms.get("search", 0.0))
    walls.sort(), search.sort()

    def pct(xs: list[float], p: float) -> float:
        return xs[min(len(xs) - 1, int(len(xs) * p))]

    result = {
        "load_s": loaded_s, **{f"load_{k}": v for k, v in after_load.items()},
        "rss_mb": _status_kb("VmRSS") / 1024, "anon_mb": _status_kb("RssAnon") / 1024,
        "file_mb": _status_kb("RssFile") / 1024, "peak_mb": _peak_rss_mb(),
        "p50_ms": pct(walls, 0.5), "p99_ms": pct(walls, 0.99),
        "search_p50_ms": pct(search, 0.5), "search_p99_ms": pct(search, 0.99),
        "n": len(walls), "first_ms": first,
    }  # fmt: skip
    # what loading cost before the rows were read on demand: every chunk and document as
    # Python objects in this process (as IndexStore.load built them until then)
    snapshot = pipeline.index().snapshot
    anon, t0 = _status_kb("RssAnon"), time.perf_counter()
    eager = (list(snapshot.chunks), dict(snapshot.documents))
    eager_s, eager_mb = time.perf_counter() - t0, (_status_kb("RssAnon") - anon) / 1024
    del eager
    print(json.dumps({**result, "eager_s": eager_s, "eager_mb": eager_mb}))


def corpus(args: argparse.Namespace) -> None:
    """Build (``--build``) and measure a synthetic index generation in ``--index-dir``."""
    import faiss
    from synthetic_corpus import draw_vectors, load_seeds, write_index

    from rag.index.manifest import Manifest
    from rag.index.store import IndexStore

    faiss.omp_set_num_threads(args.threads)
    root: Path = args.index_dir
    pipeline = _pipeline(root)
    seeds = load_seeds(pipeline, args.seeds)
    print(f"{len(seeds.sentences)} seed sentences embedded ({pipeline.backend.model_id}), "
          f"vocabulary {len(seeds.vocab)} syllables")  # fmt: skip
    if args.build:
        took = write_index(pipeline, seeds, args.n, log=print)
        print("build s: " + ", ".join(f"{k} {v:.1f}" for k, v in took.items())
              + f"; peak RSS of the build {_peak_rss_mb():.0f} MB")  # fmt: skip
    gen = IndexStore(root).current()
    assert gen is not None, f"no index in {root}"
    path = root / gen
    manifest = Manifest.read(path / "manifest.json")
    sizes = {p.name: sum(f.stat().st_size for f in ([p] if p.is_file() else p.rglob("*"))
                         if f.is_file()) / 1e6 for p in path.iterdir()}  # fmt: skip
    print(
        f"{gen}: {manifest.vector.kind} {manifest.vector.params}; files MB: "
        + ", ".join(f"{k} {v:.0f}" for k, v in sorted(sizes.items()))
    )

    base = np.load(path / "vectors.npy", mmap_mode="r")
    rng = np.random.default_rng(args.seed + 1)
    queries = draw_vectors(seeds, rng.integers(0, len(seeds.sentences), args.queries), rng)
    _, truth = faiss.knn(queries, np.ascontiguousarray(base), 10, faiss.METRIC_INNER_PRODUCT)
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "queries.npy", queries)
        np.save(Path(tmp) / "truth.npy", truth)
        key = {"faiss-ivf-ip": "nprobe", "faiss-hnsw-ip": "ef_search"}.get(manifest.vector.kind)
        values = [int(x) for x in args.search_values.split(",")] if key else [0]
        print(f"{'vector index (fresh process)':34} {'RSS MB':>7} {'anon MB':>8} "
              f"{'mapped MB':>9} {'p50 ms':>7} {'p99 ms':>7} {'recall@10':>9}")  # fmt: skip
        for value in values:
            params = {**manifest.vector.params, **({key: value} if key else {})}
            spec = VectorIndexSpec(manifest.vector.kind, params)
            out = subprocess.run(
                [sys.executable, __file__, "--child", json.dumps(spec.__dict__),
                 str(path / "vectors.index"), str(Path(tmp) / "queries.npy"),
                 str(Path(tmp) / "truth.npy")],
                check=True, capture_output=True, text=True,
            ).stdout  # fmt: skip
            r = json.loads(out.strip().splitlines()[-1])
            label = f"{manifest.vector.kind} {key}={value}" if key else manifest.vector.kind
            print(f"{label:34} {r['rss_mb']:7.0f} {r['anon_mb']:8.1f} {r['file_mb']:9.1f} "
                  f"{r['p50_ms']:7.3f} {r['p99_ms']:7.3f} {r['recall10']:9.3f}")  # fmt: skip
        gold = Path(__file__).resolve().parent.parent / "eval" / "gold.jsonl"
        questions = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines()
                     if line.strip()]  # fmt: skip
        (Path(tmp) / "questions.json").write_text(json.dumps(questions), encoding="utf-8")
        out = subprocess.run(
            [sys.executable, __file__, "--served", str(root), str(Path(tmp) / "questions.json")],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        r = json.loads(out.strip().splitlines()[-1])
        print(
            f"served (Pipeline.warm_up + Pipeline.search, hybrid, {r['n']} gold questions "
            f"after the first of each language): load {r['load_s']:.1f} s, RSS after load "
            f"{r['load_rss_mb']:.0f} MB (anon {r['load_anon_mb']:.0f}); after the questions "
            f"RSS {r['rss_mb']:.0f} MB (anon {r['anon_mb']:.0f}, file {r['file_mb']:.0f}, "
            f"peak {r['peak_mb']:.0f}); wall p50 {r['p50_ms']:.1f} ms p99 {r['p99_ms']:.1f} "
            f"ms; retrieval without the encoder p50 {r['search_p50_ms']:.1f} ms p99 "
            f"{r['search_p99_ms']:.1f} ms; first question per language ms "
            + json.dumps({k: round(v) for k, v in r["first_ms"].items()})
        )
        print(f"rows as Python objects (how the store loaded them before): "
              f"+{r['eager_mb']:.0f} MB private memory, {r['eager_s']:.1f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--m", type=int, default=32)
    parser.add_argument("--ef-construction", type=int, default=200)
    parser.add_argument("--ef-search", default="128", help="comma-separated values to try")
    parser.add_argument("--threads", type=int, default=1, help="FAISS threads while building")
    parser.add_argument("--centers-from", type=Path, default=None)
    parser.add_argument("--only", choices=["faiss", "milvus"], default="faiss")
    parser.add_argument(
        "--index-dir",
        type=Path,
        default=None,
        help="measure the index generation in this folder (--build: write "
        "a synthetic one of --n chunks first) and the served path over it",
    )
    parser.add_argument("--build", action="store_true")
    parser.add_argument("--skip-hnsw", action="store_true", help="flat and IVF only")
    parser.add_argument("--seeds", default="seeds", help="documents whose sentences seed it")
    parser.add_argument(
        "--search-values",
        default="8,16,32,64",
        help="nprobe (IVF) or ef_search (HNSW) values to measure",
    )
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--served", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--build-milvus", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.build_milvus:
        build_milvus(*args.build_milvus)
        return
    if args.served:
        served(*args.served)
        return
    if args.index_dir is not None:
        corpus(args)
        return

    import faiss

    faiss.omp_set_num_threads(args.threads)
    t0 = time.perf_counter()
    base, queries = synthetic(args.n, args.queries, args.seed, args.centers_from)
    took = time.perf_counter() - t0
    print(f"{args.n} vectors x {base.shape[1]}, {args.queries} queries ({took:.1f} s to "
          f"generate); build threads: {args.threads}")  # fmt: skip

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        np.save(root / "queries.npy", queries)
        flat_spec = VectorIndexSpec(FLAT)
        t0 = time.perf_counter()
        flat = build_vector_index(flat_spec, base)
        built = {FLAT: time.perf_counter() - t0}
        _, truth = flat.search(queries, 10)
        np.save(root / "truth.npy", truth)
        flat.save(root / "flat.index")
        del flat

        hnsw_params = {"M": args.m, "ef_construction": args.ef_construction, "ef_search": 0}
        runs = []
        if args.only == "faiss":
            runs.append((flat_spec, root / "flat.index"))
            ivf_spec = VectorPolicy(flat_max=0, ivf_nprobe=0).choose(args.n)
            t0 = time.perf_counter()
            build_vector_index(ivf_spec, base).save(root / "ivf.index")
            built[IVF] = time.perf_counter() - t0
            for nprobe in (int(x) for x in args.search_values.split(",")):
                runs.append((VectorIndexSpec(IVF, {**ivf_spec.params, "nprobe": nprobe}),
                             root / "ivf.index"))  # fmt: skip
        if args.only == "faiss" and not args.skip_hnsw:
            t0 = time.perf_counter()
            hnsw = build_vector_index(VectorIndexSpec(HNSW, hnsw_params), base)
            built[HNSW] = time.perf_counter() - t0
            hnsw.save(root / "hnsw.index")
            del hnsw
            for ef in (int(x) for x in args.ef_search.split(",")):
                runs.append((VectorIndexSpec(HNSW, {**hnsw_params, "ef_search": ef}),
                             root / "hnsw.index"))  # fmt: skip
        if args.only == "milvus":
            runs.append((VectorIndexSpec(MILVUS), root / "milvus.pointer"))
            np.save(root / "base.npy", base)
            subprocess.run(
                [sys.executable, __file__, "--build-milvus", str(root / "base.npy"),
                 str(root / "milvus.db"), str(root / "milvus.pointer"), str(root / "built")],
                check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip
            built[MILVUS] = float((root / "built").read_text())

        header = (f"{'index':34} {'build s':>8} {'file MB':>8} {'RSS MB':>7} {'anon MB':>8} "
                  f"{'mapped MB':>9} {'p50 ms':>7} {'p99 ms':>7} {'recall@10':>9}")  # fmt: skip
        print(header)
        for spec, path in runs:
            out = subprocess.run(
                [sys.executable, __file__, "--child", json.dumps(spec.__dict__), str(path),
                 str(root / "queries.npy"), str(root / "truth.npy")],
                check=True, capture_output=True, text=True,
            ).stdout  # fmt: skip
            r = json.loads(out.strip().splitlines()[-1])
            assert r, out
            data = root / "milvus.db" if spec.kind == MILVUS else path
            files = [data] if data.is_file() else [p for p in data.rglob("*") if p.is_file()]
            size_mb = sum(p.stat().st_size for p in files) / 1e6
            label = spec.kind + "".join(f" {k}={v}" for k, v in spec.params.items()
                                        if k in ("M", "nlist", "ef_search", "nprobe"))  # fmt: skip
            print(f"{label:34} {built[spec.kind]:8.1f} {size_mb:8.1f} "
                  f"{r['rss_mb']:7.0f} {r['anon_mb']:8.1f} {r['file_mb']:9.1f} "
                  f"{r['p50_ms']:7.3f} {r['p99_ms']:7.3f} {r['recall10']:9.3f}")  # fmt: skip
    print(f"efConstruction={args.ef_construction}; latency: one query per call, one thread; "
          f"median of {args.queries} (p99 likewise)")  # fmt: skip


if __name__ == "__main__":
    main()
