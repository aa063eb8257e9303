"""bench/extraction.py runs end to end on a few articles and reports what it measured."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.mark.slow  # a benchmark smoke run: pages, a local site, a small index
def test_the_extraction_benchmark_measures_quality_speed_and_following(tmp_path: Path) -> None:
    from bench.extraction import main

    main(["--limit", "4", "--rounds", "1", "--polls", "2", "--out", str(tmp_path)])
    result = json.loads((tmp_path / "extraction-4.json").read_text(encoding="utf-8"))
    ours = result["quality"]["hsearch (trafilatura, favor_precision)"]
    baseline = result["quality"]["stdlib html_to_text (baseline)"]
    assert result["articles"] == 4 and ours["pages"] == 16
    assert ours["sentences_kept"] > 0.95 and ours["chrome_dropped"] > baseline["chrome_dropped"]
    assert result["speed"]["pages_per_second"] > 0
    assert result["following"]["first_poll_added"] == 4
    assert result["following"]["requests_per_unchanged_poll"] == 1
    assert "| hsearch (trafilatura" in (tmp_path / "extraction-4.md").read_text(encoding="utf-8")
