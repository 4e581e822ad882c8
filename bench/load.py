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


def start_server(port: int, workers: int, log_path: Path) -> subprocess.Popen[bytes]:
    cmd = [*rag_command(), "serve", "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--log-level", "warning"]  # fmt: skip
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
    base_url: str, timeout: float, proc: subprocess.Popen[bytes] | None, workers: int
) -> dict[str, object]:
    """Poll /ready over fresh connections until every worker is likely ready."""
    deadline = time.monotonic() + timeout
    streak, needed = 0, max(3, 4 * workers)
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
        r = await client.post("/ask", json=payload)
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
            f"{r.clients:>7} {r.ok:>8} {r.rps:>7.2f} {r.percentile(50):>8.0f} "
            f"{r.percentile(95):>8.0f} {r.percentile(99):>8.0f} {sum(r.errors.values()):>6}"
        )
    for r in results:
        if r.errors:
            print(f"  errors at {r.clients} clients: {dict(r.errors)}")


# -------------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", default="1,8,32", help="Concurrency levels (default 1,8,32).")
    p.add_argument("--duration", type=float, default=20.0, help="Seconds per level.")
    p.add_argument("--workers", type=int, default=1, help="uvicorn workers for rag serve.")
    p.add_argument("--gold", type=Path, default=ROOT / "eval" / "gold.jsonl")
    p.add_argument("--questions", type=int, default=None, help="Use the first N questions.")
    p.add_argument("--top-k", type=int, default=5)
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
        args.warm_up_passes = 2 * args.workers
    if args.url and urlsplit(args.url).hostname not in LOOPBACK:
        p.error("--url must be a loopback address (127.0.0.1, ::1 or localhost)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    questions = load_questions(args.gold, args.questions)
    proc = None
    log_path = Path(tempfile.mkstemp(prefix="rag-serve-", suffix=".log")[1])
    if args.url:
        base_url = args.url.rstrip("/")
    else:
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        print(f"starting rag serve on {base_url} with {args.workers} worker(s); log: {log_path}")
        proc = start_server(port, args.workers, log_path)
    try:
        t0 = time.monotonic()
        ready = wait_ready(base_url, args.startup_timeout, proc, args.workers)
        print(f"ready after {time.monotonic() - t0:.1f}s: {json.dumps(ready, ensure_ascii=False)}")
        if args.warm_up_passes:
            errors = asyncio.run(warm_up(base_url, questions, args.warm_up_passes, 4, args.timeout))
            print(f"warm-up: {args.warm_up_passes} x {len(questions)} questions, {errors} errors")
        results = []
        for clients in args.levels:
            result = asyncio.run(run_level(base_url, questions, clients, args.duration, args))
            results.append(result)
            print(f"  {clients} clients: {result.ok} ok in {result.seconds:.1f}s", flush=True)
    finally:
        if proc is not None:
            stop_server(proc)
    load = os.getloadavg()
    header = (
        f"\nPOST /ask, {len(questions)} gold questions, {args.duration:.0f}s per level, "
        f"workers={args.workers if proc else '?'}, top_k={args.top_k}, mode={args.mode}, "
        f"cpus={os.cpu_count()}, loadavg(1m)={load[0]:.1f}"
    )
    print_table(results, header)
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
