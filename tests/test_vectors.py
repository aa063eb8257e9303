"""The FAISS store: replace by article, best passage per article, exact and IVF, atomic files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hsearch.index.vectors import IVF_MIN_TRAIN, VectorStore


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture()
def store() -> VectorStore:
    rng = np.random.default_rng(1)
    s = VectorStore(8)
    s.add("kursk", unit(rng.normal(size=(3, 8))), "d1")
    s.add("putin", unit(rng.normal(size=(2, 8))), "d2")
    return s


def test_an_article_scores_by_its_best_passage(store: VectorStore) -> None:
    target = store.all_vectors()[1]  # kursk's second passage
    hits = store.search(target, 5)
    assert [h.article_id for h in hits][0] == "kursk"
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert len({h.article_id for h in hits}) == len(hits) == 2


def test_replacing_an_article_leaves_no_orphans(store: VectorStore) -> None:
    store.remove(["kursk"])
    store.add("kursk", unit(np.ones((1, 8))), "d3")
    assert store.passage_count == 3
    assert store.article_digests() == {"putin": "d2", "kursk": "d3"}
    assert store.search(unit(np.ones((1, 8)))[0], 1)[0].article_id == "kursk"


def test_filters_restrict_hits(store: VectorStore) -> None:
    target = store.all_vectors()[0]
    assert [h.article_id for h in store.search(target, 5, allowed={"putin"})] == ["putin"]


def test_save_and_load_round_trip_without_temporary_files(store: VectorStore, tmp_path: Path) -> None:
    path = tmp_path / "g000001"
    store.save(path)
    loaded = VectorStore.load(path, 8)
    assert loaded.passage_count == 5
    assert loaded.article_digests() == store.article_digests()
    np.testing.assert_allclose(loaded.all_vectors(), store.all_vectors())
    assert [p.name for p in tmp_path.iterdir()] == ["g000001"]  # no temporary folder left
    assert isinstance(loaded.all_vectors(), np.memmap) or isinstance(loaded._vectors, np.memmap)


def test_ivf_finds_neighbours_survives_saving_and_switches_back_to_flat(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    store = VectorStore(16)
    vectors = unit(rng.normal(size=(IVF_MIN_TRAIN + 100, 16)))
    for start in range(0, len(vectors), 50):
        store.add(f"a{start}", vectors[start:start + 50], "d")
    store.choose_ann("ivf", exact_limit=1000)
    assert store.ann == "ivf"
    found = sum(store.search(vectors[i], 1)[0].article_id == f"a{i - i % 50}" for i in range(0, len(vectors), 97))
    assert found >= 0.9 * len(range(0, len(vectors), 97))
    store.save(tmp_path / "g000001")
    store = VectorStore.load(tmp_path / "g000001", 16)
    assert store.ann == "ivf" and store.search(vectors[123], 1)[0].article_id == "a100"
    store.remove(["a0"])
    assert store.passage_count == len(vectors) - 50
    store.choose_ann("flat", exact_limit=1000)
    assert store.ann == "flat" and store.search(vectors[60], 1)[0].article_id == "a50"


def test_ivf_is_not_trained_on_too_few_vectors(store: VectorStore) -> None:
    store.choose_ann("ivf", exact_limit=0)
    assert store.ann == "flat"


def test_auto_scans_fast_scan_codes_beyond_the_exact_limit_and_scores_exactly(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    vectors = unit(rng.normal(size=(IVF_MIN_TRAIN + 50, 16)))
    store = VectorStore(16)
    for start in range(0, len(vectors), 25):
        store.add(f"a{start}", vectors[start:start + 25], "d")
    store.choose_ann("auto", exact_limit=len(vectors) + 1)
    assert store.ann == "flat"
    store.choose_ann("auto", exact_limit=1000)
    assert store.ann == "pq4"  # segment_policy.segment_ann: 4-bit fast-scan codes, re-ranked
    store.save(tmp_path / "g000001")
    mapped = VectorStore.load(tmp_path / "g000001", 16)
    exact = {i: vectors[i] @ vectors[i] for i in range(0, len(vectors), 131)}
    for i in exact:
        hit = mapped.search(vectors[i], 1)[0]
        assert hit.article_id == f"a{i - i % 25}" and hit.score == pytest.approx(1.0, abs=1e-5)


def test_digests_stay_right_through_replacements_before_and_after_a_save(tmp_path: Path) -> None:
    """The writer's pattern: digest_of, remove, add, one article at a time, over saved and pending rows."""
    rng = np.random.default_rng(5)

    def rows(n: int) -> np.ndarray:
        v = rng.standard_normal((n, 8)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    store = VectorStore(8)
    for i in range(30):
        store.add(f"a{i}", rows(2), f"d{i}")
    store.save(tmp_path / "g1")
    store = VectorStore.load(tmp_path / "g1", 8, writable=True)
    assert store.digest_of("a3") == "d3"
    for i in (3, 4, 31):  # saved, saved, new
        assert store.remove([f"a{i}"]) == (2 if i < 30 else 0)
        store.add(f"a{i}", rows(3), f"new{i}")
        assert store.digest_of(f"a{i}") == f"new{i}"
    assert store.remove(["a4"]) == 3 and store.digest_of("a4") is None
    assert store.remove(["a4", "nobody"]) == 0
    assert store.article_digests() == {**{f"a{i}": f"d{i}" for i in range(30) if i not in (3, 4)},
                                       "a3": "new3", "a31": "new31"}
    assert store.passage_count == 28 * 2 + 3 + 3
