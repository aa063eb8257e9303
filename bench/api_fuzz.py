"""Fuzz ``hsearch serve`` with schemathesis against its own ``/api/openapi.json``, bounded in examples and time.

    python -m bench.api_fuzz [--index DIR] [--max-examples 100] [--seed 18] [--out bench/results/api_fuzz.md]

Without ``--index`` it builds the seed index (``seeds/``, default model) in a
temporary folder, so every mode is answered.  The server runs as a user runs
it, on a free loopback port; schemathesis runs every check it has (no 5xx,
responses that match the schema, documented status codes and content types,
schema-valid requests accepted, invalid ones refused).  The summary and the
exact command go to ``--out``.  Needs ``pip install schemathesis``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.load import free_port
from bench.timing import cpu_model, nproc


def wait_until_up(base: str, process: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"hsearch serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/api/health", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("hsearch serve did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, default=None, help="Index to serve (default: the seeds, built now).")
    parser.add_argument("--max-examples", type=int, default=100, help="Examples per operation and phase.")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--max-time", type=int, default=600, help="Seconds before the run is stopped.")
    parser.add_argument("--out", type=Path, default=Path("bench/results/api_fuzz.md"))
    args = parser.parse_args()
    schemathesis = shutil.which("schemathesis") or str(Path(sys.executable).with_name("schemathesis"))

    with tempfile.TemporaryDirectory() as scratch:
        index_dir = args.index
        if index_dir is None:
            from hsearch.index.writer import index_paths

            index_dir = Path(scratch) / "index"
            index_paths(index_dir, [Path("seeds")])
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([sys.executable, "-m", "hsearch", "serve", "--index", str(index_dir),
                                   "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_up(base, server)
            command = [schemathesis, "--no-color", "run", f"{base}/api/openapi.json", "--checks", "all",
                       "--max-examples", str(args.max_examples), "--seed", str(args.seed),
                       "--request-timeout", "30"]
            env = {**os.environ, "SCHEMATHESIS_HOOKS": "bench.api_fuzz_hooks", "PYTHONPATH": os.getcwd()}
            started = time.monotonic()
            run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=args.max_time)
            took = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(timeout=15)

    output = run.stdout + run.stderr
    start = output.rfind("\n", 0, output.find("SUMMARY")) + 1
    summary = output[start:] if "SUMMARY" in output else output[-4000:]
    summary = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", summary.strip())
    shown = " ".join(command).replace(schemathesis, "schemathesis").replace(base, "http://127.0.0.1:PORT")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    info = f"{cpu_model()}, {nproc()} CPUs, load average {load}"
    report = (
        "# schemathesis against hsearch serve\n\n"
        f"`python -m bench.api_fuzz --max-examples {args.max_examples} --seed {args.seed}` ran, on a seed index "
        f"served on loopback:\n\n    SCHEMATHESIS_HOOKS=bench.api_fuzz_hooks {shown}\n\n"
        f"Exit status {run.returncode} in {took:.0f} s. Machine: {info}.\n\n```\n{summary}\n```\n"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(report)
    sys.exit(run.returncode)


if __name__ == "__main__":
    main()
