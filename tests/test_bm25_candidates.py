"""BM25 top-k without a score per document, and filters as masks from the sidecars' columns.

The array scorer scores a query only at its candidates (MaxScore over the
sidecar's per-term score bounds for a sum of terms; the query's match set
otherwise) and falls back to one score per document where that is cheaper.
Both paths must give Whoosh's ranking, and the same floats as each other;
the date column must let through exactly the articles Whoosh's own
``DateRange`` matches (an undated article never); a sidecar of the format
before the column is found by ``verify`` and rebuilt by ``verify --repair``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh import writing

from hsearch.index import bm25_sidecar, health, layout
from hsearch.index.settings import IndexSettings
from hsearch.index.writer import _document, index_paths
from hsearch.search import array_scorer
from hsearch.search.filters import Filters
from hsearch.search.fulltext import FullTextSearcher
from tests.test_bm25_sidecar import ARTICLES, QUERIES, _assert_same, _exhaustive, _sidecars
from tests.test_lifecycle import RECORDS, assert_ok, cli, write_jsonl

MORE_QUERIES = [  # operators and phrases are ranked densely: the forced candidate path must fall back alike
    "वैज्ञानिक^3 उपकरण चिकित्सा^0.5",                  # boosted words
    "(राष्ट्रपति चुनाव)^2 अमेरिका",                     # a boosted group inside the sum
    "+भूकंप सुनामी चेतावनी",                            # +must with optional words
    '"स्कूल ऑफ़ मेडिसिन"',                              # a phrase alone
    "वैज्ञानिक AND (उपकरण OR चिप) -अमेरिका",
]
FILTERS = [None, Filters(source="अमर उजाला"), Filters.parse(date_from="2021-01-01", date_to="2022-12-31"),
           Filters.parse(date_to="2020-06-30"), Filters.parse(date_from="2024-03-01"),
           Filters.parse(date_from="2022-01-01", date_to="2022-01-01", source="दैनिक जागरण")]


def _index_with_undated(root: Path) -> Path:
    """The seed articles in three segments, every seventh one without a date, two deleted."""
    index_dir = root / "index"
    index_paths(index_dir, [write_jsonl(root / "first.jsonl", RECORDS[:1])], IndexSettings(model="none"))
    ix = whoosh_index.open_dir(str(layout.fulltext_dir(index_dir)))
    articles = [a if i % 7 else replace(a, date=None) for i, a in enumerate(ARTICLES)]
    for part in (articles[1:40], articles[40:80], articles[80:]):
        writer = ix.writer()
        for article in part:
            writer.update_document(**_document(article))
        writer.commit(mergetype=writing.NO_MERGE)
    writer = ix.writer()
    writer.delete_by_term("id", ARTICLES[45].id)
    writer.delete_by_term("id", ARTICLES[85].id)
    writer.commit(mergetype=writing.NO_MERGE)
    bm25_sidecar.write_missing(layout.fulltext_dir(index_dir), ix)
    return index_dir


@pytest.fixture(scope="module")
def undated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _index_with_undated(tmp_path_factory.mktemp("undated"))


def _search(searcher: FullTextSearcher, text: str, k: int, filter_query: wq.Query | None, *, dense: bool,
            monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float]]:
    """Rank through one path: every document scored (``dense``) or the candidates only, whatever the sizes."""
    with monkeypatch.context() as patch:
        patch.setattr(array_scorer, "PATH", "dense" if dense else "candidates")
        return searcher.search(searcher.parse(text), k, filter_query)


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "none" if f is None else "filtered")
def test_candidates_rank_as_whoosh_and_score_as_the_dense_path_to_the_bit(undated: Path, filters: Filters | None,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    searcher = FullTextSearcher(undated)
    assert searcher._arrays.complete
    filter_query = filters.to_whoosh() if filters is not None else None
    for text in QUERIES + MORE_QUERIES:
        exact = _exhaustive(searcher, text, filter_query)
        for k in (1, 3, 10, 100):
            fast = _search(searcher, text, k, filter_query, dense=False, monkeypatch=monkeypatch)
            assert fast == _search(searcher, text, k, filter_query, dense=True, monkeypatch=monkeypatch), (text, k)
            _assert_same(fast, exact[:k])
    searcher.close()


@pytest.mark.parametrize("window", [3, array_scorer.WINDOW], ids=lambda w: f"window-{w}")
@pytest.mark.parametrize("filters", FILTERS[:3], ids=lambda f: "none" if f is None else "filtered")
def test_the_compiled_maxscore_walk_finds_the_same_ranking_to_the_bit(undated: Path, filters: Filters | None,
                                                                     window: int,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled walk takes the documents in windows (of thousands; of 3 here too, so that a segment of the
    seed articles has a dozen, and terms turn non-essential between them)."""
    from hsearch.search.maxscore import compiled_maxscore

    if compiled_maxscore() is None:
        pytest.skip("numba is not installed (optional: pip install 'hsearch[fast]'); the numpy walk ranked")
    monkeypatch.setattr(array_scorer, "WINDOW", window)
    plain, compiled = FullTextSearcher(undated), FullTextSearcher(undated, compiled=True)
    assert compiled._arrays._daat is not None and plain._arrays._daat is None
    filter_query = filters.to_whoosh() if filters is not None else None
    for text in QUERIES + MORE_QUERIES:
        for k in (1, 3, 10, 100):
            dense = _search(plain, text, k, filter_query, dense=True, monkeypatch=monkeypatch)
            assert _search(compiled, text, k, filter_query, dense=False, monkeypatch=monkeypatch) == dense, (text, k)
    plain.close()
    compiled.close()


def test_small_segments_are_scored_densely_large_ones_at_candidates_light_queries_too_when_compiled() -> None:
    """The measured rule (bench.bm25_paths, bench.latency): the dense array in a 100k archive's segments whatever
    the query; MaxScore in large segments: the compiled walk for every query from 200k documents, numpy's from
    500k for a query with at least half a posting per document."""
    for compiled in (True, False):
        assert not array_scorer.use_candidates(50_000, 150_000, compiled=compiled)  # a 100k archive's segment
        assert array_scorer.use_candidates(1_000_000, 700_000, compiled=compiled)
    assert array_scorer.use_candidates(500_000, 20_000, compiled=True)  # a light query in a 1M archive's segment
    assert not array_scorer.use_candidates(500_000, 20_000, compiled=False)
    assert array_scorer.use_candidates(300_000, 200_000, compiled=True)
    assert not array_scorer.use_candidates(300_000, 200_000, compiled=False)


def test_maxscore_reads_only_the_candidates_a_rare_word_leaves_for_a_common_one(
        undated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``दुर्घटना`` (accident) is in a few articles, ``समय`` (time) in many: for the best one, once the rare
    word's articles are in, the common word's bound cannot lift any other article to the top, so the common
    word is only looked up at those few candidates rather than merged in whole."""
    searcher = FullTextSearcher(undated)
    scorer = searcher._arrays

    def held(text: str, seg: array_scorer._Segment) -> set[int]:
        found = [scorer._term_postings(term, seg) for term in searcher.parse(text).leaves()]
        return {int(d) for f in found if f is not None for d in f[0]}

    seg = max(scorer._segments, key=lambda s: len(held("समय", s)) if held("दुर्घटना", s) else 0)
    rare, common = held("दुर्घटना", seg), held("समय", seg)
    assert rare and len(common) > 3 * len(rare)
    monkeypatch.setattr(array_scorer, "PATH", "candidates")
    candidates = scorer._candidates(searcher.parse("दुर्घटना समय"), seg, None, seg.live, 1, {})
    assert candidates is not None and set(candidates.tolist()) <= rare
    searcher.close()


def test_each_terms_impacts_are_the_postings_no_other_beats_on_weight_and_length(undated: Path) -> None:
    """A term's bound is the best score of its impacts: each impact is one of its postings' (weight, length byte),
    every posting is matched or beaten by one (a weight at least as high in a field at most as long), and none
    beats another, so the best of them is the term's best score whatever the average length."""
    fulltext = layout.fulltext_dir(undated)
    ix = whoosh_index.open_dir(str(fulltext))
    several = 0
    with bm25_sidecar.segment_readers(ix) as segments:
        for reader, segment_id in segments:
            sidecar = bm25_sidecar.open_sidecar(fulltext, segment_id, reader.doc_count_all(), ["title", "body"])
            for name, field in sidecar.fields.items():
                for i in range(len(field)):
                    docs, weights = field.postings_at(i)
                    impacts = list(zip(*(a.tolist() for a in field.impacts(i))))
                    if not len(docs):  # a term of the lexicon with no postings left: never scored
                        assert impacts == [], (name, field._term(i).decode())
                        continue
                    pairs = set(zip(weights.tolist(), field.length_bytes[docs].tolist()))
                    assert set(impacts) <= pairs, (name, field._term(i).decode())
                    assert all(any(w <= iw and n >= il for iw, il in impacts) for w, n in pairs)
                    assert all(not (w2 >= w1 and n2 <= n1) for (w1, n1) in impacts for (w2, n2) in impacts
                               if (w1, n1) != (w2, n2))
                    several += len(impacts) > 1
    assert several > 20  # a common word's longer articles hold it more often: several impacts


DATE_RANGES = [
    (datetime(2021, 1, 1), datetime(2022, 12, 31, 23, 59, 59)),
    (None, datetime(2020, 6, 30)),
    (datetime(2024, 3, 1), None),
    (datetime(2022, 1, 1), datetime(2022, 1, 1)),      # one day, both ends inclusive
    (datetime(2023, 5, 1), datetime(2021, 1, 1)),      # an empty range
]


@pytest.mark.parametrize("start,end", DATE_RANGES)
@pytest.mark.parametrize("excl", [(False, False), (True, True)])
def test_the_date_column_lets_through_what_whooshs_date_range_matches(undated: Path, start: datetime | None,
                                                                      end: datetime | None,
                                                                      excl: tuple[bool, bool]) -> None:
    searcher = FullTextSearcher(undated)
    scorer = searcher._arrays
    query = wq.DateRange("date", start, end, startexcl=excl[0], endexcl=excl[1])
    undated_seen = 0
    for seg in scorer._segments:
        assert seg.sidecar is not None and "date" in seg.sidecar.numeric
        column = seg.sidecar.numeric["date"]
        undated_seen += int((~column.present).sum())
        mask = scorer._mask_of(seg, query)
        whoosh = np.zeros(seg.size, dtype=bool)
        whoosh[np.fromiter(query.docs(seg.searcher), dtype=np.int64)] = True
        live = seg.live if seg.live is not None else np.ones(seg.size, dtype=bool)
        assert np.array_equal(mask & live, whoosh & live), (start, end, excl)
    assert undated_seen >= len(ARTICLES) // 7  # the undated articles are in the column, as absent
    searcher.close()


@pytest.mark.parametrize("filters", FILTERS[1:], ids=str)
def test_the_vector_sides_ids_are_the_articles_the_filter_lets_through(undated: Path, filters: Filters) -> None:
    searcher = FullTextSearcher(undated)
    decoded = {searcher._searcher.stored_fields(n)["id"] for n in filters.to_whoosh().docs(searcher._searcher)}
    first = searcher.ids_matching(filters.to_whoosh())
    assert first == decoded
    assert searcher.ids_matching(filters.to_whoosh()) is first  # asked again: the kept set
    searcher.close()


def _as_format_2(path: Path) -> None:
    """Rewrite a sidecar's header as the format before the bounds and the date column (arrays left in place)."""
    data = path.read_bytes()
    trailer = bm25_sidecar._TRAILER
    offset, length, _ = trailer.unpack(data[-trailer.size:])
    header = json.loads(data[offset:offset + length])
    header["format_version"] = 2
    del header["numeric"]
    for spec in header["fields"].values():
        del spec["impact_starts"], spec["impact_weights"], spec["impact_length_bytes"], spec["doc_frequencies"]
    text = json.dumps(header).encode()
    path.write_bytes(data[:offset] + text + trailer.pack(offset, len(text), bm25_sidecar.MAGIC))


def test_a_sidecar_without_the_date_column_is_found_by_verify_and_rebuilt_with_it(undated: Path,
                                                                                tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(undated, index_dir)
    old = _sidecars(index_dir)[0]
    _as_format_2(old)
    filters = Filters.parse(date_from="2021-01-01", date_to="2022-12-31")
    searcher = FullTextSearcher(index_dir)
    assert not searcher._arrays.complete  # scored through Whoosh meanwhile: right, slower
    expected = _exhaustive(searcher, QUERIES[0], filters.to_whoosh())
    _assert_same(searcher.search(searcher.parse(QUERIES[0]), 100, filters.to_whoosh()), expected[:100])
    searcher.close()

    report = health.verify(index_dir)
    assert len(report.sidecar_problems) == 1 and f"of format 2, not {bm25_sidecar.FORMAT_VERSION}" in report.sidecar_problems[0]
    assert_ok(cli("verify", "--repair", "--index", index_dir))
    assert health.verify(index_dir).healthy
    fulltext = layout.fulltext_dir(index_dir)
    ix = whoosh_index.open_dir(str(fulltext))
    with bm25_sidecar.segment_readers(ix) as segments:
        for reader, segment_id in segments:
            assert "date" in bm25_sidecar.open_sidecar(fulltext, segment_id, reader.doc_count_all(),
                                                       ["title", "body"]).numeric
    searcher = FullTextSearcher(index_dir)
    assert searcher._arrays.complete
    _assert_same(searcher.search(searcher.parse(QUERIES[0]), 100, filters.to_whoosh()), expected[:100])
    searcher.close()


def test_the_next_commit_brings_a_sidecar_of_an_older_format_up_to_date(undated: Path, tmp_path: Path) -> None:
    """An upgraded hsearch scores an old segment through Whoosh until its sidecar is rebuilt: adding articles
    (any commit) rebuilds it, as verify --repair does, without a checksum pass over the sidecars."""
    index_dir = tmp_path / "index"
    shutil.copytree(undated, index_dir)
    old = _sidecars(index_dir)[0]
    _as_format_2(old)
    assert bm25_sidecar.format_of(old) == 2
    later = {**RECORDS[0], "id": "later-1", "title": "सियोल में नई बैठक", "body": "किम और पुतिन की नई बैठक हुई।"}
    index_paths(index_dir, [write_jsonl(tmp_path / "later.jsonl", [later])], IndexSettings(model="none"))
    assert {bm25_sidecar.format_of(path) for path in _sidecars(index_dir)} == {bm25_sidecar.FORMAT_VERSION}
    assert health.verify(index_dir).sidecar_problems == []
    searcher = FullTextSearcher(index_dir)
    assert searcher._arrays.complete
    searcher.close()


def _holders_by_whoosh(searcher: FullTextSearcher, terms: list[str], ids: list[str]) -> dict[str, set[str]]:
    """Which terms each article holds, read from Whoosh's own postings (the reference)."""
    whoosh_searcher = searcher._searcher
    found: dict[str, set[str]] = {article_id: set() for article_id in ids}
    for term in terms:
        for field in ("title", "body"):
            reader = whoosh_searcher.reader()
            if (field, term) not in reader:
                continue
            for number in reader.postings(field, term).all_ids():
                article_id = whoosh_searcher.stored_fields(number)["id"]
                if article_id in found:
                    found[article_id].add(term)
    return found


@pytest.mark.parametrize("compiled", [False, True], ids=["numpy", "compiled"])
def test_the_words_an_article_holds_are_read_from_the_sidecars_as_whoosh_has_them(undated: Path, compiled: bool,
                                                                                  tmp_path: Path) -> None:
    """The relevance decision's word coverage: which query words each candidate holds, in headline or body
    (postings searched with numpy, or by the compiled kernel where engines have numba)."""
    from hsearch.index.analysis import analyze
    from hsearch.search.bm25_kernels import compiled_holding

    if compiled and compiled_holding() is None:
        pytest.skip("numba is not installed (optional: pip install 'hsearch[fast]')")
    terms = sorted(set(analyze("वैज्ञानिक उपकरण चिकित्सा भूकंप सुनामी चेतावनी अमेरिका राष्ट्रपति चुनाव कुर्स्क")))
    ids = [a.id for a in ARTICLES] + ["no-such-article"]
    with_sidecars = FullTextSearcher(undated, compiled=compiled)
    assert (with_sidecars._arrays._holding is not None) == compiled
    expected = _holders_by_whoosh(with_sidecars, terms, ids)
    assert sum(map(len, expected.values())) > 20  # the words are held, by many articles
    assert with_sidecars.matched_terms(terms, ids) == expected
    without = Path(shutil.copytree(undated, tmp_path / "no-sidecars"))
    for sidecar in layout.fulltext_dir(without).glob("*.hsbm25"):
        sidecar.unlink()  # a segment without its sidecar reads Whoosh's postings
    assert FullTextSearcher(without).matched_terms(terms, ids) == expected
