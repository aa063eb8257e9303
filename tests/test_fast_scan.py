"""Fast-scan PQ segments: 4-bit codes scanned by FAISS's fast scan, the shortlist re-ranked with exact cosines.

``auto`` gives a segment past the exact limit ``pq4`` codes (every code scanned), in
:func:`~hsearch.index.segment_policy.segment_ann` alone; IVF lists of them (``ivfpq4``) and the older kinds
are there when asked for. These tests pin what a user relies on: the scores are exact cosines and the top hits
those of exact search wherever the shortlist holds them; the codes are saved with the segment, rebuilt by a
merge and checked by ``verify``; and an index whose segments were given 8-bit codes (``sq8``, ``auto`` before
fast scan) opens, searches and is carried forward by the next writes.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import faiss
import numpy as np
import pytest

from hsearch.index import layout, segment_policy, vector_segments, vectors
from hsearch.index import manifest as manifest_io
from hsearch.index.manifest import Manifest, ModelSpec
from hsearch.index.segment_policy import IVF_MIN_TRAIN, MergePolicy, segment_ann
from hsearch.index.settings import ANN_KINDS, IndexSettings
from hsearch.index.vector_segments import SegmentWriter, open_store, search_threads
from hsearch.index.vectors import FAST_SCAN_MEASURED, FAST_SCAN_SHORTLIST, VectorStore, shortlist_of

from .test_lifecycle import RECORDS, assert_consistent, assert_ok, cli, hash_encoder, write_jsonl  # noqa: F401

DIM = 32


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def topical_passages(articles: int, per_article: int = 3, seed: int = 5) -> np.ndarray:
    """Deterministic passages grouped by topic, as news clusters: each article's passages near one of 64 topics."""
    rng = np.random.default_rng(seed)
    topics = unit(rng.normal(size=(64, DIM)))
    owner_topic = rng.integers(64, size=articles)
    rows = topics[np.repeat(owner_topic, per_article)] + 0.1 * rng.normal(size=(articles * per_article, DIM))
    return unit(rows)


def stage_segment(folder: Path, rows: np.ndarray, ann: str, per_article: int = 3,
                  prefix: str = "a") -> tuple[Manifest, SegmentWriter]:
    built = Manifest.new(ModelSpec(kind="test", name="test", dim=DIM))
    writer = SegmentWriter(folder, built, DIM, ann=ann, exact_limit=0, policy=MergePolicy(enabled=False))
    for start in range(0, len(rows), per_article):
        writer.add(f"{prefix}{start // per_article:05d}", rows[start:start + per_article], "d")
    refs = writer.stage(1)
    return manifest_io.Manifest(**{**built.__dict__, "segments": refs, "vector_generation": 1}), writer


# --------------------------------------------------------------------------
# The policy
# --------------------------------------------------------------------------
def test_auto_gives_every_segment_past_the_exact_limit_fast_scan_codes() -> None:
    limit = IndexSettings().exact_limit
    assert segment_ann("auto", IVF_MIN_TRAIN - 1, 10**8, limit) == "flat"  # too small to learn codes from
    assert segment_ann("auto", 150_000, limit, limit) == "flat"  # the archive is still under the exact limit
    # bench/results/ann_fast_scan.md, real vectors: pq4 re-ranked finds what sq8 finds at 5.6k, 11k and 37k
    # passages (bigger segments: its shortlist grows, below), and IVF lists of the codes lose recall there
    for passages in (IVF_MIN_TRAIN, 5_628, 11_185, 37_170, 372_066, 500_000, 3_700_000):
        assert segment_ann("auto", passages, limit + 1, limit) == "pq4"
    for kind in ("pq4", "ivfpq4", "sq8", "ivf", "hnsw"):  # explicit kinds are kept, and --ann offers each
        assert segment_ann(kind, 500_000, 10**8, limit) == kind and kind in ANN_KINDS


def test_the_fast_scan_shortlist_grows_with_the_square_root_of_the_segment() -> None:
    assert shortlist_of("pq4", 5_628) == shortlist_of("pq4", FAST_SCAN_MEASURED) == FAST_SCAN_SHORTLIST
    assert shortlist_of("pq4", 4 * FAST_SCAN_MEASURED) == 2 * FAST_SCAN_SHORTLIST
    assert shortlist_of("pq4", 100 * FAST_SCAN_MEASURED) == 10 * FAST_SCAN_SHORTLIST
    assert shortlist_of("sq8", 10**6) == 256  # 8-bit codes keep theirs


def test_a_store_chooses_by_the_same_policy(tmp_path: Path) -> None:
    store = VectorStore(DIM)
    rows = topical_passages(IVF_MIN_TRAIN // 3 + 10)
    for start in range(0, len(rows), 3):
        store.add(f"a{start}", rows[start:start + 3], "d")
    store.choose_ann("auto", exact_limit=len(rows))
    assert store.ann == "flat"
    store.choose_ann("auto", exact_limit=len(rows) - 1)
    assert store.ann == segment_ann("auto", len(rows), len(rows), len(rows) - 1) == "pq4"
    assert store.shortlist == FAST_SCAN_SHORTLIST  # at least 1,024, and 1/40 of bigger segments


# --------------------------------------------------------------------------
# Exact after the re-rank
# --------------------------------------------------------------------------
@pytest.mark.parametrize("ann", ["pq4", "ivfpq4"])
def test_re_ranked_fast_scan_hits_are_exact_search_wherever_the_shortlist_holds_them(ann: str,
                                                                                     tmp_path: Path) -> None:
    rows = topical_passages(1800)
    built, _ = stage_segment(tmp_path / "fast", rows, ann)
    exact_built, _ = stage_segment(tmp_path / "exact", rows, "flat")
    fast, exact = open_store(tmp_path / "fast", built), open_store(tmp_path / "exact", exact_built)
    assert built.segments[0].ann == ann and exact_built.segments[0].ann == "flat"
    segment = fast.stores[0]
    queries = unit(rows[::97] + 0.1 * np.random.default_rng(9).normal(size=rows[::97].shape))
    held = 0
    for query in queries:
        got, want = fast.search(query, 10), exact.search(query, 10)
        shortlisted = set(segment._shortlist(query, segment.shortlist)[0].tolist())
        best_rows = {h.article_id: int(segment._starts[int(h.article_id[1:])]) + int(np.argmax(
            segment.vectors_of(h.article_id) @ query)) for h in want}
        if all(best_rows[h.article_id] in shortlisted for h in want):
            held += 1
            assert [h.article_id for h in got] == [h.article_id for h in want]
            np.testing.assert_allclose([h.score for h in got], [h.score for h in want], atol=1e-6)
        for hit in got:  # always exact cosines, never quantized scores
            assert hit.score == pytest.approx(float(np.max(segment.vectors_of(hit.article_id) @ query)), abs=1e-6)
    assert held >= 0.9 * len(queries)  # the shortlist holds the exact top 10 for nearly every query


def test_a_narrow_filter_is_searched_exactly_and_a_broad_one_re_ranks_only_its_own_rows(tmp_path: Path) -> None:
    """A filter holding few articles (a month of a ten-year archive) costs fewer exact cosines than a shortlist:
    those rows are scored exactly, so its hits are exact search's; a broad filter keeps the fast scan and
    re-ranks only the allowed articles' rows, so every hit is allowed and scored exactly."""
    rows = topical_passages(7000)
    built, _ = stage_segment(tmp_path / "fast", rows, "pq4")
    exact_built, _ = stage_segment(tmp_path / "exact", rows, "flat")
    fast, exact = open_store(tmp_path / "fast", built), open_store(tmp_path / "exact", exact_built)
    segment = fast.stores[0]
    narrow = {f"a{n:05d}" for n in range(0, 7000, 100)}  # 70 of 7,000 articles
    broad = {f"a{n:05d}" for n in range(0, 7000, 2)}    # half of them
    queries = unit(rows[::401] + 0.1 * np.random.default_rng(3).normal(size=rows[::401].shape))
    shortlisted = []
    segment_shortlist = segment._shortlist
    segment._shortlist = lambda query, depth: shortlisted.append(depth) or segment_shortlist(query, depth)
    for query in queries:
        got, want = fast.search(query, 10, narrow), exact.search(query, 10, narrow)
        assert [(h.article_id, round(h.score, 5)) for h in got] == [(h.article_id, round(h.score, 5)) for h in want]
    assert shortlisted == []  # the narrow filter never asked the fast scan
    assert fast.search(queries[0], 10, {"a000001"}) == []  # an id longer than the segment's: never cut to a00000
    for query in queries:
        hits = fast.search(query, 10, broad)
        assert len(hits) == 10 and {h.article_id for h in hits} <= broad
        for hit in hits:
            assert hit.score == pytest.approx(float(np.max(segment.vectors_of(hit.article_id) @ query)), abs=1e-6)
    assert shortlisted  # the broad one did


# --------------------------------------------------------------------------
# Saved, merged, deleted
# --------------------------------------------------------------------------
def test_fast_scan_codes_are_saved_per_segment_rebuilt_by_merges_and_skip_deleted_articles(tmp_path: Path) -> None:
    rows = topical_passages(2 * (IVF_MIN_TRAIN // 3 + 20), seed=6)
    half = len(rows) // 2 - (len(rows) // 2) % 3
    built = Manifest.new(ModelSpec(kind="test", name="test", dim=DIM))
    refs: tuple = ()
    for generation, part in ((1, rows[:half]), (2, rows[half:])):
        built = manifest_io.Manifest(**{**built.__dict__, "segments": refs, "vector_generation": generation - 1})
        writer = SegmentWriter(tmp_path, built, DIM, ann="pq4", exact_limit=0, policy=MergePolicy(enabled=False))
        offset = 0 if generation == 1 else half // 3
        for start in range(0, len(part), 3):
            writer.add(f"a{offset + start // 3:05d}", part[start:start + 3], "d")
        if generation == 2:
            writer.remove(["a00007"])
        refs = writer.stage(generation)
    built = manifest_io.Manifest(**{**built.__dict__, "segments": refs, "vector_generation": 2, "ann": "pq4",
                                    "passages": sum(r.live_passages for r in refs)})
    assert [r.ann for r in refs] == ["pq4", "pq4"] and refs[0].deleted_articles == 1
    for ref in refs:
        meta = (layout.vector_segment_dir(tmp_path, ref.name) / "meta.json").read_text()
        assert '"ann": "pq4"' in meta
        index = faiss.read_index(str(layout.vector_segment_dir(tmp_path, ref.name) / "ann.faiss"))
        assert isinstance(faiss.downcast_index(index.index), faiss.IndexPQFastScan)
    manifest_io.save(tmp_path, built)
    before = open_store(tmp_path)
    assert "a00007" not in {h.article_id for h in before.search(rows[21], 5)}
    assert before.search(rows[30], 1)[0].article_id == "a00010"

    merging = SegmentWriter(tmp_path, built, DIM, ann="pq4", exact_limit=0, policy=MergePolicy(max_segments=1))
    after = manifest_io.Manifest(**{**built.__dict__, "segments": merging.stage(3), "vector_generation": 3})
    assert merging.last_merges == [{"segments": 2, "passages": len(rows) - 3}]
    manifest_io.save(tmp_path, after)
    (ref,) = after.segments
    assert ref.ann == "pq4" and ref.passages == len(rows) - 3  # rebuilt from the live rows only
    assert vector_segments.rows_problems(tmp_path, after) == []  # and its 8-bit re-rank rows with it
    store = open_store(tmp_path)
    assert store.stores[0]._rows8 is not None and len(store.stores[0]._rows8.codes) == ref.passages
    assert "a00007" not in store.article_ids()
    for i in (30, 4000, len(rows) - 1):
        hit = store.search(rows[i], 1)[0]
        assert hit.article_id == f"a{i // 3:05d}" and hit.score == pytest.approx(1.0, abs=1e-5)


# --------------------------------------------------------------------------
# Older indexes
# --------------------------------------------------------------------------
def test_an_index_with_8_bit_segments_opens_and_new_segments_get_fast_scan_codes(tmp_path: Path) -> None:
    """``auto`` gave big segments ``sq8`` before fast scan: such a segment is read as it is, never rewritten."""
    rows = topical_passages(IVF_MIN_TRAIN // 3 + 30, seed=7)
    built, _ = stage_segment(tmp_path, rows, "sq8")
    manifest_io.save(tmp_path, built)
    old = layout.vector_segment_dir(tmp_path, built.segments[0].name)
    written = {p.name: p.stat().st_mtime_ns for p in old.iterdir()}
    more = topical_passages(IVF_MIN_TRAIN // 3 + 30, seed=8)
    writer = SegmentWriter(tmp_path, built, DIM, ann="auto", exact_limit=0, policy=MergePolicy(enabled=False))
    for start in range(0, len(more), 3):
        writer.add(f"b{start // 3:05d}", more[start:start + 3], "d")
    refs = writer.stage(2)
    assert [r.ann for r in refs] == ["sq8", "pq4"]
    assert {p.name: p.stat().st_mtime_ns for p in old.iterdir()} == written
    store = open_store(tmp_path, manifest_io.Manifest(**{**built.__dict__, "segments": refs}))
    assert [s.ann for s in store.stores] == ["sq8", "pq4"]
    assert store.search(rows[9], 1)[0].article_id == "a00003"
    assert store.search(more[9], 1)[0].article_id == "b00003"


# --------------------------------------------------------------------------
# End to end: Hindi articles through the CLI
# --------------------------------------------------------------------------
@pytest.mark.usefixtures("hash_encoder")
def test_hsearch_index_ann_pq4_searches_hindi_articles_as_exact_search_does(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # a hundred Wikinews articles stand in for a segment of thousands of passages
    monkeypatch.setattr(segment_policy, "IVF_MIN_TRAIN", 64)
    monkeypatch.setattr(vectors, "IVF_MIN_TRAIN", 64)
    monkeypatch.setattr(vectors, "FAST_SCAN_SHORTLIST", 32)  # a shortlist shorter than the segment
    exact = tmp_path / "exact"
    source = write_jsonl(tmp_path / "news.jsonl", RECORDS)
    assert_ok(cli("index", "--index", exact, "-q", "--model", "hash-test", "--ann", "flat", source))
    fast = tmp_path / "fast"
    assert_ok(cli("index", "--index", fast, "-q", "--model", "hash-test", "--ann", "pq4", source))
    segment = manifest_io.load(fast).segments[0]
    assert segment.ann == "pq4" and (layout.vector_segment_dir(fast, segment.name) / "ann.faiss").is_file()
    assert "pq4" in assert_ok(cli("stats", "--index", fast)).output
    for query in ("मौसम विभाग", "स्टैनफ़ोर्ड यूनिवर्सिटी के वैज्ञानिक", "चुनाव"):
        want = assert_ok(cli("query", query, "--index", exact, "--mode", "semantic", "--json")).output
        got = assert_ok(cli("query", query, "--index", fast, "--mode", "semantic", "--json")).output
        assert got == want
    assert "both sides agree" in assert_ok(cli("verify", "--index", fast)).output
    assert_consistent(fast)
    codes = layout.vector_segment_dir(fast, segment.name) / "ann.faiss"  # damaged codes: found, and repaired
    codes.write_bytes(codes.read_bytes()[:200])
    damaged = cli("verify", "--index", fast)
    assert damaged.exit_code != 0 and "ann.faiss has 200 bytes" in damaged.output
    assert_ok(cli("verify", "--index", fast, "--repair"))
    assert "both sides agree" in assert_ok(cli("verify", "--index", fast)).output
    hits = assert_ok(cli("query", "चुनाव", "--index", fast, "--mode", "semantic", "--json")).output
    assert hits == assert_ok(cli("query", "चुनाव", "--index", exact, "--mode", "semantic", "--json")).output



# --------------------------------------------------------------------------
# The segments of one query searched at once
# --------------------------------------------------------------------------
def three_segments(folder: Path) -> tuple[Manifest, np.ndarray]:
    """Segments of three commits (fast-scan codes, exact, fast-scan with a tombstone), one article in two copies."""
    built = Manifest.new(ModelSpec(kind="test", name="test", dim=DIM))
    parts = [(topical_passages(IVF_MIN_TRAIN // 3 + 40, seed=11), "pq4", "a"),
             (topical_passages(300, seed=12), "flat", "b"),
             (topical_passages(IVF_MIN_TRAIN // 3 + 90, seed=13), "pq4", "c")]
    refs: tuple = ()
    for generation, (rows, ann, prefix) in enumerate(parts, start=1):
        built = manifest_io.Manifest(**{**built.__dict__, "segments": refs, "vector_generation": generation - 1})
        writer = SegmentWriter(folder, built, DIM, ann=ann, exact_limit=0, policy=MergePolicy(enabled=False))
        for start in range(0, len(rows), 3):
            writer.add(f"{prefix}{start // 3:05d}", rows[start:start + 3], "d")
        if prefix == "b":
            writer.add("b-twin", parts[0][0][30:33], "d")  # the same passages as a00010: tied scores
        if prefix == "c":
            writer.remove(["a00007", "b00002"])
        refs = writer.stage(generation)
    built = manifest_io.Manifest(**{**built.__dict__, "segments": refs, "vector_generation": len(parts)})
    return built, np.concatenate([rows for rows, _, _ in parts])


def test_segments_searched_by_a_pool_of_threads_give_the_hits_and_scores_of_one_thread(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built, rows = three_segments(tmp_path)
    manifest_io.save(tmp_path, built)
    serial, pooled = open_store(tmp_path, threads=1), open_store(tmp_path, threads=3)
    assert [s.ann for s in pooled.stores] == ["pq4", "flat", "pq4"] and built.segments[0].deleted_articles == 1
    searched_on: list[str] = []
    segment_search = VectorStore.search

    def recording(store: VectorStore, *args: object) -> list:
        searched_on.append(threading.current_thread().name)
        return segment_search(store, *args)

    monkeypatch.setattr(VectorStore, "search", recording)
    queries = unit(rows[::41] + 0.2 * np.random.default_rng(3).normal(size=rows[::41].shape))
    allowed = {f"a{i:05d}" for i in range(0, 1400, 2)} | {f"c{i:05d}" for i in range(0, 1500, 3)} | {"b-twin"}
    asked = [(query, k, only) for query in [*queries, rows[31]] for k, only in ((10, None), (3, None), (25, allowed))]
    wanted = [serial.search(*question) for question in asked]
    assert set(searched_on) == {threading.current_thread().name}  # one thread: the caller's
    searched_on.clear()
    for question, want in zip(asked, wanted):
        assert pooled.search(*question) == want  # the same articles, order and float scores
        assert "a00007" not in {h.article_id for h in want} and "b00002" not in {h.article_id for h in want}
    # the two fast-scan segments on the pool's threads, the exact one on the caller's (OpenBLAS spreads it)
    assert len(searched_on) == 3 * len(asked)
    assert sum(name.startswith("hsearch-segments") for name in searched_on) == 2 * len(asked)
    assert searched_on.count(threading.current_thread().name) == len(asked)
    twins = serial.search(rows[31], 2)
    assert [h.article_id for h in twins] == ["a00010", "b-twin"] and twins[0].score == twins[1].score
    pooled.close()
    assert pooled.search(rows[31], 2) == twins  # closed: a new pool at the next search


def test_a_filtered_search_and_the_whole_index_view_come_from_one_scan_of_each_segment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The relevance decision's background needs the unfiltered top 50 beside a filtered query's hits: one
    shortlist serves both.  The filtered hits are the filtered search's; the whole view is at least as good as
    a plain search's (its shortlist is the filter's, deeper) and, where that is exact, the same."""
    built, rows = three_segments(tmp_path)
    manifest_io.save(tmp_path, built)
    store = open_store(tmp_path, threads=2)
    broad = {f"a{i:05d}" for i in range(0, 1400, 2)} | {f"c{i:05d}" for i in range(0, 1500, 3)} | {"b00005"}
    narrow = {"a00003", "b00004", "c00010", "a00007"}  # a00007 is tombstoned
    queries = unit(rows[::97] + 0.2 * np.random.default_rng(4).normal(size=rows[::97].shape))
    scans = []
    segment_shortlist = VectorStore._shortlist
    monkeypatch.setattr(VectorStore, "_shortlist",
                        lambda self, query, depth: scans.append(depth) or segment_shortlist(self, query, depth))
    for allowed in (broad, narrow):
        for query in queries:
            scans.clear()
            found, whole = store.search_with_whole(query, 10, allowed, 50)
            shared_scans = len(scans)
            assert found == store.search(query, 10, allowed)
            plain = store.search(query, 50)
            assert len(whole) == 50 and all(w.score >= p.score - 1e-6 for w, p in zip(whole, plain))
            assert {h.article_id for h in found} <= allowed - {"a00007"}
            assert "a00007" not in {h.article_id for h in whole} and "b00002" not in {h.article_id for h in whole}
            if allowed is broad:
                assert shared_scans == 2  # each fast-scan segment once, not once per view
    flat_only = open_store(tmp_path, threads=1)
    flat_segment = flat_only.stores[1]
    assert flat_segment._index is None
    query = queries[0]
    found, whole = flat_segment.search_with_whole(query, 5, {"b00001", "b00009", "b-twin"}, 50)
    assert found == flat_segment.search(query, 5, {"b00001", "b00009", "b-twin"})
    assert whole == flat_segment.search(query, 50)  # exact: the same hits and scores
    store.close()


def test_whether_a_filter_is_narrow_is_decided_in_each_segment_by_its_own_articles(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A month of a big archive may lie in one segment: each segment counts the allowed rows it holds. Where it
    holds few (or none) it scores them exactly and never scans; the filter's ids are sorted and masked once."""
    built, rows = three_segments(tmp_path)
    manifest_io.save(tmp_path, built)
    store = open_store(tmp_path, threads=1)
    month = frozenset(f"c{i:05d}" for i in range(0, 1455, 3)) | {"c99999"}  # 485 articles, all in the third segment
    month |= {f"z{i:05d}" for i in range(3000)}  # and the filter's many articles elsewhere (a share of the archive)
    scans = []
    segment_shortlist = VectorStore._shortlist
    monkeypatch.setattr(VectorStore, "_shortlist",
                        lambda self, query, depth: scans.append(depth) or segment_shortlist(self, query, depth))
    queries = unit(rows[::211] + 0.2 * np.random.default_rng(5).normal(size=rows[::211].shape))
    for query in queries:
        hits = store.search(query, 10, month)
        expected = sorted(((float(np.max(store.stores[2].vectors_of(a) @ query)), a)
                           for a in month if a.startswith("c") and a != "c99999"), key=lambda pair: (-pair[0], pair[1]))[:10]
        assert [h.article_id for h in hits] == [a for _, a in expected]
        assert [h.score for h in hits] == pytest.approx([c for c, _ in expected], abs=1e-5)
    assert scans == []  # no segment scanned its codes: two held none of the month, one few enough to score
    assert store._allowed(month) is store._allowed(month)  # sorted and masked once for the same set
    assert store.search(queries[0], 10, set()) == []


def test_a_store_searches_with_one_thread_a_segment_up_to_the_cpus_it_may_use(tmp_path: Path) -> None:
    built, _ = three_segments(tmp_path)
    manifest_io.save(tmp_path, built)
    cpus = len(os.sched_getaffinity(0))
    assert open_store(tmp_path).threads == search_threads(3) == min(3, cpus)
    assert search_threads(1) == 1 and search_threads(0) == 1
    with pytest.raises(ValueError, match="threads must be 1 or more"):
        open_store(tmp_path, threads=0)


def test_the_fast_scan_kernel_hsearch_picks_finds_the_shortlist_faiss_s_own_pick_finds(tmp_path: Path) -> None:
    """Kernel 15 measured faster for shortlists of thousands (bench/notes/issue-23.md); it must not change them."""
    rows = topical_passages(3000)
    built, _ = stage_segment(tmp_path / "fast", rows, "pq4")
    segment = open_store(tmp_path / "fast", built).stores[0]
    inner = faiss.downcast_index(segment._index.index)
    assert inner.implem == vectors.FAST_SCAN_KERNEL
    for query in unit(rows[::211] + 0.1 * np.random.default_rng(4).normal(size=rows[::211].shape)):
        inner.implem = vectors.FAST_SCAN_KERNEL
        ours = segment._shortlist(query, segment.shortlist)
        inner.implem = 0
        faiss_pick = segment._shortlist(query, segment.shortlist)
        assert set(ours[0].tolist()) == set(faiss_pick[0].tolist())
        np.testing.assert_array_equal(np.sort(ours[1]), np.sort(faiss_pick[1]))
