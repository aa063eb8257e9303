"""The BM25 scoring sidecar: Whoosh's scores from arrays, and derived data that never loses anything.

Every ranking of the array scorer is compared with Whoosh scoring every
matching document itself (``optimize=False``) on real Hindi news (the 107
Wikinews articles of ``seeds/``), across several segments, with deleted and
replaced articles, filters and every operator the query box accepts.  A
missing, damaged or foreign sidecar must cost speed only: the query answers
through Whoosh for that segment (and says so once), ``verify`` reports it and
``verify --repair`` rebuilds it; a ``kill -9`` during its write leaves an index
that opens, loses nothing and is repaired.
"""

from __future__ import annotations

import json
import math
import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh import writing

import tests.test_lifecycle as lifecycle
from hsearch.index import bm25_sidecar, health, layout
from hsearch.index.articles import Article
from hsearch.index.settings import IndexSettings
from hsearch.index.writer import IndexWriter, _document, index_paths
from hsearch.search import array_scorer
from hsearch.search.engine import SearchEngine, SearchSettings
from hsearch.search.filters import Filters
from hsearch.search.fulltext import FullTextSearcher
from tests.test_lifecycle import (  # noqa: F401  (fixtures)
    BASE,
    BATCH,
    RECORDS,
    Child,
    assert_ok,
    check_after_crash,
    cli,
    expected,
    hash_encoder,
    hash_index,
    hash_template,
    write_jsonl,
)

SOURCES = ("दैनिक जागरण", "अमर उजाला", "नवभारत टाइम्स")
QUERIES = [
    "वैज्ञानिकों ने नए उपकरण की घोषणा की",        # plain OR, the common case
    "भूकंप",                                       # one word
    "+वैज्ञानिक उपकरण चिप",                          # +must
    "राष्ट्रपति चुनाव -अमेरिका",                      # -not
    "वैज्ञानिक AND उपकरण",
    "राष्ट्रपति OR प्रधानमंत्री NOT अमेरिका",
    "राष्ट्रपति AND NOT अमेरिका",
    "(वैज्ञानिक OR शोधकर्ता) AND कोशिका",
    "NOT वैज्ञानिक",
    '"स्कूल ऑफ़ मेडिसिन" वैज्ञानिक',                 # phrase: Whoosh checks positions
    "ख़ुद मौजूद नहीं ऐसा शब्द",                         # words the index lacks
]


def _article(record: dict[str, str], i: int) -> Article:
    return Article(id=record["id"], title=record["title"], body=record["body"],
                   date=datetime(2020 + i % 5, 1 + i % 12, 1 + i % 28), source=SOURCES[i % 3],
                   category=record.get("category", ""), url=record.get("url", ""))


ARTICLES = [_article(r, i) for i, r in enumerate(RECORDS)]


def _segmented_index(root: Path) -> Path:
    """RECORDS in three Whoosh segments (no merging), then three replaced and two deleted articles."""
    index_dir = root / "index"
    index_paths(index_dir, [write_jsonl(root / "first.jsonl", RECORDS[:1])], IndexSettings(model="none"))
    fulltext = layout.fulltext_dir(index_dir)
    ix = whoosh_index.open_dir(str(fulltext))
    for part in (ARTICLES[1:40], ARTICLES[40:80], ARTICLES[80:]):
        writer = ix.writer()
        for article in part:
            writer.update_document(**_document(article))
        writer.commit(mergetype=writing.NO_MERGE)
    writer = ix.writer()
    for article in ARTICLES[5:8]:
        writer.update_document(**_document(Article(**{**article.__dict__, "body": article.body + " संशोधित समाचार"})))
    writer.delete_by_term("id", ARTICLES[50].id)
    writer.delete_by_term("id", ARTICLES[90].id)
    writer.commit(mergetype=writing.NO_MERGE)
    bm25_sidecar.write_missing(fulltext, ix)
    return index_dir


@pytest.fixture(scope="module")
def segmented(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _segmented_index(tmp_path_factory.mktemp("segmented"))


def _exhaustive(searcher: FullTextSearcher, text: str, filter_query=None) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
    return searcher.exhaustive(searcher.parse(text), filter_query)


def _assert_same(fast: list[tuple[str, float]], exact: list[tuple[str, float]]) -> None:
    """Same length, scores equal to float tolerance, ids equal except within a tie."""
    assert len(fast) == len(exact)
    for i, ((fid, fs), (eid, es)) in enumerate(zip(fast, exact)):
        assert math.isclose(fs, es, rel_tol=1e-9), (i, fid, fs, eid, es)
        if fid != eid:
            assert any(math.isclose(es, exact[j][1], rel_tol=1e-9) for j in (i - 1, i + 1) if 0 <= j < len(exact))


def test_the_segmented_index_has_several_segments_deletions_and_a_sidecar_each(segmented: Path) -> None:
    fulltext = layout.fulltext_dir(segmented)
    ix = whoosh_index.open_dir(str(fulltext))
    with ix.searcher() as searcher:
        leaves = [s.reader() for s, _ in searcher.leaf_searchers()]
        assert len(leaves) >= 4 and any(r.has_deletions() for r in leaves)
        names = {r.segment().segment_id() for r in leaves}
    assert {p.name for p in fulltext.glob(f"*.{bm25_sidecar.SUFFIX}")} == {bm25_sidecar.sidecar_name(n) for n in names}
    assert health.verify(segmented).sidecar_problems == []


@pytest.mark.parametrize("text", QUERIES)
def test_array_scores_and_ranks_equal_whoosh_exhaustive_scoring(segmented: Path, text: str) -> None:
    searcher = FullTextSearcher(segmented)
    assert searcher._arrays is not None and searcher._arrays.complete
    exact = _exhaustive(searcher, text)
    for k in (1, 10, 100):
        _assert_same(searcher.search(searcher.parse(text), k), exact[:k])
    searcher.close()


def test_the_exhaustive_reference_with_a_limit_is_the_head_of_the_whole_one(segmented: Path) -> None:
    searcher = FullTextSearcher(segmented)
    for text in QUERIES[:6]:
        words = text.split()
        for variant in (text, f"+{words[0]} {' '.join(words[1:])}" if len(words) > 1 else text):
            parsed = searcher.parse(variant)
            assert searcher.exhaustive(parsed, limit=5) == searcher.exhaustive(parsed)[:5]
    searcher.close()


def test_deleted_and_replaced_articles_never_come_back(segmented: Path) -> None:
    searcher = FullTextSearcher(segmented)
    found = dict(searcher.search(searcher.parse(" ".join(ARTICLES[50].title.split()[:5])), 200))
    assert ARTICLES[50].id not in found
    replaced = [i for i, _ in searcher.search(searcher.parse("+संशोधित +समाचार"), 200)]
    assert {a.id for a in ARTICLES[5:8]} <= set(replaced) and len(replaced) == len(set(replaced))  # once each
    assert replaced == [i for i, _ in _exhaustive(searcher, "+संशोधित +समाचार")]
    searcher.close()


@pytest.mark.parametrize("filters", [Filters(source="अमर उजाला"), Filters.parse(date_from="2021-01-01", date_to="2022-12-31"),
                                     Filters(category="health"), Filters(source="कोई नहीं")])
def test_filters_as_masks_give_whoosh_results(segmented: Path, filters: Filters) -> None:
    searcher = FullTextSearcher(segmented)
    for text in QUERIES[:6]:
        exact = _exhaustive(searcher, text, filters.to_whoosh())
        _assert_same(searcher.search(searcher.parse(text), 20, filters.to_whoosh()), exact[:20])
        _assert_same(searcher.search(searcher.parse(text), 20, filters.to_whoosh()), exact[:20])  # cached mask
    searcher.close()


@pytest.mark.parametrize("filters", [Filters(source="अमर उजाला"), Filters.parse(date_from="2021-01-01", date_to="2022-12-31"),
                                     Filters(category="health"), Filters(source="कोई नहीं")])
def test_the_ids_a_filter_lets_through_come_from_masks_and_the_sidecar_id_table(segmented: Path,
                                                                              filters: Filters) -> None:
    """The vector side's filter: the same live ids as decoding every matching article's stored fields."""
    searcher = FullTextSearcher(segmented)
    decoded = {searcher._searcher.stored_fields(n)["id"] for n in filters.to_whoosh().docs(searcher._searcher)}
    assert searcher.ids_matching(filters.to_whoosh()) == decoded
    searcher.close()


def test_an_articles_document_number_comes_from_the_sidecar_id_hashes_as_whoosh_finds_it(segmented: Path) -> None:
    """Replaced articles have a deleted copy in an older segment and one live one; deleted ones have none."""
    searcher = FullTextSearcher(segmented)
    asked = [a.id for a in ARTICLES] + ["कोई-नहीं", "bench-000000"]
    found = searcher._arrays.numbers_of(asked)
    whoosh = {i: n for i in asked if (n := searcher._searcher.document_number(id=i)) is not None}
    assert found == whoosh
    assert ARTICLES[50].id not in found and ARTICLES[5].id in found and len(found) == len(ARTICLES) - 2
    searcher.close()


@pytest.mark.parametrize("how", ["replaced and deleted", "undated and deleted"])
def test_document_frequencies_come_from_the_sidecars_as_whoosh_counts_them(segmented: Path, how: str,
                                                                          tmp_path: Path) -> None:
    """Whoosh counts a deleted or replaced article in a term's document frequency until a merge drops it (so
    do its idf and the query planner); the sidecars record each segment's count from Whoosh's term info."""
    from tests.test_bm25_candidates import _index_with_undated

    index_dir = segmented if how.startswith("replaced") else _index_with_undated(tmp_path)
    searcher = FullTextSearcher(index_dir)
    whoosh_searcher = searcher._searcher
    reader = whoosh_searcher.reader()
    assert reader.has_deletions()
    live_postings_differ = 0
    for field in ("title", "body"):
        terms = [t.decode("utf-8") for t in reader.lexicon(field)]
        assert len(terms) > 500
        for term in terms:
            whooshs = whoosh_searcher.doc_frequency(field, term)
            assert searcher._arrays.doc_frequency(field, term) == whooshs, (field, term)
            live = sum(1 for _ in reader.postings(field, term).all_ids())
            live_postings_differ += live != whooshs
        assert searcher.doc_frequency(field, "ऐसाशब्दनहीं") == 0  # a word no article holds
    assert live_postings_differ > 0  # deleted articles still counted: the live postings would not do
    for term in ("वैज्ञानिक", "भूकंप", "संशोधित", "ऐसाशब्दनहीं"):
        held = [whoosh_searcher.idf(f, term) for f in ("title", "body") if whoosh_searcher.doc_frequency(f, term)]
        assert searcher.idf(term) == (max(held) if held else math.log(searcher.doc_count) + 1.0)
        assert searcher.term_frequency(term) == max(whoosh_searcher.doc_frequency(f, term) for f in ("title", "body"))
    searcher.close()


def test_field_boost_and_headline_matches_are_scored_as_whoosh_stores_them(segmented: Path) -> None:
    """Headline postings carry Whoosh's weight (frequency x field boost 2.0) and are stored compactly."""
    ix = whoosh_index.open_dir(str(layout.fulltext_dir(segmented)))
    with ix.searcher() as searcher:
        sub, _ = searcher.leaf_searchers()[-2]
        reader = sub.reader()
        sidecar = bm25_sidecar.open_sidecar(layout.fulltext_dir(segmented), reader.segment().segment_id(),
                                            reader.doc_count_all(), ["title", "body"])
        title = sidecar.fields["title"]
        assert title.weights.dtype == np.uint16 and title.docs.dtype == np.uint32
        term = title._term(0)
        docs, weights = title.postings(term)
        matcher = reader.postings("title", term)
        whoosh_pairs = []
        while matcher.is_active():
            whoosh_pairs.append((matcher.id(), matcher.weight()))
            matcher.next()
        assert list(zip(docs.tolist(), weights.astype(float).tolist())) == whoosh_pairs
        assert all(w % 2 == 0 for _, w in whoosh_pairs)  # the headline counts double
        assert title.postings("ऐसाशब्दनहीं".encode()) is None


def test_engine_rank_uses_the_arrays_for_bm25_and_hybrid_candidates(segmented: Path) -> None:
    with SearchEngine(segmented, SearchSettings(mode="bm25")) as engine:
        ranked = engine.rank("वैज्ञानिकों ने नए उपकरण की घोषणा की", depth=10).ranked
        exact = _exhaustive(engine.fulltext, "वैज्ञानिकों ने नए उपकरण की घोषणा की")[:10]
        _assert_same(ranked, exact)
        assert ranked[0][0] == "wikinews-1"


# --------------------------------------------------------------------------
# derived data: missing, damaged, foreign
# --------------------------------------------------------------------------
@pytest.fixture
def copy_of_segmented(segmented: Path, tmp_path: Path) -> Path:
    target = tmp_path / "index"
    shutil.copytree(segmented, target)
    return target


def _sidecars(index_dir: Path) -> list[Path]:
    return sorted(layout.fulltext_dir(index_dir).glob(f"*.{bm25_sidecar.SUFFIX}"))


def _break(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "missing":
        path.unlink()
    elif how == "truncated":
        path.write_bytes(bytes(data[: len(data) // 2]))
    elif how == "flipped":  # a byte of the postings: only the checksum can tell
        data[min(4096, len(data) // 3)] ^= 0xFF  # inside the arrays, whatever the segment's size
        path.write_bytes(bytes(data))
    elif how == "other version":
        trailer = bm25_sidecar._TRAILER
        offset, length, _ = trailer.unpack(bytes(data[-trailer.size:]))
        header = json.loads(bytes(data[offset:offset + length]))
        header["format_version"] = bm25_sidecar.FORMAT_VERSION + 1
        text = json.dumps(header).encode()
        path.write_bytes(bytes(data[:offset]) + text + trailer.pack(offset, len(text), bm25_sidecar.MAGIC))


@pytest.mark.parametrize("how", ["missing", "truncated", "other version", "flipped"])
def test_a_bad_sidecar_costs_speed_only_and_verify_repair_rebuilds_it(copy_of_segmented: Path, how: str,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    index_dir = copy_of_segmented
    before = {text: _exhaustive(FullTextSearcher(index_dir), text) for text in QUERIES}
    victim = _sidecars(index_dir)[-1]
    _break(victim, how)
    array_scorer._warned.clear()
    caplog.clear()

    searcher = FullTextSearcher(index_dir)
    if how != "flipped":  # a flipped byte inside the postings is only found by verify's checksum
        assert not searcher._arrays.complete
        for text in QUERIES:
            for k in (1, 10, 100):
                _assert_same(searcher.search(searcher.parse(text), k), before[text][:k])
        searcher = searcher.following(None)  # a later snapshot keeps the same sidecar: not warned again
        searcher.search(searcher.parse(QUERIES[0]), 10)
        warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
        assert len(warnings) == 1 and "verify with repair" in warnings[0] and victim.stem in warnings[0]  # said once
    searcher.close()

    report = health.verify(index_dir)
    assert len(report.sidecar_problems) == 1 and victim.stem in report.sidecar_problems[0]
    assert not report.healthy
    verdict = cli("verify", "--index", index_dir)
    assert verdict.exit_code != 0 and "scoring sidecar" in verdict.output

    repaired = assert_ok(cli("verify", "--repair", "--index", index_dir))
    assert "both sides agree" in repaired.output
    assert health.verify(index_dir).healthy
    searcher = FullTextSearcher(index_dir)
    assert searcher._arrays.complete
    for text in QUERIES:
        _assert_same(searcher.search(searcher.parse(text), 100), before[text][:100])
    searcher.close()


def test_a_merge_deletes_the_old_segments_sidecars_and_writes_the_new_one(copy_of_segmented: Path) -> None:
    index_dir = copy_of_segmented
    old = _sidecars(index_dir)
    with IndexWriter(index_dir, IndexSettings(model="none")) as writer:
        writer.add([ARTICLES[50]])  # the deleted article comes back
        writer._writer.commit(optimize=True)  # type: ignore[union-attr]  # one segment: every old one merged away
        writer._writer = whoosh_index.open_dir(str(layout.fulltext_dir(index_dir))).writer()
        writer.commit()
    now = _sidecars(index_dir)
    assert len(now) == 1 and not set(now) & set(old)
    assert health.verify(index_dir).healthy
    searcher = FullTextSearcher(index_dir)
    assert ARTICLES[50].id in dict(searcher.search(searcher.parse(ARTICLES[50].title), 5))
    searcher.close()


def test_every_commit_of_the_writer_writes_its_segments_sidecar(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    index_paths(index_dir, [write_jsonl(tmp_path / "a.jsonl", RECORDS[:30])], IndexSettings(model="none"))
    index_paths(index_dir, [write_jsonl(tmp_path / "b.jsonl", RECORDS[30:60])], IndexSettings(model="none"))
    assert health.verify(index_dir).healthy
    ix = whoosh_index.open_dir(str(layout.fulltext_dir(index_dir)))
    assert len(_sidecars(index_dir)) == len(ix.reader().leaf_readers())
    result = assert_ok(cli("query", "भूकंप", "--index", index_dir, "--mode", "bm25"))
    assert "verify --repair" not in result.output


# --------------------------------------------------------------------------
# kill -9 during the sidecar's write
# --------------------------------------------------------------------------
SIDECAR_POINTS = [
    "before-sidecar",              # Whoosh committed, no sidecar written yet
    "before-rename:sidecar",       # the sidecar written whole under its temporary name
    "after-rename:sidecar",        # the sidecar in place, vectors and manifest not yet
]


@pytest.mark.parametrize("point", SIDECAR_POINTS)
def test_kill_9_during_the_sidecar_write(point: str, hash_index: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    script = lifecycle.CHILD_SCRIPT.replace(
        'target = "toc" if target.endswith(".toc") else target',
        'target = "toc" if target.endswith(".toc") else ("sidecar" if target.endswith(".hsbm25") else target)',
    ).replace('wrap(IndexWriter, "add", "add")',
              'wrap(IndexWriter, "add", "add")\nfrom hsearch.index import bm25_sidecar\n'
              'wrap(bm25_sidecar, "write_sidecar", "sidecar")')
    assert script != lifecycle.CHILD_SCRIPT
    monkeypatch.setattr(lifecycle, "CHILD_SCRIPT", script)
    source = write_jsonl(tmp_path / "batch.jsonl", BATCH)
    before = expected(BASE)
    after = before | expected(BATCH)

    child = Child(tmp_path, hash_index, "index", pause_at=point, HS_SOURCE=str(source))
    seen = child.pause_then_kill()
    assert seen.split()[-1] == point
    leftovers = list(layout.fulltext_dir(hash_index).glob(bm25_sidecar.temporary_pattern()))
    assert bool(leftovers) == (point == "before-rename:sidecar")
    rerun = tmp_path / "rerun"
    shutil.copytree(hash_index, rerun)

    state = check_after_crash(hash_index, before, after, kept=BASE[:1] + BASE[3:])
    assert state == after  # Whoosh had committed before the sidecar was written
    assert health.verify(hash_index).healthy
    searcher = FullTextSearcher(hash_index)
    assert searcher._arrays.complete
    for text in QUERIES[:4]:
        _assert_same(searcher.search(searcher.parse(text), 10), _exhaustive(searcher, text)[:10])
    searcher.close()

    # the next writer clears the half-written file under its lock and writes what is missing
    assert_ok(cli("index", "--index", rerun, source))
    assert not list(layout.fulltext_dir(rerun).glob(bm25_sidecar.temporary_pattern()))
    assert health.verify(rerun).healthy


# --------------------------------------------------------------------------
# the kernels
# --------------------------------------------------------------------------
def test_the_numpy_kernel_is_the_default_and_the_compiled_one_scores_to_the_bit(segmented: Path) -> None:
    from hsearch.search import bm25_kernels

    plain = FullTextSearcher(segmented)
    assert plain._arrays._add is bm25_kernels.numpy_add_term  # a one-shot query never imports numba
    compiled = bm25_kernels.compiled_add_term()
    if compiled is None:
        pytest.skip("numba is not installed (optional: pip install 'hsearch[fast]'); numpy scored everything")
    fast = FullTextSearcher(segmented, compiled=True)
    assert fast._arrays._add is compiled
    for text in QUERIES:
        for k in (1, 10, 100):
            assert fast.search(fast.parse(text), k) == plain.search(plain.parse(text), k)  # same ids, same floats
    plain.close()
    fast.close()


def test_without_numba_preloading_engines_score_with_numpy(segmented: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from hsearch.search import bm25_kernels

    real_import = builtins.__import__

    def no_numba(name: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name == "numba" or name.startswith("numba."):
            raise ImportError("No module named 'numba'")
        return real_import(name, *args, **kwargs)

    bm25_kernels.compiled_add_term.cache_clear()
    monkeypatch.setattr(builtins, "__import__", no_numba)
    try:
        with SearchEngine(segmented, SearchSettings(mode="bm25", preload=True)) as engine:
            assert engine.fulltext._arrays._add is bm25_kernels.numpy_add_term
            _assert_same(engine.rank(QUERIES[0], depth=10).ranked, _exhaustive(engine.fulltext, QUERIES[0])[:10])
    finally:
        monkeypatch.undo()
        bm25_kernels.compiled_add_term.cache_clear()
