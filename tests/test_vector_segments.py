"""Vector segments: each commit writes only what is new, tombstones per segment, tiered merges, old formats.

A commit adds one immutable segment ``vectors/s<G>`` (its rows, ids, digests
and ANN index), writes a small tombstone file for each older segment it deletes
from, and merges segments as the tiered policy says; the manifest names the
live segments and is the one commit point.  These tests pin what a user and a
reader rely on: files of committed segments never change, a reader keeps its
snapshot while writers commit and merge, deleted or replaced articles are
never returned, older formats are read and converted, and a full disk is a
clear message that leaves what was committed intact.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import faiss
import numpy as np
import pytest

from hsearch.index import layout
from hsearch.index import manifest as manifest_io
from hsearch.index.errors import IndexDamagedError, IndexWriteError
from hsearch.index.manifest import Manifest, ModelSpec, SegmentRef
from hsearch.index.segment_policy import IVF_MIN_TRAIN, MergePolicy, find_merges, segment_ann
from hsearch.index.settings import IndexSettings
from hsearch.index.vector_segments import SegmentWriter, force_merge, merge_pending, open_store, segment_names
from hsearch.index.writer import index_paths
from hsearch.index import vector_segments

from .test_lifecycle import (  # noqa: F401 - fixtures
    BASE, BATCH, NEW, REPLACED, assert_clean_failure, assert_consistent, assert_ok, cli, expected, fulltext_ids,
    hash_encoder, hash_index, hash_template, repair, semantic_ids, vector_digests, write_jsonl,
)


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def files_in(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Each file's (inode, size, mtime): what a rewrite would change."""
    return {str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------
# Each commit writes what is new
# --------------------------------------------------------------------------
def test_adding_articles_writes_one_new_segment_and_leaves_the_old_ones_untouched(hash_index: Path,
                                                                                 tmp_path: Path) -> None:
    first = manifest_io.load(hash_index)
    assert [s.name for s in first.segments] == segment_names(hash_index) == ["s000001"]
    old = files_in(layout.vector_segment_dir(hash_index, "s000001"))
    assert_ok(cli("index", "--index", hash_index, "-q", write_jsonl(tmp_path / "new.jsonl", NEW)))
    second = manifest_io.load(hash_index)
    assert [s.name for s in second.segments] == ["s000001", "s000002"]
    assert files_in(layout.vector_segment_dir(hash_index, "s000001")) == old  # not one byte rewritten
    assert second.segments[1].articles == len(NEW) and second.segments[0].deletes == 0
    assert second.passages == sum(s.live_passages for s in second.segments)
    from whoosh import index as whoosh_index
    assert second.fulltext_generation == whoosh_index.open_dir(str(layout.fulltext_dir(hash_index))).latest_generation()
    ids = np.load(layout.vector_segment_dir(hash_index, "s000002") / "ids.npy")
    assert ids.tolist() == sorted(ids.tolist())  # ascending: a writer finds an id by bisection of the mapped file
    assert vector_digests(hash_index) == fulltext_ids(hash_index) == expected(BASE + NEW)
    assert_consistent(hash_index)


def test_replacing_and_deleting_write_small_tombstone_files_and_the_old_body_is_never_returned(
        hash_index: Path, tmp_path: Path) -> None:
    old = files_in(layout.vector_segment_dir(hash_index, "s000001"))
    assert_ok(cli("index", "--index", hash_index, "-q", write_jsonl(tmp_path / "r.jsonl", REPLACED[:1])))
    built = manifest_io.load(hash_index)
    base = built.segments[0]
    assert (base.deletes, base.deleted_articles) == (2, 1)
    tombstone = layout.tombstone_path(hash_index, "s000001", 2)
    assert np.load(tombstone).tolist() == sorted(np.load(tombstone).tolist()) and tombstone.stat().st_size < 200
    assert files_in(layout.vector_segment_dir(hash_index, "s000001")) == old
    store = open_store(hash_index)
    for record in REPLACED[:1]:  # the replaced article answers with its new vectors only, once
        hits = store.search(store.vectors_of(record["id"])[0], 20)
        assert [h.article_id for h in hits].count(record["id"]) == 1
        assert store.digest_of(record["id"]) == expected([record])[record["id"]]

    gone = BASE[5]["id"]
    assert_ok(cli("delete", "--index", hash_index, gone))
    after = manifest_io.load(hash_index).segments[0]
    assert after.deletes == 3 and after.deleted_articles == 2
    assert not tombstone.exists()  # the older tombstone file went once the new manifest was in place
    assert files_in(layout.vector_segment_dir(hash_index, "s000001")) == old
    store = open_store(hash_index)
    assert gone not in store.article_ids() and len(store.vectors_of(gone)) == 0
    assert all(h.article_id != gone for h in store.search(np.ones(store.dim, np.float32) / store.dim ** 0.5, 50))
    assert_consistent(hash_index)

    assert_ok(cli("delete", "--index", hash_index, BASE[6]["id"]))  # 3 of 8 gone: over the policy's third
    assert [s.name for s in manifest_io.load(hash_index).segments] == ["s000002", "s000004m0"]
    assert not layout.vector_segment_dir(hash_index, "s000001").exists()  # rewritten without its tombstones
    assert vector_digests(hash_index) == fulltext_ids(hash_index)
    assert_consistent(hash_index)


def test_a_reader_keeps_its_snapshot_while_writers_delete_and_merge(hash_index: Path, tmp_path: Path) -> None:
    assert_ok(cli("index", "--index", hash_index, "-q", write_jsonl(tmp_path / "new.jsonl", NEW)))
    snapshot_manifest = manifest_io.load(hash_index)
    snapshot = open_store(hash_index, snapshot_manifest)
    target = BASE[3]["id"]
    query = snapshot.vectors_of(target)[0].copy()
    assert_ok(cli("delete", "--index", hash_index, target))
    force_merge(hash_index)  # every segment the snapshot maps is merged away and deleted
    assert segment_names(hash_index) == [s.name for s in manifest_io.load(hash_index).segments] == ["s000004m0"]
    assert snapshot.search(query, 1)[0].article_id == target  # still mapped: the old commit, whole
    assert snapshot.passage_count == snapshot_manifest.passages
    fresh = open_store(hash_index)
    assert target not in fresh.article_ids() and fresh.search(query, 1)[0].article_id != target
    assert fresh.article_digests() == fulltext_ids(hash_index)


def test_open_store_opens_the_state_the_manifest_names_not_the_newest(hash_index: Path, tmp_path: Path) -> None:
    older = manifest_io.load(hash_index)
    assert_ok(cli("index", "--index", hash_index, "-q", write_jsonl(tmp_path / "new.jsonl", NEW)))
    assert open_store(hash_index, older).article_ids() == set(expected(BASE))
    assert open_store(hash_index).article_ids() == set(expected(BASE + NEW))


def test_a_missing_tombstone_file_is_damage_that_repair_fixes(hash_index: Path) -> None:
    assert_ok(cli("delete", "--index", hash_index, BASE[0]["id"]))
    layout.tombstone_path(hash_index, "s000001", 2).unlink()
    result = assert_clean_failure(cli("verify", "--index", hash_index), "verify --repair")
    assert "s000001.del000002.npy is missing" in result.output
    assert "repaired" in repair(hash_index)
    assert vector_digests(hash_index) == expected(BASE[1:])
    assert_consistent(hash_index)


# --------------------------------------------------------------------------
# Merges
# --------------------------------------------------------------------------
def ref(name: str, passages: int, deleted: int = 0) -> SegmentRef:
    return SegmentRef(name=name, articles=passages, passages=passages, deleted_articles=deleted,
                      deleted_passages=deleted)


def test_the_tiered_policy_leaves_a_tier_alone_and_merges_similar_small_segments() -> None:
    policy = MergePolicy()
    assert find_merges([ref(f"s{i}", 300) for i in range(11)], policy) == []  # within the budget
    merges = find_merges([ref(f"s{i}", 300) for i in range(12)], policy)
    assert len(merges) == 1 and len(merges[0]) == 10
    # a big segment is not merged with small ones: they merge among themselves
    merges = find_merges([ref("big", 400_000)] + [ref(f"s{i}", 300) for i in range(12)], policy)
    assert merges and all(0 not in group for group in merges)
    # a segment that is mostly tombstones is rewritten without them
    assert find_merges([ref("s0", 10_000, deleted=5_000), ref("s1", 10_000)], policy) == [[0]]
    assert find_merges([ref(f"s{i}", 300) for i in range(40)], MergePolicy(enabled=False)) == []


def test_a_commit_leaves_big_merges_for_merge_pending(hash_index: Path, tmp_path: Path) -> None:
    ten_big = [ref(f"s{i}", 3_800) for i in range(10)] + [ref(f"t{i}", 40) for i in range(3)]
    assert all(min(group) >= 10 for group in find_merges(ten_big, MergePolicy(), at_commit=True))  # small ones only
    assert find_merges(ten_big, MergePolicy()) == [list(range(10))]
    small = [ref(f"s{i}", 3_800) for i in range(10)] + [ref(f"t{i}", 300) for i in range(12)]
    at_commit = find_merges(small, MergePolicy(), at_commit=True)
    assert at_commit and all(min(group) >= 10 and len(group) <= 10 for group in at_commit)
    # through the index: commits that merge nothing, then the pending merge as a job of its own
    tight = MergePolicy(segments_per_tier=1, floor_passages=1, commit_merge_passages=1)
    for k, record in enumerate(NEW):
        index_paths(hash_index, [write_jsonl(tmp_path / f"n{k}.jsonl", [record])], IndexSettings(merge=tight))
    assert len(manifest_io.load(hash_index).segments) == 1 + len(NEW)
    done = merge_pending(hash_index, MergePolicy(max_segments=1))
    assert done["segments_before"] == 4 and done["segments_after"] == 1 and done["merged"] == 1
    built = manifest_io.load(hash_index)
    assert len(built.segments) == 1 and built.passages == built.segments[0].passages
    assert segment_names(hash_index) == [built.segments[0].name]
    assert vector_digests(hash_index) == fulltext_ids(hash_index) == expected(BASE + NEW)
    assert_consistent(hash_index)


def test_hsearch_merge_runs_the_pending_merges_and_merges_down_on_request(hash_index: Path, tmp_path: Path) -> None:
    for k, record in enumerate(NEW):
        assert_ok(cli("index", "--index", hash_index, "-q", write_jsonl(tmp_path / f"n{k}.jsonl", [record])))
    before = len(manifest_io.load(hash_index).segments)
    assert before > 1
    pending = assert_ok(cli("merge", "--index", hash_index))
    assert f"{before} vector segments -> " in pending.output
    merged = assert_ok(cli("merge", "--index", hash_index, "--max-segments", 1))
    assert "1 merge: " in merged.output and " vector segments -> 1 (" in merged.output
    assert len(manifest_io.load(hash_index).segments) == 1
    assert vector_digests(hash_index) == fulltext_ids(hash_index) == expected(BASE + NEW)
    assert_consistent(hash_index)


def test_write_amplification_is_bounded_by_the_tiers() -> None:
    """1,000 commits of 400 passages: each passage is rewritten a few times, not once per commit."""
    policy = MergePolicy()
    segments: list[SegmentRef] = []
    written = 0
    for commit in range(1000):
        segments.append(ref(f"s{commit}", 400))
        written += 400
        for group in find_merges(segments, policy):
            merged = sum(segments[i].live_passages for i in group)
            written += merged
            segments = [s for i, s in enumerate(segments) if i not in group] + [ref(f"m{commit}", merged)]
    total = 1000 * 400
    assert sum(s.live_passages for s in segments) == total
    assert written <= 5 * total  # 1 + about one rewrite per tier (log10 of 400k / 2048 is about 2.3)
    assert len(segments) <= 30


def test_segment_search_kind_is_chosen_by_size_in_one_place() -> None:
    assert segment_ann("auto", 100, 10**7, 200_000) == "flat"  # small segments are scanned exactly
    assert segment_ann("auto", 50_000, 100_000, 200_000) == "flat"  # the archive is under the exact limit
    assert segment_ann("auto", 50_000, 300_000, 200_000) == "pq4"  # fast-scan codes, re-ranked
    assert segment_ann("hnsw", IVF_MIN_TRAIN, 0, 200_000) == "hnsw"
    assert segment_ann("sq8", 50_000, 300_000, 200_000) == "sq8"  # an explicit kind is kept
    assert segment_ann("ivf", IVF_MIN_TRAIN - 1, 0, 200_000) == "flat"
    assert segment_ann("flat", 10**6, 10**7, 0) == "flat"


def test_a_bulk_commit_is_cut_into_segments_no_bigger_than_a_merge_may_make(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    dim = 16
    spec = ModelSpec(kind="test", name="test", dim=dim)
    built = Manifest.new(spec)
    policy = MergePolicy(max_segment_passages=100)
    writer = SegmentWriter(tmp_path, built, dim, policy=policy)
    articles = {f"a{i:04d}": unit(rng.normal(size=(int(rng.integers(1, 9)), dim))) for i in range(90)}
    for article_id, rows in articles.items():
        writer.add(article_id, rows, "d")
    segments = writer.stage(1)
    total = sum(len(rows) for rows in articles.values())
    assert len(segments) == -(-total // 100)  # as few as the bound allows, of about equal size
    assert all(s.passages <= 100 for s in segments)
    assert sum(s.passages for s in segments) == total and sum(s.articles for s in segments) == 90
    store = open_store(tmp_path, manifest_io.Manifest(**{**built.__dict__, "segments": segments,
                                                          "vector_generation": 1}))
    for article_id in ("a0000", "a0044", "a0089"):  # first, middle and last: every article is in one segment
        assert store.search(articles[article_id][0], 1)[0].article_id == article_id


@pytest.mark.parametrize("ann", ["pq4", "ivfpq4", "sq8", "ivf", "hnsw"])
def test_approximate_segments_are_re_ranked_merged_across_segments_and_skip_tombstones(ann: str,
                                                                                       tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    dim = 24
    vectors = unit(rng.normal(size=(IVF_MIN_TRAIN + 200, dim)))
    spec = ModelSpec(kind="test", name="test", dim=dim)
    built = Manifest.new(spec)
    writer = SegmentWriter(tmp_path, built, dim, ann=ann, exact_limit=0, policy=MergePolicy(enabled=False))
    for start in range(0, len(vectors), 20):
        writer.add(f"a{start:05d}", vectors[start:start + 20], "d")
    first = writer.stage(1)
    assert first[0].ann == ann and (layout.vector_segment_dir(tmp_path, first[0].name) / "ann.faiss").is_file()
    built = manifest_io.Manifest(**{**built.__dict__, "segments": first, "vector_generation": 1})
    small = SegmentWriter(tmp_path, built, dim, ann=ann, exact_limit=0, policy=MergePolicy(enabled=False))
    small.remove(["a00040"])
    small.add("fresh", unit(np.ones((1, dim))), "d2")
    second = small.stage(2)
    assert [s.ann for s in second] == [ann, "flat"]  # the one-article segment is scanned exactly
    store = open_store(tmp_path, manifest_io.Manifest(**{**built.__dict__, "segments": second}))
    hit = store.search(vectors[45], 1)[0]
    assert hit.article_id != "a00040"  # tombstoned rows are never returned
    assert store.search(vectors[85], 1)[0].article_id == "a00080"
    assert store.search(vectors[85], 1)[0].score == pytest.approx(1.0, abs=1e-5)  # exact cosine after re-rank
    assert store.search(unit(np.ones((1, dim)))[0], 1)[0].article_id == "fresh"
    assert store.passage_count == len(vectors) - 20 + 1
    assert [h.article_id for h in store.search(vectors[85], 3, allowed={"fresh", "a00100"})] in (
        ["a00100", "fresh"], ["fresh", "a00100"])


# --------------------------------------------------------------------------
# Older formats: one vectors.npz (1), one generation folder per commit (2)
# --------------------------------------------------------------------------
def write_format_1(index_dir: Path) -> dict[str, str]:
    """Turn an index into what hsearch wrote before generations (format 1), keeping its vectors."""
    store = open_store(index_dir)
    digests = store.article_digests()
    vectors = store.all_vectors()
    owners = store.row_owners()
    pids = np.arange(len(vectors), dtype=np.int64)
    flat = faiss.IndexIDMap2(faiss.IndexFlatIP(store.dim))
    flat.add_with_ids(vectors, pids)
    np.savez(layout.legacy_vectors_path(index_dir), faiss=faiss.serialize_index(flat), pids=pids,
             owners=owners.astype(str), digests=np.asarray([digests[o] for o in owners.tolist()]).astype(str),
             next_id=np.int64(len(vectors)), dim=np.int64(store.dim), ann=np.asarray("flat"), nprobe=np.int64(16))
    del store
    shutil.rmtree(layout.vectors_dir(index_dir))
    path = manifest_io.manifest_path(index_dir)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["format_version"] = 1
    for name in ("vector_generation", "segments", "fulltext_generation"):
        del data[name]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return digests


def write_format_2(index_dir: Path) -> Path:
    """Turn a one-segment index into format 2: the segment is the generation folder ``vectors/g<N>``."""
    built = manifest_io.load(index_dir)
    assert len(built.segments) == 1 and not built.segments[0].deletes
    folder = layout.vector_generation_dir(index_dir, 7)
    os.rename(layout.vector_segment_dir(index_dir, built.segments[0].name), folder)
    path = manifest_io.manifest_path(index_dir)
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(format_version=2, vector_generation=7)
    for name in ("segments", "fulltext_generation"):
        del data[name]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return folder


def test_an_index_of_format_1_is_read_as_before_and_upgraded_by_repair(hash_index: Path) -> None:
    target = BASE[5]
    found = semantic_ids(hash_index, target["title"], k=5)
    digests = write_format_1(hash_index)
    assert semantic_ids(hash_index, target["title"], k=5) == found  # read as before
    verdict = assert_clean_failure(cli("verify", "--index", hash_index), "vectors.npz", "verify --repair")
    assert "converts it to memory-mapped files" in verdict.output
    output = repair(hash_index)
    assert "repaired" in output
    assert not layout.legacy_vectors_path(hash_index).exists()
    upgraded = manifest_io.load(hash_index)
    assert upgraded.format_version == manifest_io.FORMAT_VERSION and len(upgraded.segments) == 1
    assert vector_digests(hash_index) == digests  # nothing was lost or re-embedded differently
    assert semantic_ids(hash_index, target["title"], k=5) == found
    assert_consistent(hash_index)


def test_writing_to_an_index_of_format_1_upgrades_it(hash_index: Path, tmp_path: Path) -> None:
    write_format_1(hash_index)
    assert_ok(cli("index", "--index", hash_index, "-q", write_jsonl(tmp_path / "new.jsonl", BATCH)))
    assert not layout.legacy_vectors_path(hash_index).exists()
    assert manifest_io.load(hash_index).format_version == manifest_io.FORMAT_VERSION
    assert vector_digests(hash_index) == expected(BASE) | expected(BATCH) == fulltext_ids(hash_index)
    assert_consistent(hash_index)


def test_an_index_of_format_2_is_read_and_its_folder_kept_as_a_segment_by_the_next_write(
        hash_index: Path, tmp_path: Path) -> None:
    target = BASE[5]
    found = semantic_ids(hash_index, target["title"], k=5)
    folder = write_format_2(hash_index)
    assert semantic_ids(hash_index, target["title"], k=5) == found
    assert_ok(cli("verify", "--index", hash_index))
    old = files_in(folder)
    assert_ok(cli("index", "--index", hash_index, "-q", write_jsonl(tmp_path / "b.jsonl", BATCH)))
    upgraded = manifest_io.load(hash_index)
    assert upgraded.format_version == manifest_io.FORMAT_VERSION
    assert [s.name for s in upgraded.segments][0] == "g000007" and upgraded.segments[0].deletes == 8
    assert files_in(folder) == old  # kept as it is, with tombstones beside it for the two replaced articles
    assert vector_digests(hash_index) == expected(BASE) | expected(BATCH) == fulltext_ids(hash_index)
    assert_consistent(hash_index)


# --------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------
@pytest.mark.parametrize("failing", ["segment", "tombstone", "merge"])
def test_a_full_disk_while_writing_vectors_changes_nothing(failing: str, hash_index: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    assert_ok(cli("index", "--index", hash_index, "-q", write_jsonl(tmp_path / "new.jsonl", NEW)))
    before = fulltext_ids(hash_index)
    committed = manifest_io.load(hash_index)
    names = set(os.listdir(layout.vectors_dir(hash_index)))
    real_save = np.save
    arrays = {"segment": "vectors", "merge": "vectors", "tombstone": None}[failing]
    seen = []

    def save_until_full(handle, array, **kwargs):  # type: ignore[no-untyped-def]
        name = os.path.basename(str(getattr(handle, "name", "")))
        is_tombstone = array.dtype == np.int32 and array.ndim == 1 and not name.endswith(".npy")
        if failing == "tombstone" and is_tombstone or (arrays and name == f"{arrays}.npy"):
            seen.append(name)
            if failing != "merge" or len(seen) == 2:  # the merge writes its segment after the new one
                real_save(handle, array[: len(array) // 2], **kwargs)
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(handle, array, **kwargs)

    monkeypatch.setattr(np, "save", save_until_full)
    real_init = IndexSettings.__init__
    if failing == "merge":
        monkeypatch.setattr(IndexSettings, "__init__", _with_merge_policy(MergePolicy(max_segments=1)))
    result = assert_clean_failure(cli("index", "--index", hash_index, "-q",
                                      write_jsonl(tmp_path / "b.jsonl", REPLACED)), "the disk is full",
                                  "nothing was committed and the index is as it was")
    assert "Traceback" not in result.output and seen
    monkeypatch.setattr(np, "save", real_save)
    assert fulltext_ids(hash_index) == before == vector_digests(hash_index)  # the old state, whole
    assert manifest_io.load(hash_index).segments == committed.segments
    assert set(os.listdir(layout.vectors_dir(hash_index))) == names  # what was half-written is gone
    assert_consistent(hash_index)
    assert_ok(cli("index", "--index", hash_index, "-q", write_jsonl(tmp_path / "b.jsonl", REPLACED)))
    assert fulltext_ids(hash_index) == vector_digests(hash_index) == expected(BASE + NEW) | expected(REPLACED)
    monkeypatch.setattr(IndexSettings, "__init__", real_init)


def _with_merge_policy(policy: MergePolicy):  # type: ignore[no-untyped-def]
    real = IndexSettings.__init__

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["merge"] = policy
        real(self, *args, **kwargs)

    return init


def test_a_foreign_meta_file_is_a_clear_error_that_repair_fixes(hash_index: Path) -> None:
    (vector_segments.vectors_path(hash_index) / "meta.json").write_text("<html>not ours</html>")
    assert_clean_failure(cli("query", "समाचार", "--index", hash_index, "--mode", "semantic"),
                         "cannot be read", "hsearch verify --repair")
    assert "repaired" in repair(hash_index)
    assert vector_digests(hash_index) == expected(BASE)
    assert_consistent(hash_index)


def test_files_left_by_killed_writers_are_removed_by_the_next_writer(hash_index: Path, tmp_path: Path) -> None:
    orphan = layout.vector_segment_dir(hash_index, "s000009")
    half = layout.vectors_dir(hash_index) / ".s000010.4242.tmp"
    stray = layout.tombstone_path(hash_index, "s000001", 9)
    for folder in (orphan, half):
        folder.mkdir()
        (folder / "vectors.npy").write_bytes(b"half")
    stray.write_bytes(b"half")
    assert_ok(cli("index", "--index", hash_index, "-q", write_jsonl(tmp_path / "new.jsonl", NEW)))
    assert not orphan.exists() and not half.exists() and not stray.exists()
    assert segment_names(hash_index) == [s.name for s in manifest_io.load(hash_index).segments]


def test_a_truncated_ann_file_is_a_clear_error(tmp_path: Path) -> None:
    from hsearch.index.vectors import VectorStore

    rng = np.random.default_rng(8)
    store = VectorStore(16)
    vectors = unit(rng.normal(size=(IVF_MIN_TRAIN + 10, 16)))
    for start in range(0, len(vectors), 10):
        store.add(f"a{start}", vectors[start:start + 10], "d")
    store.choose_ann("ivf", exact_limit=0)
    store.save(tmp_path / "vectors" / "s000001")
    ann = tmp_path / "vectors" / "s000001" / "ann.faiss"
    ann.write_bytes(ann.read_bytes()[:100])
    with pytest.raises(IndexDamagedError, match="ann.faiss has 100 bytes"):
        VectorStore.load(tmp_path / "vectors" / "s000001", 16)


def test_index_writes_report_a_disk_error_as_index_write_error(hash_index: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from hsearch.index.vectors import VectorStore

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(VectorStore, "save", refuse)
    with pytest.raises(IndexWriteError, match="permission denied"):
        index_paths(hash_index, [write_jsonl(tmp_path / "new.jsonl", NEW)], IndexSettings())
    assert fulltext_ids(hash_index) == expected(BASE)


def test_a_merge_job_waits_its_turn_behind_a_writer_with_a_clear_message(hash_index: Path) -> None:
    from hsearch.index.errors import IndexLockedError
    from hsearch.index.lock import WriteLock

    with WriteLock(hash_index):
        with pytest.raises(IndexLockedError, match="is locked by PID"):
            merge_pending(hash_index, MergePolicy(max_segments=1))
    assert merge_pending(hash_index, MergePolicy(max_segments=1))["segments_after"] == 1
