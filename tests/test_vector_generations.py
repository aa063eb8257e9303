"""Vector generations: memory-mapped files, switched by the manifest, old ones deleted, faults reported.

Each commit writes the vector side as a new folder ``vectors/g<N>`` and the
manifest's rename switches readers to it (as Lucene's ``segments_N``).  These
tests pin what a user relies on: a query opens the vectors without reading
them, an index of the format before generations keeps working and is upgraded
by ``hsearch verify --repair``, and a full disk, a foreign file or a missing
generation is a clear message that leaves what was committed intact.
"""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import faiss
import numpy as np
import pytest

from hsearch.index import layout
from hsearch.index import manifest as manifest_io
from hsearch.index.errors import IndexDamagedError
from hsearch.index.settings import IndexSettings
from hsearch.index.errors import IndexWriteError
from hsearch.index.vector_generations import generations, open_store
from hsearch.index.vectors import IVF_MIN_TRAIN, VectorStore
from hsearch.index.writer import index_paths

from hsearch.search.request import SearchRequest
from hsearch.index import vector_generations

from .test_lifecycle import (  # noqa: F401 - fixtures
    BASE, BATCH, NEW, assert_clean_failure, assert_consistent, assert_ok, cli, expected, fulltext_ids,
    hash_encoder, hash_index, hash_template, repair, semantic_ids, vector_digests, write_jsonl,
)


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_each_commit_writes_a_new_generation_and_deletes_the_old(hash_index: Path, tmp_path: Path) -> None:
    first = manifest_io.load(hash_index).vector_generation
    assert generations(hash_index) == [first]
    assert_ok(cli("index", "--index", hash_index, "-q", write_jsonl(tmp_path / "b.jsonl", BATCH)))
    second = manifest_io.load(hash_index).vector_generation
    assert second == first + 1 and generations(hash_index) == [second]
    folder = vector_generations.vectors_path(hash_index)
    assert folder == layout.vector_generation_dir(hash_index, second)
    assert {p.name for p in folder.iterdir()} == {"vectors.npy", "pids.npy", "ids.npy", "digests.npy",
                                                  "starts.npy", "meta.json"}
    store = open_store(hash_index)
    assert isinstance(store._vectors, np.memmap)  # opened by mapping, not read
    assert vector_digests(hash_index) == fulltext_ids(hash_index)


def test_a_reader_keeps_its_generation_while_a_writer_replaces_it(hash_index: Path, tmp_path: Path) -> None:
    from hsearch.search.engine import SearchEngine, SearchSettings

    target = BASE[3]
    # an engine that does not follow commits keeps reading its snapshot (one that follows: tests/test_following.py)
    with SearchEngine(hash_index, SearchSettings(mode="semantic", follow=False)) as engine:
        assert target["id"] in {h.id for h in engine.search(SearchRequest.of(target["title"], k=3)).hits}
        assert_ok(cli("delete", "--index", hash_index, target["id"]))  # the old generation is deleted
        hits = engine.search(SearchRequest.of(target["title"], k=3)).hits
        assert target["id"] in {h.id for h in hits}  # still mapped: unchanged
    assert target["id"] not in semantic_ids(hash_index, target["title"])  # a new reader sees the delete


# --------------------------------------------------------------------------
# The format before generations: one vectors.npz
# --------------------------------------------------------------------------
def write_format_1(index_dir: Path) -> dict[str, str]:
    """Turn an index into what hsearch wrote before generations (format 1), keeping its vectors."""
    store = open_store(index_dir)
    digests = store.article_digests()
    vectors = store.all_vectors()
    owners = np.repeat(store._ids, np.diff(store._starts))
    flat = faiss.IndexIDMap2(faiss.IndexFlatIP(store.dim))
    flat.add_with_ids(vectors, np.asarray(store._pids, np.int64))
    np.savez(layout.legacy_vectors_path(index_dir), faiss=faiss.serialize_index(flat),
             pids=np.asarray(store._pids, np.int64), owners=owners.astype(str),
             digests=np.repeat(store._digests, np.diff(store._starts)).astype(str),
             next_id=np.int64(store._next_id), dim=np.int64(store.dim), ann=np.asarray("flat"),
             nprobe=np.int64(16))
    del store
    shutil.rmtree(layout.vectors_dir(index_dir))
    path = manifest_io.manifest_path(index_dir)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["format_version"] = 1
    del data["vector_generation"]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return digests


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
    assert upgraded.format_version == manifest_io.FORMAT_VERSION and upgraded.vector_generation > 0
    assert vector_digests(hash_index) == digests  # nothing was lost or re-embedded differently
    assert semantic_ids(hash_index, target["title"], k=5) == found
    assert_consistent(hash_index)


def test_writing_to_an_index_of_format_1_upgrades_it(hash_index: Path, tmp_path: Path) -> None:
    write_format_1(hash_index)
    assert_ok(cli("index", "--index", hash_index, "-q", write_jsonl(tmp_path / "new.jsonl", NEW)))
    assert not layout.legacy_vectors_path(hash_index).exists()
    assert vector_digests(hash_index) == expected(BASE + NEW) == fulltext_ids(hash_index)
    assert_consistent(hash_index)


# --------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------
def test_a_full_disk_while_writing_vectors_changes_nothing(hash_index: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    before = fulltext_ids(hash_index)
    generation = manifest_io.load(hash_index).vector_generation
    real_save = np.save
    calls = []

    def save_until_full(handle, array, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 2:
            real_save(handle, array[: len(array) // 2], **kwargs)
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(handle, array, **kwargs)

    monkeypatch.setattr(np, "save", save_until_full)
    result = assert_clean_failure(cli("index", "--index", hash_index, "-q",
                                      write_jsonl(tmp_path / "b.jsonl", BATCH)), "the disk is full",
                                  "nothing was committed")
    assert "Traceback" not in result.output
    monkeypatch.setattr(np, "save", real_save)
    assert fulltext_ids(hash_index) == before == vector_digests(hash_index)  # the old state, whole
    assert manifest_io.load(hash_index).vector_generation == generation
    assert generations(hash_index) == [generation]  # what was half-written is gone
    assert_consistent(hash_index)
    assert_ok(cli("index", "--index", hash_index, "-q", write_jsonl(tmp_path / "b.jsonl", BATCH)))
    assert fulltext_ids(hash_index) == vector_digests(hash_index) == expected(BASE) | expected(BATCH)


def test_a_foreign_meta_file_is_a_clear_error_that_repair_fixes(hash_index: Path) -> None:
    (vector_generations.vectors_path(hash_index) / "meta.json").write_text("<html>not ours</html>")
    assert_clean_failure(cli("query", "समाचार", "--index", hash_index, "--mode", "semantic"),
                         "cannot be read", "hsearch verify --repair")
    assert "repaired" in repair(hash_index)
    assert vector_digests(hash_index) == expected(BASE)
    assert_consistent(hash_index)


def test_generations_left_by_killed_writers_are_removed_by_the_next_writer(hash_index: Path, tmp_path: Path) -> None:
    current = manifest_io.load(hash_index).vector_generation
    orphan = layout.vector_generation_dir(hash_index, current + 5)
    half = layout.vectors_dir(hash_index) / f".g{current + 6:06d}.tmp4242"
    for folder in (orphan, half):
        folder.mkdir()
        (folder / "vectors.npy").write_bytes(b"half")
    assert_ok(cli("index", "--index", hash_index, "-q", write_jsonl(tmp_path / "new.jsonl", NEW)))
    assert not orphan.exists() and not half.exists()
    assert generations(hash_index) == [manifest_io.load(hash_index).vector_generation]


# --------------------------------------------------------------------------
# Approximate search in a generation
# --------------------------------------------------------------------------
@pytest.mark.parametrize("ann", ["ivf", "hnsw"])
def test_approximate_search_is_mapped_re_ranked_and_skips_removed_passages(ann: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    vectors = unit(rng.normal(size=(IVF_MIN_TRAIN + 200, 24)))
    store = VectorStore(24)
    for start in range(0, len(vectors), 20):
        store.add(f"a{start}", vectors[start:start + 20], "d")
    store.choose_ann(ann, exact_limit=0)
    store.save(tmp_path / "g000001")
    assert (tmp_path / "g000001" / "ann.faiss").is_file()
    mapped = VectorStore.load(tmp_path / "g000001", 24)
    assert mapped.ann == ann
    hit = mapped.search(vectors[45], 1)[0]
    assert hit.article_id == "a40" and hit.score == pytest.approx(1.0, abs=1e-5)  # exact cosine after re-rank

    writer = VectorStore.load(tmp_path / "g000001", 24, writable=True)
    writer.remove(["a40"])
    writer.add("fresh", unit(np.ones((1, 24))), "d2")
    writer.choose_ann(ann, exact_limit=0)
    writer.save(tmp_path / "g000002")
    after = VectorStore.load(tmp_path / "g000002", 24)
    assert after.search(vectors[45], 1)[0].article_id != "a40"  # removed passages are never returned
    assert after.search(unit(np.ones((1, 24)))[0], 1)[0].article_id == "fresh"
    assert after.passage_count == len(vectors) - 20 + 1


def test_a_truncated_ann_file_is_a_clear_error(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    store = VectorStore(16)
    vectors = unit(rng.normal(size=(IVF_MIN_TRAIN + 10, 16)))
    for start in range(0, len(vectors), 10):
        store.add(f"a{start}", vectors[start:start + 10], "d")
    store.choose_ann("ivf", exact_limit=0)
    store.save(tmp_path / "vectors" / "g000001")
    ann = tmp_path / "vectors" / "g000001" / "ann.faiss"
    ann.write_bytes(ann.read_bytes()[:100])
    with pytest.raises(IndexDamagedError, match="ann.faiss has 100 bytes"):
        VectorStore.load(tmp_path / "vectors" / "g000001", 16)


def test_index_writes_report_a_disk_error_as_index_write_error(hash_index: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(VectorStore, "save", refuse)
    with pytest.raises(IndexWriteError, match="Permission denied"):
        index_paths(hash_index, [write_jsonl(tmp_path / "new.jsonl", NEW)], IndexSettings())
    assert fulltext_ids(hash_index) == expected(BASE)
