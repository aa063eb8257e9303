"""Load check of ``hsearch serve``: requests per second and latency, on loopback only.

Starts ``hsearch serve`` on 127.0.0.1 (a free port) over ``--index``, then
for each mode the index supports runs ``--clients`` concurrent clients, each
sending searches back to back (Hindi and English queries in turn) for its
share of ``--seconds``, while one probe asks ``/api/health`` every 100 ms to
show whether the event loop stays free while searches run.  Every loop is
bounded by time and by ``--max-requests``; the server is stopped at the end.

    python -m bench.load --index ~/.local/share/hsearch/index --clients 8 --seconds 30

Prints a table and writes ``bench/results/load.md``.  Exits 1 if any request
failed.  The clients run on the same machine as the server, so the figures
are a floor for the server alone.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

import httpx2

from .timing import cpu_model, percentile

HOST = "127.0.0.1"  # loopback only: this tool never sends traffic anywhere else
RESULTS = Path(__file__).resolve().parent / "results" / "load.md"
QUERIES = [
    "कुर्स्क",
    "किम जोंग-उन पुतिन",
    "चुनाव में सरकार की जीत",
    "भूकंप से नुकसान",
    "North Korea Russia support",
    "वैज्ञानिकों ने नई खोज की घोषणा की",
    "football world cup",
    "अदालत ने फ़ैसला सुनाया",
    "climate change agreement",
    "अंतरिक्ष स्टेशन",
    "बाढ़ और बारिश",
    "president election results",
]
MAX_SECONDS = 600
HEALTH_EVERY = 0.1


@dataclass
class Phase:
    """What one mode's run measured."""

    mode: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    health: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def stop(process: subprocess.Popen[str]) -> None:
    """Stop a server: SIGTERM (uvicorn shuts down gracefully), SIGKILL if it has not gone in 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def start_server(index_dir: Path, port: int, log: IO[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from hsearch.search.cli import main; main()", "serve",
         "--index", str(index_dir), "--host", HOST, "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, text=True,
    )


def wait_until_up(base: str, process: subprocess.Popen[str], log: IO[str],
                  timeout: float = 120.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise SystemExit(f"hsearch serve exited with {process.returncode}:\n{log.read()}")
        try:
            response = httpx2.get(f"{base}/api/health", timeout=2)
            if response.status_code == 200:
                return dict(response.json())
        except httpx2.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"hsearch serve did not answer within {timeout:.0f} s")


async def run_phase(base: str, mode: str, clients: int, seconds: float, k: int, max_requests: int) -> Phase:
    phase = Phase(mode)
    limits = httpx2.Limits(max_connections=clients + 1, max_keepalive_connections=clients + 1)
    async with httpx2.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        for query in QUERIES[:3]:  # warm the path for this mode; not measured
            await http.get("/api/search", params={"q": query, "mode": mode, "k": k})
        started = time.perf_counter()
        deadline = started + seconds
        sent = 0

        async def client(number: int) -> None:
            nonlocal sent
            turn = number
            while time.perf_counter() < deadline and sent < max_requests:
                sent += 1
                query = QUERIES[turn % len(QUERIES)]
                turn += 1
                began = time.perf_counter()
                try:
                    response = await http.get("/api/search", params={"q": query, "mode": mode, "k": k})
                except httpx2.HTTPError as exc:
                    phase.errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                if response.status_code != 200:
                    phase.errors.append(f"{response.status_code}: {response.text[:200]}")
                    continue
                phase.latencies.append(time.perf_counter() - began)

        async def probe() -> None:
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                try:
                    response = await http.get("/api/health")
                    if response.status_code == 200:
                        phase.health.append(time.perf_counter() - began)
                    else:
                        phase.errors.append(f"health {response.status_code}")
                except httpx2.HTTPError as exc:
                    phase.errors.append(f"health {type(exc).__name__}: {exc}")
                await asyncio.sleep(HEALTH_EVERY)

        await asyncio.gather(probe(), *(client(n) for n in range(clients)))
        phase.seconds = time.perf_counter() - started
    return phase


def table(phases: list[Phase]) -> list[str]:
    rows = [
        "| mode | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms | health p95 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for phase in phases:
        ms = [value * 1000 for value in phase.latencies]
        health = [value * 1000 for value in phase.health]
        rows.append(
            f"| {phase.mode} | {len(ms)} | {len(phase.errors)} | {phase.rate:.1f} | {percentile(ms, 0.5):.0f} | "
            f"{percentile(ms, 0.95):.0f} | {percentile(ms, 0.99):.0f} | {max(ms, default=0):.0f} | "
            f"{percentile(health, 0.95):.0f} |"
        )
    return rows


def report(args: argparse.Namespace, health: dict[str, object], phases: list[Phase], command: str) -> str:
    now = dt.datetime.now(dt.UTC)
    lines = [
        "# Load check: `hsearch serve` on loopback",
        "",
        f"- command: `{command}`",
        (f"- date: {now:%Y-%m-%d %H:%M} UTC; nproc: {os.cpu_count()}; CPU: {cpu_model()}; "
         f"python {platform.python_version()}"),
        (f"- index: {health.get('articles')} articles, {health.get('passages')} passages, "
         f"model {health.get('model') or 'none'}"),
        (f"- load: {args.clients} clients back to back per mode, {args.k} results per query, "
         f"{len(QUERIES)} Hindi and English queries in turn; a probe asks /api/health every "
         f"{HEALTH_EVERY * 1000:.0f} ms throughout (its p95 is the last column)"),
        (f"- machine: only {os.cpu_count()} cores, shared by the clients, the server and other engineers' "
         f"jobs (load average {args.load_before:.1f} just before the run), so treat the figures as a floor "
         "and compare runs only from the same machine"),
        "",
        *table(phases),
        "",
    ]
    failures = [error for phase in phases for error in phase.errors]
    if failures:
        lines += [f"{len(failures)} failed requests; first: `{failures[0]}`", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="index folder to serve")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--seconds", type=float, default=30.0, help="total measuring time, split across modes")
    parser.add_argument("--modes", default=None, help="comma-separated modes (default: all the index supports)")
    parser.add_argument("-k", type=int, default=10, help="results per query")
    parser.add_argument("--max-requests", type=int, default=100_000, help="stop a mode after this many searches")
    parser.add_argument("--out", type=Path, default=RESULTS, help="markdown report (default bench/results/load.md)")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 256:
        parser.error("--clients must be between 1 and 256")
    if not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds must be more than 0 and at most {MAX_SECONDS}")

    args.load_before = os.getloadavg()[0]
    port = free_port()
    base = f"http://{HOST}:{port}"
    with tempfile.TemporaryFile(mode="w+") as log:
        process = start_server(args.index.expanduser(), port, log)
        try:
            health = wait_until_up(base, process, log)
            available = [str(mode) for mode in cast(list[object], health.get("modes") or [])]
            modes = args.modes.split(",") if args.modes else available
            unknown = [mode for mode in modes if mode not in available]
            if unknown:
                raise SystemExit(f"this index cannot answer mode {', '.join(unknown)}; it answers {', '.join(available)}")
            share = args.seconds / len(modes)
            phases = []
            for mode in modes:
                print(f"{mode}: {args.clients} clients for {share:.0f} s …", file=sys.stderr)
                phases.append(asyncio.run(run_phase(base, mode, args.clients, share, args.k, args.max_requests)))
        finally:
            stop(process)

    command = "python -m bench.load " + " ".join(argv if argv is not None else sys.argv[1:])
    text = report(args, health, phases, command)
    print("\n".join(table(phases)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    errors = sum(len(phase.errors) for phase in phases)
    if errors:
        print(f"{errors} requests failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
