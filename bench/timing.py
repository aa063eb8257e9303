"""Percentiles, peak-memory and machine facts for the benchmarks.

Everything here is standard library and numpy only, so a benchmark can time an
engine without importing another one.  Peak memory is the kernel's own high-water
mark of the resident set (``VmHWM`` in ``/proc/self/status``); on Linux it can
be reset (``/proc/self/clear_refs``), so one process can measure the peak of
one phase.  Where the reset is refused, the peak covers the whole process and
:func:`reset_peak_rss` says so by returning False.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from hsearch.index.atomic import atomic_write_text

RESULTS = Path(__file__).resolve().parent / "results"


# --------------------------------------------------------------------------
# time


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1): the smallest value with ``share`` of all at or below it.

    numpy's ``inverted_cdf`` method; a measured value, never an interpolation.
    The one percentile of the benchmarks (bench.load uses it too).  0.0 for no values.
    """
    if not len(values):
        return 0.0
    return float(np.percentile(np.asarray(values, dtype=np.float64), share * 100, method="inverted_cdf"))


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/mean in milliseconds and queries per second of a list of per-call times."""
    ms = [s * 1000 for s in seconds]
    total = sum(seconds)
    return {
        "n": len(ms),
        "p50_ms": percentile(ms, 0.50),
        "p95_ms": percentile(ms, 0.95),
        "p99_ms": percentile(ms, 0.99),
        "mean_ms": total * 1000 / len(ms) if ms else 0.0,
        "qps": len(ms) / total if total else 0.0,
    }


# --------------------------------------------------------------------------
# memory


def _status_kb(key: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def rss_mb() -> float:
    """Current resident set size in MiB (0 where /proc is missing)."""
    kb = _status_kb("VmRSS")
    return (kb or 0) / 1024


def peak_rss_mb() -> float:
    """Peak resident set size in MiB since the process started or since :func:`reset_peak_rss`."""
    kb = _status_kb("VmHWM")
    if kb is None:  # not Linux: the process-lifetime peak
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
    return kb / 1024


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark to the current RSS; False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def du_mb(path: Path) -> float:
    """Size on disk (apparent bytes of every file below ``path``) in MiB."""
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


# --------------------------------------------------------------------------
# the machine


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def nproc() -> int:
    """CPUs this process may run on (what ``nproc`` prints)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def machine() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": nproc(),
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "load_avg": loadavg(),
    }


def machine_line(info: dict[str, Any]) -> str:
    load = ", ".join(f"{x:.2f}" for x in info.get("load_avg", []))
    return (f"{info['date']}; {info['cpus']} CPUs ({info['cpu_model']}); Python {info['python']}; "
            f"load average (1, 5, 15 min) {load}")


def versions(*names: str) -> dict[str, str]:
    """Installed versions of these distributions (missing ones are left out)."""
    from importlib import metadata

    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


# --------------------------------------------------------------------------
# results


def write_results(name: str, payload: dict[str, Any], markdown: str, out_dir: Path = RESULTS) -> tuple[Path, Path]:
    """Write ``name.json`` and ``name.md`` under ``out_dir`` (atomically, by rename)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = (out_dir / f"{name}.json", out_dir / f"{name}.md")
    for path, text in zip(paths, (json.dumps(payload, indent=1, ensure_ascii=False) + "\n", markdown)):
        atomic_write_text(path, text)
    return paths


def md_table(header: Sequence[str], rows: Sequence[Sequence[object]], align: str | None = None) -> list[str]:
    """A Markdown table; ``align`` is one letter per column (l or r), default: first left, rest right."""
    align = align or "l" + "r" * (len(header) - 1)
    marks = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(marks) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines
