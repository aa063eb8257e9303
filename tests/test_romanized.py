"""Romanized Hindi and Latin-script names find Devanagari articles; English stays English."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from hsearch.index import health, keytable, layout
from hsearch.index.keytable import KeyTable
from hsearch.index.romanize import loose_key, romanize, term_key
from hsearch.index.settings import IndexSettings
from hsearch.index.writer import index_paths
from hsearch.search.cli import main
from hsearch.search.engine import SearchEngine
from hsearch.search.expansion import Expander, expand_query, key_edits
from hsearch.search.engine_pool import EnginePool
from hsearch.search.server import create_app
from hsearch.search.request import SearchRequest

from .conftest import SEED_ARTICLE_ID, SEEDS


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# -- keys ----------------------------------------------------------------------
@pytest.mark.parametrize(("typed", "term"), [
    ("chunav", "चुनाव"), ("chunaav", "चुनाव"), ("samarthan", "समर्थन"), ("kursk", "कुर्स्क"),
    ("putin", "पुतिन"), ("sarkar", "सरकार"), ("sarkaar", "सरकार"), ("hindi", "हिंदी"), ("sambandh", "संबंध"),
    ("mein", "में"), ("poora", "पूर"), ("gyan", "ज्ञान"), ("dollar", "डॉलर"), ("vishv", "विश्व"), ("vishwa", "विश्व"),
])
def test_typed_romanizations_share_the_key_of_the_devanagari_term(typed: str, term: str) -> None:
    assert loose_key(typed) == term_key(term)


def test_romanization_deletes_the_schwas_hindi_does_not_say() -> None:
    assert romanize("समर्थन") == "samarthan"
    assert romanize("सरकार") == "sarkaar"
    assert romanize("कुर्स्क") == "kursk"
    assert romanize("कमल") == "kamal"


def test_different_words_keep_different_keys() -> None:
    assert term_key("चुनाव") != term_key("समर्थन")
    assert loose_key("kim") != loose_key("kam")


def test_the_stored_stopword_keys_are_the_romanizers_and_a_stale_file_is_not_read(tmp_path: Path) -> None:
    """The keys of ``के``, ``की``, ``है``, ``में`` are stored so that a one-shot Latin query does not import the
    transliterator; if this fails, regenerate: ``python -c "from hsearch.index.keytable import
    write_stopword_keys; write_stopword_keys()"``."""
    assert keytable.stopword_keys() == keytable.computed_stopword_keys()
    assert {loose_key("ke"), loose_key("ki"), loose_key("hai"), loose_key("mein")} <= keytable.stopword_keys()
    stale = tmp_path / "keys.txt"
    stale.write_text("# keys-0 of stopwords 0000\nzzz\n", encoding="utf-8")  # an older romanizer's keys
    assert keytable.stopword_keys(stale) == keytable.computed_stopword_keys()
    assert keytable.stopword_keys(keytable.write_stopword_keys(tmp_path / "fresh.txt")) == \
        keytable.computed_stopword_keys()


# -- expansion over a word list ---------------------------------------------------------
@pytest.fixture()
def small_expander() -> Expander:
    table = KeyTable.from_frequencies({"चुनाव": 40, "चुन": 12, "समर्थन": 30, "समर्थ": 5, "कुर्स्क": 1,
                                       "सरकार": 90, "सकार": 2, "किम": 3, "पुतिन": 8})
    return Expander(table)


WORDS = {"चुनाव": 40, "चुन": 12, "समर्थन": 30, "समर्थ": 5, "कुर्स्क": 1, "सरकार": 90, "सकार": 2, "किम": 3, "पुतिन": 8}


def test_a_table_holding_its_keys_in_memory_finds_what_sqlite_finds() -> None:
    """A preloading engine's table asks SQLite only for keys it may hold; it must find the same terms."""
    plain = KeyTable.from_frequencies(WORDS)
    held = KeyTable.from_frequencies(WORDS, keys_in_memory=True)
    asked = {loose_key(w) for w in ("chunav", "sarkar", "sarakr", "kursk", "putin", "north", "korea", "")}
    asked |= {edit for key in list(asked) if len(key) >= 3 for edit in key_edits(key)}
    assert held.lookup(asked) == plain.lookup(asked) and plain.lookup(asked)
    assert held._may_hold(sorted(asked)) != sorted(asked)  # the edits no term has never reach SQLite
    for word in ("chunavon", "sarakr", "samarthan", "Korea", "putin"):
        assert Expander(held).candidates(word) == Expander(plain).candidates(word), word
    assert KeyTable.from_frequencies({}, keys_in_memory=True).lookup(asked) == {}


def test_a_romanized_word_expands_to_its_term_first(small_expander: Expander) -> None:
    assert small_expander.candidates("chunav")[0].term == "चुनाव"
    assert small_expander.candidates("samarthan")[0].term == "समर्थन"
    assert small_expander.candidates("kursk")[0].term == "कुर्स्क"


def test_an_inflected_romanized_word_meets_the_stem(small_expander: Expander) -> None:
    best = small_expander.candidates("chunavon")[0]
    assert best.term == "चुनाव" and best.match == "inflected"


def test_a_misspelt_romanized_word_meets_its_term_one_key_edit_away(small_expander: Expander) -> None:
    best = small_expander.candidates("sarakr")[0]  # सरकार typed with a slip
    assert best.term == "सरकार"
    assert best.match in ("exact", "near")


def test_exact_matches_outweigh_near_ones(small_expander: Expander) -> None:
    weights = {c.term: c.weight for c in small_expander.candidates("samarthan")}
    assert weights["समर्थन"] == 1.0
    assert weights.get("समर्थ", 0.0) < 1.0


def test_english_words_are_left_english(small_expander: Expander) -> None:
    plan = small_expander.plan("North Korea", [("north", 0, 5), ("korea", 6, 11)])
    assert [w.kind for w in plan.words] == ["english", "english"]
    assert plan.replacements() == {} and plan.semantic_text == "North Korea" and not plan.romanized


def test_a_romanized_query_is_transliterated_for_the_semantic_side(small_expander: Expander) -> None:
    text = "kursk putin samarthan"
    plan = small_expander.plan(text, [("kursk", 0, 5), ("putin", 6, 11), ("samarthan", 12, 21)])
    assert plan.romanized
    assert plan.semantic_text == "कुर्स्क पुतिन समर्थन"
    assert plan.replacements()["samarthan"][0] == ("समर्थन", 1.0)


def test_a_name_in_an_english_query_is_searched_in_both_scripts(small_expander: Expander) -> None:
    plan = small_expander.plan("Putin support", [("putin", 0, 5), ("support", 6, 13)])
    kinds = {w.word: w.kind for w in plan.words}
    assert kinds == {"putin": "name", "support": "english"}
    assert plan.replacements() == {"putin": [("पुतिन", 1.0)]}
    assert plan.semantic_text == "Putin support"  # English for the encoder, as typed


def test_expansion_keeps_the_typed_term_beside_its_alternatives() -> None:
    from whoosh import query as wq

    q = wq.Or([wq.Term("body", "kursk"), wq.Term("body", "युद्ध")])
    expanded = expand_query(q, {"kursk": [("कुर्स्क", 0.9)]})
    terms = {(t.text, round(t.boost, 2)) for t in expanded.leaves()}
    assert terms == {("kursk", 1.0), ("कुर्स्क", 0.9), ("युद्ध", 1.0)}


def test_a_devanagari_near_miss_is_corrected(small_expander: Expander) -> None:
    fix = small_expander.correction("कुर्सक")  # the virama left out
    assert fix is not None and fix.term == "कुर्स्क"
    assert small_expander.correction("कुर्स्क") is None  # a held term is never corrected


# -- on the seed corpus, through the engine, the CLI and the API --------------------------
def test_kursk_in_latin_letters_puts_the_seed_story_first(seed_engine: SearchEngine) -> None:
    for query in ("Kursk", "kursk", "kursk putin samarthan"):
        assert seed_engine.search(SearchRequest.of(query, k=1)).hits[0].id == SEED_ARTICLE_ID, query


def test_the_bm25_side_finds_a_romanized_word_only_when_expanded(seed_engine: SearchEngine) -> None:
    assert seed_engine.rank("samarthan", mode="bm25", expand=False).ranked == []
    ranked = seed_engine.rank("samarthan", mode="bm25").ranked
    assert SEED_ARTICLE_ID in [doc for doc, _ in ranked]


def test_the_readme_english_query_ranks_as_without_expansion(seed_engine: SearchEngine) -> None:
    query = "North Korea Russia support"
    expanded = seed_engine.rank(query, depth=20)
    plain = seed_engine.rank(query, depth=20, expand=False)
    assert expanded.ranked == plain.ranked
    assert expanded.ranked[0][0] == SEED_ARTICLE_ID


def test_cli_finds_kursk_and_explains_the_expansion(seed_index: Path) -> None:
    result = run("query", "Kursk", "--index", str(seed_index), "--explain", "-k", "3")
    assert result.exit_code == 0, result.output
    assert "expanded: kursk -> कुर्स्क (exact 1.00)" in result.output
    assert "semantic side embeds: कुर्स्क" in result.output
    first = next(line for line in result.output.splitlines() if line.startswith(" 1. "))
    assert first.startswith(" 1. North Korea Russia Support:")


def test_cli_no_expand_searches_the_words_as_typed(seed_index: Path) -> None:
    expanded = run("query", "chunav", "--index", str(seed_index), "--mode", "bm25")
    assert "चुनाव" in expanded.output
    plain = run("query", "chunav", "--index", str(seed_index), "--mode", "bm25", "--no-expand")
    assert plain.exit_code == 0 and plain.output.startswith("no results")


def test_cli_shows_results_for_the_corrected_spelling_with_a_way_back(seed_index: Path) -> None:
    result = run("query", "कुर्सक", "--index", str(seed_index), "-k", "1")
    assert result.output.splitlines()[0].startswith("showing results for: कुर्स्क")
    assert "hsearch query --no-expand 'कुर्सक'" in result.output
    assert f"id {SEED_ARTICLE_ID}" in result.output
    exact = run("query", "कुर्सक", "--index", str(seed_index), "-k", "1", "--mode", "bm25", "--no-expand")
    assert "showing results for" not in exact.output and exact.output.startswith("no results")


def test_cli_json_keeps_stdout_data_and_says_the_correction_on_stderr(seed_index: Path) -> None:
    result = CliRunner().invoke(main, ["query", "कुर्सक", "--index", str(seed_index), "--json", "-k", "1"])
    assert json.loads(result.stdout.splitlines()[0])["id"] == SEED_ARTICLE_ID
    assert "showing results for: कुर्स्क" in result.stderr


@pytest.fixture(scope="module")
def client(seed_index: Path):
    pool = EnginePool(seed_index, size=1)
    with TestClient(create_app(pool), raise_server_exceptions=False) as test_client:
        yield test_client
    pool.close()


def test_api_reports_expansions_and_corrections_and_expand_false_turns_them_off(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "kursk", "k": 1}).json()
    assert body["results"][0]["id"] == SEED_ARTICLE_ID
    assert body["expanded"] is True
    assert body["expansions"] == [{"word": "kursk", "kind": "hindi",
                                   "terms": [{"term": "कुर्स्क", "weight": 1.0, "match": "exact"}]}]
    corrected = client.get("/api/search", params={"q": "कुर्सक", "k": 1}).json()
    assert corrected["showing_results_for"] == "कुर्स्क"
    off = client.get("/api/search", params={"q": "कुर्सक", "k": 1, "mode": "bm25", "expand": "false"}).json()
    assert off["expanded"] is False and off["showing_results_for"] is None and off["count"] == 0


# -- the key table is derived data -------------------------------------------------------
@pytest.fixture()
def text_index(tmp_path: Path) -> Path:
    target = tmp_path / "index"
    index_paths(target, [SEEDS / "000_d92fd9f8a8b58e48.txt"], IndexSettings(model="none"))
    return target


def test_indexing_writes_a_current_key_table_with_the_terms(text_index: Path) -> None:
    assert keytable.read_stamp(text_index) == keytable.stamp_of(text_index)
    table = KeyTable.open(text_index)
    try:
        assert [t.term for t in table.lookup(["kursk"])["kursk"]] == ["कुर्स्क"]
        assert table.document_frequency("समर्थन") == 1
    finally:
        table.close()


def test_a_missing_key_table_is_reported_rebuilt_by_repair_and_never_blocks_a_query(text_index: Path) -> None:
    layout.keys_path(text_index).unlink()
    report = health.verify(text_index)
    assert not report.healthy and any("romanized query keys" in p for p in report.problems)
    with SearchEngine(text_index) as engine:  # built in memory meanwhile
        assert engine.search(SearchRequest.of("kursk", k=1)).hits[0].id == SEED_ARTICLE_ID
    health.repair(text_index)
    assert health.verify(text_index).healthy
    assert keytable.read_stamp(text_index) == keytable.stamp_of(text_index)


def test_a_stale_or_damaged_table_is_not_read(text_index: Path, tmp_path: Path) -> None:
    shutil.copy(layout.keys_path(text_index), tmp_path / "old.sqlite")
    index_paths(text_index, [SEEDS / "wikinews-flores-hi.jsonl"])  # a commit brings the table up to date
    assert keytable.read_stamp(text_index) == keytable.stamp_of(text_index)
    for delta in keytable.deltas_of(text_index):  # an older table put back (without the commit's delta)
        delta.unlink()
    shutil.copy(tmp_path / "old.sqlite", layout.keys_path(text_index))
    assert keytable.read_stamp(text_index) != keytable.stamp_of(text_index)
    assert not health.verify(text_index).healthy
    layout.keys_path(text_index).write_bytes(b"not a database")
    assert keytable.read_stamp(text_index) is None
    with SearchEngine(text_index) as engine:
        assert engine.search(SearchRequest.of("kursk", k=1)).hits[0].id == SEED_ARTICLE_ID


# -- the key table grows with each commit instead of being rebuilt -------------------------------------------
def stored_terms(path: Path) -> dict[str, tuple[str, str, int]]:
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return {term: (key, spelling, df) for term, key, spelling, df in
                db.execute("SELECT term, key, spelling, df FROM terms")}


def table_terms(index_dir: Path) -> dict[str, tuple[str, str, int]]:
    """Every term of the stored table, base and deltas together, as a reader sees them."""
    table = KeyTable.open(index_dir)
    try:
        assert table.stamp == keytable.read_stamp(index_dir)  # the stored one, not one built in memory
        found = {term: (key, spelling, table.document_frequency(term)) for term, key, spelling in table.entries()}
        assert len(table) == len(found)
        return found
    finally:
        table.close()


def test_each_commit_writes_a_small_key_delta_and_base_plus_deltas_equal_a_rebuilt_table(tmp_path: Path) -> None:
    from whoosh import index as whoosh_index

    from .test_lifecycle import RECORDS, revised, write_jsonl

    index_dir = tmp_path / "index"
    index_paths(index_dir, [write_jsonl(tmp_path / "a.jsonl", RECORDS[:12] + RECORDS[30:])], IndexSettings(model="none"))
    path = layout.keys_path(index_dir)
    base = (path.stat().st_ino, path.stat().st_mtime_ns)

    def assert_as_rebuilt() -> None:
        assert keytable.read_stamp(index_dir) == keytable.stamp_of(index_dir)
        fresh = tmp_path / "rebuilt.sqlite"
        keytable.rebuild(index_dir, target=fresh)
        assert table_terms(index_dir) == stored_terms(fresh)
        fresh.unlink()

    index_paths(index_dir, [write_jsonl(tmp_path / "b.jsonl", RECORDS[12:14])], IndexSettings())
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == base  # the base is not rewritten ...
    deltas = keytable.deltas_of(index_dir)
    assert len(deltas) == 1 and deltas[0].stat().st_size < path.stat().st_size  # ... a small delta is added
    assert_as_rebuilt()
    for k in range(keytable.MAX_DELTAS + 1):  # deltas are folded into one before they pile up; the base stays
        index_paths(index_dir, [write_jsonl(tmp_path / f"n{k}.jsonl", [RECORDS[20 + k]])], IndexSettings())
    assert 1 <= len(keytable.deltas_of(index_dir)) <= keytable.MAX_DELTAS
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == base
    assert_as_rebuilt()
    # a replacement and a delete (Whoosh keeps a deleted document's terms until a merge): still as rebuilt
    index_paths(index_dir, [write_jsonl(tmp_path / "c.jsonl", [revised(RECORDS[0])])], IndexSettings())
    assert_as_rebuilt()
    runner = CliRunner()
    assert runner.invoke(main, ["delete", "--index", str(index_dir), RECORDS[1]["id"]]).exit_code == 0
    assert_as_rebuilt()
    # a merge that drops the deleted documents: their terms may vanish, so the table is rebuilt, deltas folded in
    writer = whoosh_index.open_dir(str(layout.fulltext_dir(index_dir))).writer()
    writer.commit(optimize=True)
    keytable.update(index_dir)
    assert path.stat().st_ino != base[0] and keytable.deltas_of(index_dir) == []
    assert_as_rebuilt()
    assert not [p for p in health.verify(index_dir).problems if "romanized" in p]
