"""Story clusters: syndicated copies collapse to one hit, different stories stay apart, writes keep it right.

The copies are made from the seed article by :mod:`bench.syndicate` (new
headline, dropped and swapped paragraphs, an outlet's dateline and footer,
edited sentences); the two other Kursk stories are in
``tests/fixtures/kursk-stories.jsonl``.  Indexes here are full text only
(``--model none``): clustering reads the analysed body, not the vectors.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import Result

from bench.syndicate import paragraphs, syndicate
from hsearch.index import health, layout
from hsearch.index.schema import read_article_digests
from hsearch.index.stories import MAX_DELTAS, StoryClusters, StoryTable, containment, deltas_of, shingles
from hsearch.search.collapse import PageRequest
from hsearch.search.engine import SearchEngine

from .conftest import FIXTURES, SEED_ARTICLE, SEED_ARTICLE_ID, SEED_CORPUS, assert_clean_failure, assert_ok, cli, \
    read_jsonl, write_jsonl

KURSK = FIXTURES / "kursk-stories.jsonl"
TROOPS, DRONE = "kursk-troops-evidence", "kursk-nuclear-drone"


def seed_record() -> dict[str, str]:
    lines = SEED_ARTICLE.read_text(encoding="utf-8").splitlines()
    return {"id": SEED_ARTICLE_ID, "title": lines[0].strip(), "body": "\n".join(lines[1:]).strip()}


def kursk_records() -> list[dict[str, str]]:
    return read_jsonl(KURSK)


ok = assert_ok


SEED_COPIES = [c["id"] for c in syndicate(seed_record(), 9)]


@pytest.fixture
def syndicated(tmp_path: Path) -> Path:
    """seeds/ (the seed story and 107 Wikinews articles), 9 outlets' copies of the seed story, two other Kursk stories."""
    copies = write_jsonl(tmp_path / "copies.jsonl", syndicate(seed_record(), 9))
    index_dir = tmp_path / "index"
    ok(cli("index", "--index", index_dir, "--model", "none", "-q", *SEED_CORPUS, KURSK, copies))
    return index_dir


def story_of(index_dir: Path, article_id: str) -> str:
    return StoryTable.load(index_dir).stories([article_id])[article_id]


def json_hits(result: Result) -> list[dict]:
    return [json.loads(line) for line in ok(result).output.splitlines() if line.strip()]


# -- collapse ------------------------------------------------------------------
def test_ten_copies_of_the_seed_story_are_one_hit_with_nine_more(syndicated: Path) -> None:
    hits = json_hits(cli("query", "--index", syndicated, "--json", "-k", "10", "अमेरिका के राष्ट्रपति"))
    story_ids = {SEED_ARTICLE_ID, *SEED_COPIES}
    ours = [h for h in hits if h["id"] in story_ids]
    assert len(ours) == 1
    assert ours[0]["more"]["count"] == 9
    assert {c["id"] for c in ours[0]["more"]["copies"]} == story_ids - {ours[0]["id"]}
    assert all(c["source"] for c in ours[0]["more"]["copies"] if c["id"] != SEED_ARTICLE_ID)
    assert len(hits) == 10 and len({h["id"] for h in hits}) == 10  # the page still holds k results

    text = ok(cli("query", "--index", syndicated, "-k", "3", "किम जोंग-उन पुतिन")).output
    assert "+ 9 more from this story:" in text


def test_no_collapse_shows_every_copy(syndicated: Path) -> None:
    hits = json_hits(cli("query", "--index", syndicated, "--json", "--no-collapse", "-k", "10", "किम जोंग-उन पुतिन"))
    assert {h["id"] for h in hits} == {SEED_ARTICLE_ID, *SEED_COPIES}
    assert all(h["more"]["count"] == 0 for h in hits)


def test_two_different_kursk_stories_stay_apart(syndicated: Path) -> None:
    stories = {story_of(syndicated, a) for a in (SEED_ARTICLE_ID, TROOPS, DRONE)}
    assert len(stories) == 3
    assert {story_of(syndicated, c) for c in SEED_COPIES} == {story_of(syndicated, SEED_ARTICLE_ID)}
    hits = json_hits(cli("query", "--index", syndicated, "--json", "कुर्स्क"))
    assert len(hits) == 3  # the seed story (once), the troops story, the drone story
    assert {TROOPS, DRONE} <= {h["id"] for h in hits}


def test_copies_of_another_kursk_story_join_it_and_not_the_seed_story(syndicated: Path, tmp_path: Path) -> None:
    troops = next(r for r in kursk_records() if r["id"] == TROOPS)
    ok(cli("index", "--index", syndicated, "-q", write_jsonl(tmp_path / "t.jsonl", syndicate(troops, 4))))
    assert {story_of(syndicated, f"{TROOPS}~{n}") for n in range(1, 5)} == {story_of(syndicated, TROOPS)}
    assert story_of(syndicated, TROOPS) != story_of(syndicated, SEED_ARTICLE_ID)


# -- the rules of a match ------------------------------------------------------------
def test_a_copy_trimmed_to_half_its_paragraphs_is_contained_in_the_original() -> None:
    seed = seed_record()
    half = "\n\n".join(paragraphs(seed["body"])[:6])
    score, shared = containment(shingles(seed["body"]), shingles(half))
    assert score > 0.9 and shared > 50
    assert containment(shingles(seed["body"]), shingles(kursk_records()[0]["body"]))[0] < 0.1


def test_the_same_text_a_month_apart_is_a_new_story() -> None:
    from datetime import datetime

    body = seed_record()["body"]
    records = [("a", body, datetime(2025, 8, 13), "1"), ("b", body, datetime(2025, 8, 15), "2"),
               ("c", body, datetime(2025, 9, 20), "3"), ("d", body, None, "4")]
    clusters = StoryClusters.build(records)
    assert clusters.story_of("a") == clusters.story_of("b") == "a"
    assert clusters.story_of("c") == "c"
    assert clusters.story_of("d") == "a"  # undated: no window applies


# -- writes keep the clusters right ------------------------------------------------------
def test_deleting_the_representative_hands_the_story_on(syndicated: Path) -> None:
    representative = story_of(syndicated, SEED_ARTICLE_ID)
    assert representative in SEED_COPIES  # the earliest dated copy (the seed article has no date)
    ok(cli("delete", "--index", syndicated, representative))
    heirs = {story_of(syndicated, a) for a in [SEED_ARTICLE_ID, *SEED_COPIES] if a != representative}
    assert len(heirs) == 1 and representative not in heirs
    hits = json_hits(cli("query", "--index", syndicated, "--json", "किम जोंग-उन पुतिन"))
    assert [h["more"]["count"] for h in hits if h["id"] in {SEED_ARTICLE_ID, *SEED_COPIES}] == [8]
    assert "both sides agree" in ok(cli("verify", "--index", syndicated)).output


def test_replacing_a_copy_with_another_story_moves_it(syndicated: Path, tmp_path: Path) -> None:
    drone = next(r for r in kursk_records() if r["id"] == DRONE)
    moved = SEED_COPIES[3]
    ok(cli("index", "--index", syndicated, "-q",
           write_jsonl(tmp_path / "r.jsonl", [{**drone, "id": moved, "title": "ड्रोन से आग"}])))
    assert story_of(syndicated, moved) == story_of(syndicated, DRONE)
    rest = {story_of(syndicated, a) for a in [SEED_ARTICLE_ID, *SEED_COPIES] if a != moved}
    assert len(rest) == 1 and story_of(syndicated, DRONE) not in rest


def test_removing_the_only_bridge_splits_a_story() -> None:
    parts = paragraphs(seed_record()["body"])
    first, whole, second = "\n\n".join(parts[:5]), "\n\n".join(parts), "\n\n".join(parts[5:])
    assert containment(shingles(first), shingles(second))[0] < 0.1
    clusters = StoryClusters.build([("a-first", first, None, "1"), ("b-whole", whole, None, "2"),
                                    ("c-second", second, None, "3")])
    assert len({clusters.story_of(i) for i in ("a-first", "b-whole", "c-second")}) == 1
    clusters.remove("b-whole", {"a-first": first, "c-second": second}.get)
    assert clusters.story_of("a-first") == "a-first" and clusters.story_of("c-second") == "c-second"


# -- derived data: persisted, checked, rebuilt ----------------------------------------------
def test_verify_finds_missing_or_stale_clusters_and_repair_rebuilds_them(syndicated: Path, tmp_path: Path) -> None:
    path = layout.stories_path(syndicated)
    before = StoryTable.load(syndicated).stories([SEED_ARTICLE_ID, *SEED_COPIES])
    extra = write_jsonl(tmp_path / "x.jsonl", syndicate(next(r for r in kursk_records() if r["id"] == DRONE), 2))
    ok(cli("index", "--index", syndicated, "-q", extra))
    assert len(deltas_of(path)) == 1
    deltas_of(path)[0].unlink()  # as if the writer had died before renaming its new clusters into place

    report = health.verify(syndicated)
    assert any("2 articles without a story" in p for p in report.problems)
    assert cli("verify", "--index", syndicated).exit_code != 0
    assert "both sides agree" in ok(cli("verify", "--repair", "--index", syndicated)).output
    assert health.verify(syndicated).healthy
    assert story_of(syndicated, f"{DRONE}~1") == story_of(syndicated, DRONE)

    path.unlink()
    assert "story clusters stories.npz are missing" in cli("verify", "--index", syndicated).output
    # a search without them still answers, one hit per article
    assert len(json_hits(cli("query", "--index", syndicated, "--json", "-k", "20", "किम जोंग-उन पुतिन"))) >= 10
    ok(cli("verify", "--repair", "--index", syndicated))
    assert StoryTable.load(syndicated).stories([SEED_ARTICLE_ID, *SEED_COPIES]) == before


def test_a_query_maps_the_story_columns_instead_of_reading_them_and_finds_the_same_stories(
        syndicated: Path, tmp_path: Path) -> None:
    """A one-shot query at a million articles spent 0.13 s reading the id and story columns whole."""
    path = layout.stories_path(syndicated)
    ids = [SEED_ARTICLE_ID, *SEED_COPIES, DRONE, "not-in-the-index"]
    table = StoryTable.load(syndicated)
    assert isinstance(table._ids, np.memmap) and isinstance(table._stories, np.memmap)
    mapped = table.stories(ids)
    assert len({mapped[i] for i in [SEED_ARTICLE_ID, *SEED_COPIES]}) == 1 and mapped["not-in-the-index"] == \
        "not-in-the-index"
    with np.load(path) as data:  # the same file with compressed members (numpy's other way to save) is read
        columns = {name: data[name] for name in data.files}
    np.savez_compressed(path, **columns)
    table = StoryTable.load(syndicated)
    assert not isinstance(table._ids, np.memmap) and table.stories(ids) == mapped


def partition(story_of_id: dict[str, str]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for article_id, story in story_of_id.items():
        groups.setdefault(story, set()).add(article_id)
    return {frozenset(group) for group in groups.values()}


def test_each_commit_writes_a_small_delta_that_agrees_with_a_rebuild(syndicated: Path, tmp_path: Path) -> None:
    """Adds, replacements and deletes write only their changes; base plus deltas equal clusters made anew."""
    path = layout.stories_path(syndicated)
    base = path.stat()
    drone = next(r for r in kursk_records() if r["id"] == DRONE)
    ok(cli("index", "--index", syndicated, "-q", write_jsonl(tmp_path / "a.jsonl", syndicate(drone, 2))))
    ok(cli("delete", "--index", syndicated, SEED_ARTICLE_ID))  # the representative: its story moves on
    deltas = deltas_of(path)
    assert len(deltas) == 2 and (path.stat().st_ino, path.stat().st_mtime_ns) == (base.st_ino, base.st_mtime_ns)
    assert all(d.stat().st_size < path.stat().st_size / 2 for d in deltas)
    table = StoryTable.load(syndicated)
    assert health.verify(syndicated).story_problems == []
    ids = sorted(read_article_digests(syndicated))
    incremental = table.stories(ids)
    assert SEED_ARTICLE_ID not in set(incremental.values())  # deleted: no story is named after it any more
    assert len(table) == len(ids)
    assert story_of(syndicated, f"{DRONE}~1") == story_of(syndicated, DRONE)
    ok(cli("verify", "--index", syndicated))
    path.unlink()  # and made anew from the full text
    for delta in deltas_of(path):
        delta.unlink()
    ok(cli("verify", "--repair", "--index", syndicated))
    assert partition(StoryTable.load(syndicated).stories(ids)) == partition(incremental)

    for k in range(MAX_DELTAS + 1):  # the deltas are folded into a new base before they pile up
        ok(cli("index", "--index", syndicated, "-q",
               write_jsonl(tmp_path / f"n{k}.jsonl", [{**drone, "id": f"new-{k}", "body": drone["body"] + f" {k}"}])))
    assert len(deltas_of(path)) <= MAX_DELTAS and health.verify(syndicated).story_problems == []
    assert story_of(syndicated, "new-3") == story_of(syndicated, DRONE)


def test_a_writer_rebuilds_clusters_older_than_the_full_text(syndicated: Path, tmp_path: Path) -> None:
    path = layout.stories_path(syndicated)
    old = tmp_path / "old.npz"
    shutil.copy(path, old)
    ok(cli("delete", "--index", syndicated, TROOPS))
    shutil.copy(old, path)  # stale: still holds TROOPS
    ok(cli("delete", "--index", syndicated, DRONE))  # the next write notices and rebuilds from the full text
    assert health.verify(syndicated).healthy
    assert TROOPS not in StoryClusters.load(path)  # type: ignore[operator]


# -- similar articles ------------------------------------------------------------------
def test_similar_to_the_seed_story_is_related_and_never_its_copies(syndicated: Path) -> None:
    hits = json_hits(cli("similar", "--index", syndicated, "--json", SEED_ARTICLE_ID))
    ids = [h["id"] for h in hits]
    assert not ({SEED_ARTICLE_ID, *SEED_COPIES} & set(ids))
    assert ids[0] == TROOPS  # the other story about North Korean troops in Kursk
    copy = SEED_COPIES[0]  # asked about a copy: the same story is left out, the same neighbour comes first
    assert json_hits(cli("similar", "--index", syndicated, "--json", copy))[0]["id"] == TROOPS


def test_similar_with_vectors_uses_the_stored_passages(seed_index: Path) -> None:
    with SearchEngine(seed_index) as engine:
        # Piquet's crash at the 2008 Singapore Grand Prix: the other Formula 1 story (Massa's injury) is like it
        page = engine.similar("wikinews-32")
        assert page.hits and page.hits[0].id == "wikinews-194" and "wikinews-32" not in [h.id for h in page.hits]
        assert any(h.cosine is not None for h in page.hits)
        semantic = engine.similar("wikinews-32", mode="semantic", page=PageRequest(k=10))
        assert [h.cosine for h in semantic.hits] == sorted((h.cosine for h in semantic.hits), reverse=True)


def test_similar_to_an_unknown_id_is_a_clear_error(syndicated: Path) -> None:
    assert_clean_failure(cli("similar", "--index", syndicated, "no-such-id"), "no article with id 'no-such-id'")


def test_band_index_finds_what_comparing_every_band_finds_across_runs_and_removals() -> None:
    """Thousands of inserts (many buffer flushes and run merges), replacements and removals against brute force."""
    import numpy as np

    from hsearch.index.stories import BandIndex, _Member

    rng = np.random.default_rng(7)
    bands, rows = 16, 2
    signatures = rng.integers(0, 50, size=(3000, bands * rows), dtype=np.uint32)  # few values: many shared bands
    start = {f"s{i}": _Member("", 0, "", signatures[i]) for i in range(200)}
    index = BandIndex.build(start, bands, rows)
    held = {f"s{i}": signatures[i] for i in range(200)}
    for i in range(200, 3000):
        index.insert(f"a{i}", signatures[i])
        held[f"a{i}"] = signatures[i]
    for i in range(0, 3000, 7):  # replacements: a new signature for an id already held
        article_id = f"s{i}" if i < 200 else f"a{i}"
        held[article_id] = signatures[(i * 31) % 3000]
        index.insert(article_id, held[article_id])
    for i in range(1, 3000, 11):
        article_id = f"s{i}" if i < 200 else f"a{i}"
        index.remove(article_id)
        held.pop(article_id, None)
    assert len(index._runs) < 12  # merged, not one run per flush
    keys = {a: set(BandIndex.keys(s.reshape(1, -1), bands, rows)[0].tolist()) for a, s in held.items()}
    for probe in rng.choice(3000, 60, replace=False):
        mine = set(BandIndex.keys(signatures[probe].reshape(1, -1), bands, rows)[0].tolist())
        assert index.query(signatures[probe]) == {a for a, k in keys.items() if k & mine}


def test_with_a_limit_the_band_index_keeps_the_candidates_sharing_most_bands() -> None:
    import numpy as np

    from hsearch.index.stories import BandIndex

    rng = np.random.default_rng(11)
    bands, rows = 16, 2
    probe = rng.integers(0, 2**31, size=bands * rows, dtype=np.uint32)
    index = BandIndex.build({}, bands, rows)
    for shared in range(1, 17):  # article s<n> agrees with the probe on its first n bands only
        signature = rng.integers(0, 2**31, size=bands * rows, dtype=np.uint32)
        signature[:shared * rows] = probe[:shared * rows]
        index.insert(f"s{shared:02d}", signature)
    assert len(index.query(probe)) == 16
    assert index.query(probe, 4) == {"s16", "s15", "s14", "s13"}


def test_a_band_many_articles_share_is_read_for_its_newest_rows_and_a_storys_copies_are_still_found() -> None:
    """A common sentence puts thousands of articles in one band; reading all of them made clustering a
    million articles run for more than 24 minutes.  A copy shares every band, so capping what one band
    reads never hides it, wherever it sits in the archive."""
    import numpy as np

    from hsearch.index.stories import BAND_READ_FACTOR, BandIndex

    bands, rows = 64, 2
    rng = np.random.default_rng(3)
    story = rng.integers(1, 2**32 - 1, size=bands * rows, dtype=np.uint64).astype(np.uint32)
    index = BandIndex(bands, rows, [], np.zeros((0, bands), np.uint64))
    for i in range(3):
        index.insert(f"copy-{i}", story)  # the oldest rows of every band they share
    limit = 8
    for i in range(BAND_READ_FACTOR * limit * 3):  # many more than a band is read for
        chance = rng.integers(1, 2**32 - 1, size=bands * rows, dtype=np.uint64).astype(np.uint32)
        chance[:rows] = story[:rows]  # a shared sentence: the first band only
        index.insert(f"chance-{i:04d}", chance)
    found = index.query(story, limit)
    assert {"copy-0", "copy-1", "copy-2"} <= found and len(found) == limit
    assert len(index.query(story)) == 3 + BAND_READ_FACTOR * limit * 3  # without a limit: every sharer
