"""The quick benchmarks run end to end on a tiny corpus, so that they cannot rot.

Benchmarks are not tests: nothing here looks at how long anything took.  The
corpus is built from ``seeds/`` (no ``../shared/data`` needed) in a temporary
cache; peers run only where bm25s and tantivy are installed.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from bench import corpus as bench_corpus

pytestmark = pytest.mark.slow

SIZE = 12


@pytest.fixture
def bench_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("HSEARCH_BENCH_CACHE", str(cache))
    return cache


def _peers() -> str:
    names = []
    if importlib.util.find_spec("bm25s"):
        names += ["bm25s (hi)", "bm25s (default)"]
    if importlib.util.find_spec("tantivy"):
        names += ["tantivy (hi)"]
    return ",".join(names + ["faiss"])


def test_corpus_is_seeded_and_prefix_stable(bench_cache: Path) -> None:
    pools = bench_corpus.load_pools(None)
    small = [bench_corpus.make_record(pools, 7, i) for i in range(5)]
    assert small == [bench_corpus.make_record(pools, 7, i) for i in range(5)]
    assert small != [bench_corpus.make_record(pools, 8, i) for i in range(5)]
    path = bench_corpus.corpus_path(10, None, seed=7)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert rows[:5] == small and len(rows) == 10
    assert all(5 <= len(bench_corpus.sentences(r["body"])) for r in rows)


def test_quick_latency_runs(bench_cache: Path, tmp_path: Path) -> None:
    from bench import latency

    out = tmp_path / "results"
    # hybrid runs the semantic side too; few queries, because encoding one is slow on a loaded machine
    result = latency.main(["--quick", "--size", str(SIZE), "--queries", "4", "--cold", "1",
                           "--modes", "bm25,hybrid", "--peers", _peers(), "--out", str(out)])
    for mode in ("hsearch bm25", "hsearch hybrid", "hsearch vectors (flat)", "faiss IndexFlatIP"):
        assert result["latency"][mode]["n"] == 4
    assert result["index"]["vectors"] == "real" and result["index"]["articles"] == SIZE
    assert set(result["cold"]) >= {"bm25", "hybrid"}
    saved = json.loads((out / f"latency-{SIZE}-quick-seeds.json").read_text(encoding="utf-8"))
    assert saved["machine"]["cpus"] >= 1 and saved["machine"]["load_avg"]
    text = (out / f"latency-{SIZE}-quick-seeds.md").read_text(encoding="utf-8")
    assert "| hsearch hybrid |" in text and "seeds/" in text
    if "bm25s" in _peers():
        assert result["latency"]["bm25s (hi)"]["n"] == 4


def test_quick_indexing_runs(bench_cache: Path, tmp_path: Path) -> None:
    from bench import indexing

    out = tmp_path / "results"
    result = indexing.main(["--quick", "--size", str(SIZE), "--embed", "3", "--peers", "", "--out", str(out)])
    assert result is not None
    assert result["fulltext"]["articles"] == SIZE and result["embedding"]["articles"] == 3
    assert result["fulltext"]["peak_rss_mb"] > 0 and result["fulltext"]["disk_mb"] > 0
    assert (out / f"indexing-{SIZE}-quick-seeds.md").is_file()
