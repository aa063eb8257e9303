"""``kill -9`` around the commit of the story clusters: the index opens, searches, and ``verify --repair`` heals it.

Reuses the crash harness of tests/test_lifecycle.py (a child writer that stops at a named
point of the commit, here the rename that publishes ``stories.npz`` or a delta beside it, and is then killed).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hsearch.index import health

from .test_lifecycle import (  # noqa: F401  (fixtures)
    BASE,
    BATCH,
    Child,
    check_after_crash,
    expected,
    hash_encoder,
    hash_index,
    hash_template,
    write_jsonl,
)

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("point", ["before-rename:stories.npz", "after-rename:stories.npz"])
def test_kill_9_around_the_story_clusters_of_an_index_run(point: str, hash_index: Path, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "batch.jsonl", BATCH)
    before, after = expected(BASE), expected(BASE) | expected(BATCH)
    child = Child(tmp_path, hash_index, "index", pause_at=point, HS_SOURCE=str(source))
    assert child.pause_then_kill().split()[-1] == point
    if point.startswith("before"):  # full text and vectors committed, the clusters still the old ones
        assert any("without a story" in p or "older text" in p for p in health.verify(hash_index).story_problems)
    assert check_after_crash(hash_index, before, after, kept=BASE[:1] + BASE[3:]) == after
    assert health.verify(hash_index).story_problems == []


def test_kill_9_before_the_story_clusters_of_a_delete(hash_index: Path, tmp_path: Path) -> None:
    gone = [BASE[0]["id"], BASE[6]["id"]]
    # a delete changes few records: the commit writes a delta beside the base
    child = Child(tmp_path, hash_index, "delete", pause_at="before-rename:stories-delta", HS_IDS=",".join(gone))
    child.pause_then_kill()
    assert any("not in the full text" in p for p in health.verify(hash_index).story_problems)
    kept = [r for r in BASE if r["id"] not in gone]
    assert check_after_crash(hash_index, expected(BASE), expected(kept), kept=kept) == expected(kept)


@pytest.mark.parametrize("point", ["before-rename:stories-delta", "after-rename:stories-delta"])
def test_kill_9_around_a_story_delta(point: str, hash_index: Path, tmp_path: Path) -> None:
    """One new article: the commit writes a delta beside the base; killed around its rename, nothing is lost."""
    from .test_lifecycle import NEW

    source = write_jsonl(tmp_path / "one.jsonl", NEW[:1])
    before, after = expected(BASE), expected(BASE) | expected(NEW[:1])
    child = Child(tmp_path, hash_index, "index", pause_at=point, HS_SOURCE=str(source))
    assert child.pause_then_kill().split()[-1] == point
    problems = health.verify(hash_index).story_problems
    assert bool(problems) == point.startswith("before")  # once renamed, the delta is the clusters' state
    assert check_after_crash(hash_index, before, after, kept=BASE) == after
    assert health.verify(hash_index).story_problems == []
