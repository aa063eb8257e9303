"""The memory of a search process with an index open and warm: what a server or batch run holds.

    python -m bench.engine_memory --size 1000000 --data ../shared/data [--index DIR] [--queries 300]

In a fresh Python process (nothing else loaded: ``bench.latency``'s harness
holds the corpus and the peers' indexes, so its growth figure is all it can
give), this opens ``SearchEngine`` on the cached bench index as the server
opens it (``preload``), answers every bench query in each mode, and reports
the resident set after opening, after the queries, and its peak, split into
anonymous memory (the process's own) and file-backed pages (mapped index files
in the shared page cache, which the kernel gives back under pressure).
Writes ``bench/results/<out>/engine_memory-<size>.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from . import corpus as bench_corpus
from .timing import RESULTS, machine, machine_line, md_table, write_results

MODES = ("bm25", "semantic", "hybrid")

_CHILD = r"""
import json, sys, time
from pathlib import Path

def status():
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
            fields[key] = int(value.split()[0]) / 1024
    return fields

def mapped_files(root):
    # resident MiB of each mapped file under the index folder (from /proc/self/smaps)
    resident, path = {}, None
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()
        if head and "-" in head[0] and len(head) >= 5 and ":" not in head[0]:
            path = head[5] if len(head) > 5 else None
        elif head and head[0] == "Rss:" and path and path.startswith(root):
            name = path[len(root):].lstrip("/")
            resident[name] = resident.get(name, 0) + int(head[1]) / 1024
    return {name: round(mib, 1) for name, mib in sorted(resident.items(), key=lambda kv: -kv[1]) if mib >= 1}

index_dir, texts, modes = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3].split(",")
start = status()
from hsearch.search.engine import SearchEngine, SearchSettings
from hsearch.search.request import SearchRequest
began = time.perf_counter()
engine = SearchEngine(Path(index_dir), SearchSettings(preload=True))
engine.snapshot()
opened = status()
open_s = time.perf_counter() - began
for mode in modes:
    for text in texts:
        engine.search(SearchRequest(text=text, mode=mode))
warm = status()
print(json.dumps({"start": start, "opened": opened, "warm": warm, "open_s": open_s,
                  "mapped": mapped_files(str(Path(index_dir).resolve()))}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bench_corpus.add_index_arguments(parser)
    parser.add_argument("--vectors", choices=("real", "reuse"), default="reuse")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--out", type=Path, default=RESULTS / "scale-issue23")
    args = parser.parse_args(argv)

    index_dir = bench_corpus.index_of(args, args.vectors)
    texts = [q.text for q in bench_corpus.load_queries(args.data, seed=args.seed)][:args.queries]
    started = machine()
    done = subprocess.run([sys.executable, "-c", _CHILD, str(index_dir), json.dumps(texts, ensure_ascii=False),
                           args.modes], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
        return 1
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    rows = []
    for moment in ("start", "opened", "warm"):
        f = found[moment]
        rows.append([moment, f"{f['VmRSS']:,.0f}", f"{f.get('RssAnon', 0):,.0f}", f"{f.get('RssFile', 0):,.0f}",
                     f"{f['VmHWM']:,.0f}"])
    command = "python -m bench.engine_memory " + " ".join(argv if argv is not None else sys.argv[1:])
    text = "\n".join([f"# A search process's memory (`{command}`)", "",
                      (f"{index_dir.name}; a fresh process opens the engine (preload) in {found['open_s']:.2f} s, "
                       f"then answers {len(texts)} queries in each of {args.modes}. MiB."), "",
                      *md_table(["moment", "RSS", "anonymous", "file-backed (mapped index)", "peak RSS"], rows),
                      "", "Resident pages of the mapped index files, warm (MiB; 1 MiB or more):", "",
                      *md_table(["file", "MiB"], [[name, f"{mib:,.0f}"] for name, mib in found["mapped"].items()]),
                      "", f"Machine: {machine_line(started)}", ""])
    print(text)
    write_results(f"engine_memory-{args.size}", {"machine": started, "index": str(index_dir), **found}, text,
                  args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
