"""A fast-scan segment's 8-bit rows: its shortlist re-ranked without paging in the float rows, the same hits.

A million articles' fast-scan shortlists, re-ranked against the float rows, kept 5.4 GB of them resident in a warm
process.  Each segment now carries its rows scalar-quantized to 8 bits (``rows8.bin``, a quarter of the bytes);
a shortlist is ranked by them, and only the rows that could still decide the top ``k`` (a band as wide as twice
the quantization's error bound) are read exactly, by position.  These tests pin what a user relies on: the hits
and scores are the float re-rank's; the rows are derived data (written with a segment, added to an older one by
the next commit, checked by ``verify``, rewritten by ``verify --repair``), and without them a segment searches
as before.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from hsearch.index import layout, rerank_rows, segment_policy, vector_segments, vectors
from hsearch.index import manifest as manifest_io
from hsearch.index.atomic import atomic_open, temporary_glob
from hsearch.index.vector_segments import open_store
from hsearch.search.engine import SearchEngine, SearchSettings

from .test_fast_scan import stage_segment, topical_passages, unit
from .test_lifecycle import RECORDS, assert_ok, cli, hash_encoder, write_jsonl  # noqa: F401


def queries_near(rows: np.ndarray, seed: int = 9) -> np.ndarray:
    picked = rows[::97]
    return unit(picked + 0.1 * np.random.default_rng(seed).normal(size=picked.shape))


def assert_same_hits(got: list[vectors.VectorHit], want: list[vectors.VectorHit]) -> None:
    """The same articles in the same order, each score the same cosine (to float32's rounding of a dot product)."""
    assert [h.article_id for h in got] == [h.article_id for h in want]
    np.testing.assert_allclose([h.score for h in got], [h.score for h in want], rtol=0, atol=1e-6)


def test_a_cosine_from_the_8_bit_rows_lies_within_its_bound_of_the_exact_one(tmp_path: Path) -> None:
    rows = topical_passages(1500)
    path = rerank_rows.write(tmp_path, rows)
    assert path.name == "rows8.bin" and path.stat().st_size < rows.nbytes / 3  # a quarter, and a small header
    eight = rerank_rows.open_rows(tmp_path, len(rows), rows.shape[1], checksum=True)
    compiled = rerank_rows.open_rows(tmp_path, len(rows), rows.shape[1], compiled=True)
    every = np.arange(len(rows))
    for query in queries_near(rows):
        approximate = eight.scores(every, query, 256)
        error = np.abs(approximate - rows @ query)
        bound = eight.error_bound(query)
        assert error.max() <= bound + 1e-6
        assert 0 < bound < 0.02  # 255 levels over each dimension's own range
        # numba's kernel (engines that answer many queries) sums in another order: the same to float32 rounding
        np.testing.assert_allclose(compiled.scores(every, query, 256), approximate, rtol=0, atol=1e-5)


def test_a_rows_file_that_does_not_fit_its_generation_says_why(tmp_path: Path) -> None:
    rows = topical_passages(300)
    with pytest.raises(rerank_rows.RowsError, match="missing"):
        rerank_rows.open_rows(tmp_path, len(rows), rows.shape[1])
    path = rerank_rows.write(tmp_path, rows)
    with pytest.raises(rerank_rows.RowsError, match=f"holds {len(rows)} rows of {rows.shape[1]} dims"):
        rerank_rows.open_rows(tmp_path, len(rows) + 3, rows.shape[1])
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))
    rerank_rows.open_rows(tmp_path, len(rows), rows.shape[1])  # opening maps it; only a checksum pass finds damage
    with pytest.raises(rerank_rows.RowsError, match="checksum"):
        rerank_rows.open_rows(tmp_path, len(rows), rows.shape[1], checksum=True)
    path.write_bytes(bytes(data[:-100]))
    with pytest.raises(rerank_rows.RowsError, match="bytes"):
        rerank_rows.open_rows(tmp_path, len(rows), rows.shape[1])


def test_a_fast_scan_shortlist_is_re_ranked_by_its_8_bit_rows_with_the_hits_and_scores_of_the_float_rows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = topical_passages(2500)
    built, _ = stage_segment(tmp_path / "fast", rows, "pq4")
    folder = layout.vector_segment_dir(tmp_path / "fast", built.segments[0].name)
    assert (folder / rerank_rows.NAME).is_file()  # written with the segment
    store = open_store(tmp_path / "fast", built)
    segment = store.stores[0]
    assert segment._rows8 is not None
    queries = queries_near(rows)
    want = {}
    saved = segment._rows8
    segment._rows8 = None  # the float re-rank, as a segment without rows searches
    for i, query in enumerate(queries):
        want[i] = store.search(query, 10), store.search(query, 40)
    segment._rows8 = saved
    read: list[int] = []
    original = rerank_rows.FloatRows.read
    monkeypatch.setattr(rerank_rows.FloatRows, "read", lambda self, r: read.append(len(r)) or original(self, r))
    monkeypatch.setattr(type(segment), "_exact_scores", lambda *a: pytest.fail("the float rows' mapping was read"))
    for i, query in enumerate(queries):
        for got, expected in zip((store.search(query, 10), store.search(query, 40)), want[i]):
            assert_same_hits(got, expected)
    assert read and max(read) < segment.shortlist / 2  # a band of the shortlist read exactly, not all of it


def test_a_segment_an_older_build_wrote_searches_the_same_and_gets_its_rows_from_verify_repair(
        tmp_path: Path) -> None:
    rows = topical_passages(2000)
    built, _ = stage_segment(tmp_path / "ix", rows, "pq4")
    folder = layout.vector_segment_dir(tmp_path / "ix", built.segments[0].name)
    queries = queries_near(rows)
    with_rows = open_store(tmp_path / "ix", built)
    want = [with_rows.search(q, 10) for q in queries]
    (folder / rerank_rows.NAME).unlink()  # as an older hsearch left it
    without = open_store(tmp_path / "ix", built)
    assert without.stores[0]._rows8 is None
    for query, expected in zip(queries, want):  # exact cosines from the float rows, the same hits
        assert_same_hits(without.search(query, 10), expected)
    problems = vector_segments.rows_problems(tmp_path / "ix", built)
    assert len(problems) == 1 and "missing" in problems[0] and folder.name in problems[0]
    assert vector_segments.write_missing_rows(tmp_path / "ix", built) == [folder.name]
    assert vector_segments.rows_problems(tmp_path / "ix", built) == []
    assert vector_segments.write_missing_rows(tmp_path / "ix", built) == []  # nothing left to write
    assert open_store(tmp_path / "ix", built).stores[0]._rows8 is not None


def pq4_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """All but the last record indexed through the CLI into one small ``pq4`` segment (limits lowered to fit)."""
    monkeypatch.setattr(segment_policy, "IVF_MIN_TRAIN", 64)
    monkeypatch.setattr(vectors, "IVF_MIN_TRAIN", 64)
    monkeypatch.setattr(vectors, "FAST_SCAN_SHORTLIST", 32)
    index = tmp_path / "ix"
    assert_ok(cli("index", "--index", index, "-q", "--model", "hash-test", "--ann", "pq4",
                  write_jsonl(tmp_path / "news.jsonl", RECORDS[:-1])))
    return index


@pytest.mark.usefixtures("hash_encoder")
def test_the_next_commit_gives_an_older_segment_its_rows_and_verify_repair_mends_damaged_ones(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = pq4_index(tmp_path, monkeypatch)
    first = manifest_io.load(index).segments[0]
    rows_file = layout.vector_segment_dir(index, first.name) / rerank_rows.NAME
    semantic = ("query", "मौसम विभाग", "--index", index, "--mode", "semantic", "--json")
    before = assert_ok(cli(*semantic)).output
    rows_file.unlink()
    assert "missing" in cli("verify", "--index", index).output
    assert assert_ok(cli(*semantic)).output == before  # searched from its float rows meanwhile
    assert_ok(cli("index", "--index", index, "-q", write_jsonl(tmp_path / "one.jsonl", RECORDS[-1:])))
    assert rows_file.is_file()  # the commit wrote what the older segment lacked
    assert "both sides agree" in assert_ok(cli("verify", "--index", index)).output
    data = bytearray(rows_file.read_bytes())
    data[-1] ^= 0xFF
    rows_file.write_bytes(bytes(data))
    damaged = cli("verify", "--index", index)
    assert damaged.exit_code != 0 and "checksum" in damaged.output
    assert_ok(cli("verify", "--index", index, "--repair"))
    assert "both sides agree" in assert_ok(cli("verify", "--index", index)).output


def test_a_filter_whose_articles_miss_the_first_shortlist_is_searched_deeper_without_failing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A broad filter whose articles are all far from the query: the first shortlist holds none of them."""
    rows = topical_passages(2000)
    built, _ = stage_segment(tmp_path / "fast", rows, "pq4")
    store = open_store(tmp_path / "fast", built)
    segment = store.stores[0]
    assert segment._rows8 is not None
    monkeypatch.setattr(vectors, "FILTERED_EXACT_SHARE", 0)  # never the exact path of narrow filters
    query = queries_near(rows)[0]
    per_article = (rows @ query).reshape(-1, 3).max(axis=1)
    farthest = {f"a{i:05d}" for i in np.argsort(per_article)[:300].tolist()}
    assert not farthest & {str(segment._ids[i]) for i in np.searchsorted(
        segment._starts, segment._shortlist(query, segment._depth(10, vectors.Allowed(farthest)))[0],
        side="right") - 1}
    want = [h for h in open_store(tmp_path / "fast", built).search(query, 2000) if h.article_id in farthest]
    assert_same_hits(store.search(query, 10, farthest), want[:10])


@pytest.mark.usefixtures("hash_encoder")
def test_rows_a_killed_writer_left_half_written_cost_nothing_and_a_running_engine_sees_the_rewritten_ones(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = pq4_index(tmp_path, monkeypatch)
    folder = layout.vector_segment_dir(index, manifest_io.load(index).segments[0].name)
    semantic = ("query", "चुनाव", "--index", index, "--mode", "semantic", "--json")
    before = assert_ok(cli(*semantic)).output
    (folder / rerank_rows.NAME).unlink()
    vectors_of = np.load(folder / "vectors.npy", mmap_mode="r")
    with pytest.raises(KeyboardInterrupt):  # what kill -9 leaves: the temporary, never renamed
        with atomic_open(folder / rerank_rows.NAME, "wb") as handle:
            handle.write(b"half of the rows")
            (temporary,) = folder.glob(temporary_glob(rerank_rows.NAME))
            os.link(temporary, folder / f".{rerank_rows.NAME}.dead.tmp")
            raise KeyboardInterrupt
    assert len(vectors_of) == manifest_io.load(index).segments[0].passages  # the float rows are untouched
    assert assert_ok(cli(*semantic)).output == before  # searched from the float rows meanwhile
    assert "missing" in cli("verify", "--index", index).output
    engine = SearchEngine(index, SearchSettings(preload=True))  # a server's engine, open across the commit
    assert engine.snapshot().semantic.store.stores[0]._rows8 is None
    assert_ok(cli("index", "--index", index, "-q", write_jsonl(tmp_path / "one.jsonl", RECORDS[-1:])))
    assert not list(folder.glob(temporary_glob("*")))  # the next writer cleared the leftover under its lock
    assert (folder / rerank_rows.NAME).is_file()
    assert engine.snapshot().semantic.store.stores[0]._rows8 is not None  # it follows the commit
    engine.close()
    assert "both sides agree" in assert_ok(cli("verify", "--index", index)).output
