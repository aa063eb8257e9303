"""Property tests: the analyzer and the query path never fail, whatever text they get.

Inputs mix arbitrary Unicode (unpaired surrogates included: a query typed as
invalid UTF-8 reaches Python that way), control and format characters, lone
Devanagari combining marks (ि U+093F and ् U+094D with nothing to attach to),
very long tokens, words from real Hindi news in several scripts, empty
strings, and every character and keyword of Whoosh's query syntax.
"""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from whoosh import query as wq

from hsearch.index.analysis import analyze, hindi_analyzer
from hsearch.index.settings import IndexSettings
from hsearch.search import query_parser
from hsearch.search.filters import Filters
from hsearch.search.request import SearchRequest

from .conftest import RECORDS, SEED_ARTICLE
CORPUS = RECORDS[:12]
WORDS = sorted({w for r in CORPUS[:4] for w in (r["title"] + " " + r["body"]).split()}
               | set(SEED_ARTICLE.read_text(encoding="utf-8").split()[:60]))

SYNTAX = ["(", ")", '"', "+", "-", ":", "*", "?", "~", "^", "[", "]", "{", "}", "AND", "OR", "NOT", "TO",
          "ANDNOT", "ANDMAYBE", "\\", "/", "'", "title:", "body:", "id:", "*:*", "~2", "^3", "[a TO z]", "{1 TO}",
          "<", ">", "=", "!", "&&", "||"]
MARKS = ["\u093f", "\u094d", "\u0902", "\u0901", "\u0903", "\u093c", "\u0900", "\u200c", "\u200d", "\u2060",
         "\u00ad", "\ufeff", "\u0300", "\u0964", "\u0965"]
SCRIPTS = ["किम", "जोंग-उन", "Kim", "Путин", "北朝鮮", "كوريا", "কোরিয়া", "கொரியா", "Ελλάδα", "😀", "5,000", "१२३",
           "दु:ख", "सियोल:", "80वीं", "5जी", "C++", "e-mail", "U.S.A.", "3.14", "15.08.2025"]

any_char = st.characters(codec=None, categories=None)  # every code point, surrogates included
controls = st.characters(categories=["Cc", "Cf", "Cs", "Zl", "Zp", "Co"])
devanagari = st.characters(min_codepoint=0x0900, max_codepoint=0x097F)
piece = st.one_of(
    st.text(),
    st.text(any_char, max_size=20),
    st.text(devanagari, max_size=20),
    st.text(controls, max_size=5),
    st.sampled_from(MARKS),
    st.sampled_from(SYNTAX),
    st.sampled_from(SCRIPTS),
    st.sampled_from(WORDS),
    st.builds(lambda c, n: c * n, st.sampled_from(["क", "a", "\u094d", "9", "कि"]), st.integers(100, 3000)),
    st.text(st.sampled_from(string.whitespace + "\u00a0\u2028\u3000"), max_size=3),
)
hostile = st.one_of(
    st.just(""),
    st.lists(piece, max_size=10).map(" ".join),
    st.lists(piece, max_size=10).map("".join),
)
EXAMPLES = ["", " ", "\u093f", "\u094d", "\u094d\u094d\u094d", "ि्", "()", '"', '"""', "AND", "OR", "NOT",
            "NOT NOT", "a AND", "AND OR NOT", "+", "-", "+-", "-(", "*", "?", "~", "^", "[", "]", "{", "}",
            "title:", ":", "::", "\x00", "\udcff", "क\udcffख", "\u200d", "क" * 5000, "(((((किम", "किम)))))",
            '"किम जोंग', "पुतिन^", "पुतिन~", "*पुतिन*", "[पुतिन TO किम]", "पुतिन AND -किम", "-पुतिन", "+पुतिन +किम"]


def examples(*values: str, **fixed: object):  # type: ignore[no-untyped-def]
    """Apply ``@example(text=value, **fixed)`` for each value: the hand-picked cases always run."""
    def decorate(test):  # type: ignore[no-untyped-def]
        for value in reversed(values):
            test = example(text=value, **fixed)(test)
        return test
    return decorate


# --------------------------------------------------------------------------
# The analyzer
# --------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@examples(*EXAMPLES)
@given(text=hostile)
def test_analyze_returns_clean_terms(text: str) -> None:
    terms = analyze(text)
    assert isinstance(terms, list)
    for term in terms:
        assert isinstance(term, str) and term
        assert not any(ch.isspace() for ch in term)


@settings(max_examples=300, deadline=None)
@examples(*EXAMPLES, start=0)
@given(text=hostile, start=st.integers(0, 1000))
def test_analyzer_offsets_and_positions_are_in_range(text: str, start: int) -> None:
    tokens = [(t.text, t.pos, t.startchar, t.endchar)
              for t in hindi_analyzer()(text, positions=True, chars=True, start_char=start)]
    last_pos, last_end = -1, start
    for term, pos, startchar, endchar in tokens:
        assert last_end <= startchar < endchar <= start + len(text)
        assert pos > last_pos
        assert text[startchar - start:endchar - start].strip()  # the span is a word, not space
        last_pos, last_end = pos, endchar
    assert [term for term, *_ in tokens] == analyze(text)


@settings(max_examples=200, deadline=None)
@examples(*EXAMPLES)
@given(text=hostile)
def test_queries_and_documents_are_analysed_alike(text: str) -> None:
    analyzer = hindi_analyzer()
    as_query = [t.text for t in analyzer(text, mode="query")]
    as_document = [t.text for t in analyzer(text, mode="index")]
    assert as_query == as_document


# --------------------------------------------------------------------------
# The query path
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from hsearch.index.writer import index_paths
    from hsearch.search.engine import SearchEngine, SearchSettings

    root = tmp_path_factory.mktemp("property-index")
    source = root / "corpus.jsonl"
    dated = [{**r, "date": f"2025-08-{1 + i:02d}"} for i, r in enumerate(CORPUS)]
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in dated), encoding="utf-8")
    (root / "news").mkdir()
    (root / "news" / SEED_ARTICLE.name).write_bytes(SEED_ARTICLE.read_bytes())
    index_paths(root / "index", [source, root / "news"], IndexSettings(model="none"))
    with SearchEngine(root / "index", SearchSettings(mode="bm25")) as opened:
        yield opened


@pytest.fixture(scope="module")
def all_ids(engine) -> set[str]:  # type: ignore[no-untyped-def]
    return set(engine.fulltext.all_ids())


@settings(max_examples=300, deadline=None)
@examples(*EXAMPLES)
@given(text=hostile)
def test_parse_never_fails(text: str) -> None:
    from hsearch.index.schema import build_schema

    parser = query_parser.make_parser(build_schema())
    parsed = query_parser.parse(parser, text)
    assert isinstance(parsed, wq.Query)
    terms = query_parser.positive_terms(parsed)
    assert all(isinstance(term, str) for term in terms)


def _whoosh_reading(parser: query_parser.QueryParser, text: str) -> wq.Query:
    """What Whoosh's parser makes of ``text`` (the reading ``parse`` chooses), without the plain-words path."""
    chosen = parser.text if query_parser.is_pasted_text(text) else \
        parser.signs if query_parser.is_prose(text) else parser.operators
    return query_parser._exclude_nots(chosen.parse(text))


@settings(max_examples=300, deadline=None)
@examples(*EXAMPLES, "भारत भारत पाकिस्तान", "covid-19 vaccine", "U.S. election", "मोदी/शाह", "foo\u3000bar", "and or not",
          "don't stop", "Kim's visit to Russia", "students' union", "state-of-the-art AI", "it's 'quoted' here",
          "e-mail +x", "C++ code", "रूस-यूक्रेन युद्ध", "भारत' संघ", "किम REQUIRE पुतिन", "a - b")
@given(text=hostile)
def test_plain_words_are_read_as_whoosh_reads_them(text: str) -> None:
    from hsearch.index.schema import build_schema

    parser = query_parser.make_parser(build_schema())
    plain = query_parser._plain_words(parser.schema, text)
    if plain is not None:
        assert plain == _whoosh_reading(parser, text) and repr(plain) == repr(_whoosh_reading(parser, text))


def test_real_headlines_and_questions_take_the_plain_path_and_parse_as_whoosh_does() -> None:
    """Headlines and sentences of the seed stories (and a few typed questions): the same query, term for term."""
    from hsearch.index.schema import build_schema

    parser = query_parser.make_parser(build_schema())
    texts = [r["title"] for r in RECORDS] + [sentence for r in RECORDS[:20] for sentence in r["body"].split("।")]
    texts += ["कुर्स्क में यूक्रेन का हमला", "Kim Jong Un meets Putin", "kursk mein hamla", "पुतिन किम से मिले"]
    plain = [text for text in texts if query_parser._plain_words(parser.schema, text) is not None]
    assert len(plain) >= len(texts) // 2  # most real queries need no parser
    for text in plain:
        assert query_parser._plain_words(parser.schema, text) == _whoosh_reading(parser, text), text
    assert query_parser._plain_words(parser.schema, "किम -पुतिन") is None  # syntax: Whoosh's parser reads it
    assert query_parser._plain_words(parser.schema, "किम NOT पुतिन") is None
    assert query_parser._plain_words(parser.schema, "किम REQUIRE पुतिन") is None
    # a hyphen or an apostrophe inside a word is text, read without the parser as the parser reads it
    for text in ("Russia-Ukraine war and Kim's visit", "रूस-यूक्रेन युद्ध में किम", "the students' union didn't meet"):
        plain = query_parser._plain_words(parser.schema, text)
        assert plain is not None and plain == _whoosh_reading(parser, text), text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@examples(*EXAMPLES)
@given(text=hostile)
def test_bm25_search_always_returns_a_list(engine, all_ids: set[str], text: str) -> None:  # type: ignore[no-untyped-def]
    hits = engine.search(SearchRequest.of(text, mode="bm25", k=5)).hits
    assert isinstance(hits, list) and len(hits) <= 5
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert len({h.id for h in hits}) == len(hits) and {h.id for h in hits} <= all_ids
    assert all(isinstance(segment.text, str) for h in hits for segment in h.snippet)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words=st.lists(st.sampled_from(WORDS + SYNTAX + MARKS), min_size=1, max_size=6),
       day=st.integers(1, 12), span=st.integers(0, 12))
def test_filtered_search_on_real_words_stays_in_the_filter(engine, words: list[str], day: int,  # type: ignore[no-untyped-def]
                                                           span: int) -> None:
    filters = Filters.parse(date_from=f"2025-08-{day:02d}", date_to=f"2025-08-{min(day + span, 28):02d}")
    hits = engine.search(SearchRequest.of(" ".join(words), mode="bm25", k=20, filters=filters)).hits
    assert isinstance(hits, list)
    for hit in hits:
        assert hit.date is not None and filters.date_from <= hit.date <= filters.date_to


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=st.sampled_from(CORPUS), noise=st.lists(st.sampled_from(SYNTAX + MARKS), max_size=4))
def test_a_headline_finds_its_article_despite_syntax_noise_around_it(engine, record: dict[str, str],  # type: ignore[no-untyped-def]
                                                                     noise: list[str]) -> None:
    plain = "".join(" " if ch in "-+\"():*?~^[]{}" else ch for ch in record["title"])
    assume(analyze(plain))
    # Syntax noise may turn the query into something stricter, but never into an error.
    hits = engine.search(SearchRequest.of(" ".join(noise) + " " + plain + " " + " ".join(noise), mode="bm25", k=len(CORPUS) + 1)).hits
    assert isinstance(hits, list)
    if not noise:
        assert record["id"] in [h.id for h in hits]


def test_a_hyphen_inside_a_word_is_not_a_not(engine) -> None:  # type: ignore[no-untyped-def]
    record = next(r for r in CORPUS if "7-2" in r["title"])
    assert record["id"] in [h.id for h in engine.search(SearchRequest.of(record["title"], mode="bm25", k=5)).hits]
