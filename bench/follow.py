"""How soon a running server answers with what a writer committed, and that a deleted article never comes back.

Builds an index of ``--articles`` bench articles (seeds/ when none is given),
starts ``hsearch serve`` on 127.0.0.1 (a free port), then:

1. **Visibility**: ``--rounds`` times, a writer in this process adds an
   article with a word no other article holds, then deletes it, then replaces
   another article's body; after each commit it polls ``/api/search`` (bm25
   and hybrid) and ``/api/articles/{id}`` every 5 ms and records the time from
   the writer's return to the server's first answer with the new state.
2. **Stress**: ``--clients`` concurrent clients query back to back (bounded
   by ``--seconds`` and ``--max-requests``) while the writer adds and deletes
   articles in a loop.  Every answer is checked: an article whose deletion the
   clients had already seen must never show again, and no request may fail.

    python -m bench.follow --rounds 10 --clients 4 --seconds 30

Writes ``bench/results/follow.md`` and ``.json``; exits 1 on any error or
resurrected article.  Loopback only; every loop is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from hsearch.index.articles import Article
from hsearch.index.settings import IndexSettings
from hsearch.index.writer import IndexWriter, delete_ids, index_paths

from .load import HOST, free_port, start_server, stop, wait_until_up
from .timing import machine, machine_line, md_table, summary_ms, write_results

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
POLL_S = 0.005
GIVE_UP_S = 30.0
QUERIES = ["कुर्स्क", "चुनाव", "वायरस", "भूकंप", "North Korea Russia", "अदालत", "बाढ़", "टीका"]


def marker(n: int) -> str:
    """A made-up Devanagari word no article holds, one per round (it must be found by BM25 alone)."""
    letters = "कखगघचछजझटठडढतथदधपफबभमयरलवसह"
    return "ज़ोर" + "".join(letters[(n // len(letters) ** i) % len(letters)] for i in range(3)) + "ीनाम"


def article(n: int, word: str | None = None) -> Article:
    """Article ``follow-n`` about ``word`` (default: its own made-up word)."""
    word = word or marker(n)
    return Article(id=f"follow-{n}", title=f"{word} की ख़बर", body=f"{word} के बारे में यह नई ख़बर है।")


def write(index_dir: Path, articles: list[Article]) -> float:
    with IndexWriter(index_dir, IndexSettings(), wait=True) as writer:
        writer.add(articles)
        writer.commit()
    return time.perf_counter()


def delete(index_dir: Path, ids: list[str]) -> float:
    delete_ids(index_dir, ids, wait=True)
    return time.perf_counter()


def until(check: Any) -> float:
    """Seconds until ``check()`` holds, polling every :data:`POLL_S` (raises past :data:`GIVE_UP_S`)."""
    started = time.perf_counter()
    while not check():
        if time.perf_counter() - started > GIVE_UP_S:
            raise SystemExit(f"the server did not show the commit within {GIVE_UP_S:.0f} s")
        time.sleep(POLL_S)
    return time.perf_counter()


def ids(http: httpx2.Client, text: str, mode: str) -> list[str]:
    response = http.get("/api/search", params={"q": text, "mode": mode, "k": 20, "min_score": 0})
    response.raise_for_status()
    return [hit["id"] for hit in response.json()["results"]]


def visibility(http: httpx2.Client, index_dir: Path, rounds: int) -> dict[str, list[float]]:
    seen: dict[str, list[float]] = {"add (bm25)": [], "add (hybrid)": [], "delete (bm25)": [],
                                     "delete (article page)": [], "replace (bm25)": []}
    for n in range(rounds):
        doc, word = f"follow-{n}", marker(n)
        done = write(index_dir, [article(n)])
        seen["add (bm25)"].append(until(lambda: doc in ids(http, word, "bm25")) - done)
        seen["add (hybrid)"].append(until(lambda: doc in ids(http, word, "hybrid")) - done)
        done = delete(index_dir, [doc])
        seen["delete (bm25)"].append(until(lambda: doc not in ids(http, word, "bm25")) - done)
        seen["delete (article page)"].append(
            until(lambda: http.get(f"/api/articles/{doc}").status_code == 404) - done)
        other = rounds + n
        write(index_dir, [article(other)])
        new_word = marker(10_000 + n)
        done = write(index_dir, [article(other, word=new_word)])  # the same id, about another word
        seen["replace (bm25)"].append(until(lambda: f"follow-{other}" in ids(http, new_word, "bm25")
                                            and f"follow-{other}" not in ids(http, marker(other), "bm25")) - done)
    return seen


@dataclass
class Stress:
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    resurrected: list[str] = field(default_factory=list)
    adds: int = 0
    deletes: int = 0
    deleted_seen: set[str] = field(default_factory=set)  # deletions a client has seen take effect


async def stress(base: str, index_dir: Path, clients: int, seconds: float, max_requests: int) -> Stress:
    result = Stress()
    stop_at = time.perf_counter() + seconds
    writer_done = threading.Event()

    def writer_loop() -> None:
        n = 100_000
        while time.perf_counter() < stop_at and not writer_done.is_set():
            write(index_dir, [article(n), article(n + 1)])
            result.adds += 2
            delete(index_dir, [f"follow-{n}"])
            result.deletes += 1
            n += 2

    async def watcher(http: httpx2.AsyncClient) -> None:
        """Marks a deletion as seen once a search for its word no longer shows it."""
        while time.perf_counter() < stop_at and result.requests < max_requests:
            for n in range(100_000, 100_000 + 2 * result.deletes, 2):
                doc = f"follow-{n}"
                if doc in result.deleted_seen:
                    continue
                response = await http.get("/api/search", params={"q": marker(n), "mode": "bm25", "min_score": 0})
                result.requests += 1
                if response.status_code != 200:
                    result.errors.append(f"{response.status_code} {response.text[:200]}")
                elif doc not in {hit["id"] for hit in response.json()["results"]}:
                    result.deleted_seen.add(doc)
            await asyncio.sleep(0.01)

    async def client(http: httpx2.AsyncClient, number: int) -> None:
        i = number
        while time.perf_counter() < stop_at and result.requests < max_requests:
            seen_before = set(result.deleted_seen)  # what was already gone when this request was sent
            text = QUERIES[i % len(QUERIES)] if i % 2 else marker(100_000 + 2 * (i % max(result.deletes, 1)))
            response = await http.get("/api/search", params={"q": text, "mode": ("bm25", "hybrid")[i % 2],
                                                             "min_score": 0})
            result.requests += 1
            i += clients
            if response.status_code != 200:
                result.errors.append(f"{response.status_code} {response.text[:200]}")
                continue
            back = seen_before & {hit["id"] for hit in response.json()["results"]}
            result.resurrected += sorted(back)

    thread = threading.Thread(target=writer_loop, daemon=True)
    thread.start()
    try:
        async with httpx2.AsyncClient(base_url=base, timeout=60) as http:
            await asyncio.gather(watcher(http), *(client(http, n) for n in range(clients)))
    finally:
        writer_done.set()
        thread.join(timeout=120)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=SEEDS, help="articles to build the index from")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--max-requests", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=None, help="results folder (default bench/results)")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="hsearch-follow-"))
    index_dir = folder / "index"
    try:
        index_paths(index_dir, [args.source], IndexSettings())
        port = free_port()
        base = f"http://{HOST}:{port}"
        with (folder / "serve.log").open("w+") as log:
            process = start_server(index_dir, port, log)
            try:
                wait_until_up(base, process, log)
                with httpx2.Client(base_url=base, timeout=60) as http:
                    for text in QUERIES:  # warm both engines of the pool
                        ids(http, text, "hybrid")
                    seen = visibility(http, index_dir, args.rounds)
                load = asyncio.run(stress(base, index_dir, args.clients, args.seconds, args.max_requests))
            finally:
                stop(process)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    info = machine()
    shown = ("p50_ms", "p95_ms", "max_ms")
    rows = [[what, len(times), *(f"{summary_ms(times)[k]:.1f}" if k in summary_ms(times) else f"{max(times) * 1000:.1f}"
                                 for k in shown)] for what, times in seen.items()]
    stats_header = list(shown)
    lines = [
        "# Readers follow writers: a running server and the writer's commits", "",
        f"`python -m bench.follow --rounds {args.rounds} --clients {args.clients} --seconds {args.seconds:g}` "
        f"on {machine_line(info)}.", "",
        "Time from the writer's return (its commit) to the server's first answer with the new state, ms "
        f"(polled every {POLL_S * 1000:.0f} ms, so figures below that are the poll's resolution):", "",
        *md_table(["change", "rounds", *stats_header], rows), "",
        f"Stress: {args.clients} clients querying for {args.seconds:g} s while the writer added {load.adds} and "
        f"deleted {load.deletes} articles: {load.requests} requests, {len(load.errors)} errors, "
        f"{len(load.resurrected)} results showing an article after its deletion was seen "
        f"({len(load.deleted_seen)} deletions seen).", "",
    ]
    payload = {"machine": info, "visibility_s": seen, "stress": {
        "requests": load.requests, "errors": load.errors[:20], "resurrected": load.resurrected[:20],
        "adds": load.adds, "deletes": load.deletes, "deletions_seen": len(load.deleted_seen)}}
    write_results("follow", payload, "\n".join(lines), **({"out_dir": args.out} if args.out else {}))
    print("\n".join(lines))
    return 1 if load.errors or load.resurrected else 0


if __name__ == "__main__":
    raise SystemExit(main())
