"""Input a user has at hand: folders with one bad file, spreadsheet CSVs, stdin, gzip, HTML bodies."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hsearch.index.errors import IngestError
from hsearch.index.ingest import IngestReport, read_articles
from hsearch.index.markup import html_to_text
from hsearch.search.cli import main
from hsearch.search.engine import SearchEngine, SearchSettings
from hsearch.search.request import SearchRequest

KURSK = {"id": "kursk", "title": "कुर्स्क में पुनर्निर्माण", "body": "उत्तर कोरिया कुर्स्क में 5,000 सैन्य निर्माणकर्मी भेजेगा।"}
KIM = {"id": "kim", "title": "किम ने पुतिन को पूर्ण समर्थन दिया", "body": "उत्तर कोरिया के नेता किम जोंग-उन ने रूस को समर्थन दिया।"}


def jsonl(*records: dict[str, str]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def read(*paths: Path, strict: bool = False, csv_delimiter: str | None = None) -> tuple[list, IngestReport]:
    report = IngestReport()
    return list(read_articles(list(paths), report, strict=strict, csv_delimiter=csv_delimiter)), report


def cli(*args: str, input: str | bytes | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def bm25_ids(index_dir: Path, text: str) -> list[str]:
    with SearchEngine(index_dir, SearchSettings(mode="bm25")) as engine:
        return [hit.id for hit in engine.search(SearchRequest.of(text, k=10)).hits]


# -- one bad file in a folder ---------------------------------------------------------
def test_a_folder_with_one_bad_csv_indexes_the_rest_and_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "good.jsonl").write_text(jsonl(KURSK, KIM), encoding="utf-8")
    (folder / "headlines.csv").write_text("id,title\n1,कुर्स्क\n", encoding="utf-8")
    index_dir = tmp_path / "index"
    result = cli("index", str(folder), "--index", str(index_dir), "--model", "none")
    assert result.exit_code == 0, result.output
    assert (f"warning: {folder / 'headlines.csv'}:1: the CSV header must name a 'body' column; "
            "found columns 'id', 'title'") in result.output
    assert "file skipped" in result.output
    assert bm25_ids(index_dir, "कुर्स्क") == ["kursk"]


def test_strict_stops_at_the_bad_file_and_writes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "a.jsonl").write_text(jsonl(KURSK), encoding="utf-8")
    (folder / "b.csv").write_text("id,title\n1,कुर्स्क\n", encoding="utf-8")
    index_dir = tmp_path / "index"
    result = cli("index", str(folder), "--index", str(index_dir), "--model", "none", "--strict")
    assert result.exit_code == 1
    assert "b.csv:1: the CSV header must name a 'body' column" in result.output
    assert "stopped by --strict; nothing was written" in result.output
    assert not index_dir.exists()


# -- CSV as spreadsheets write it ---------------------------------------------------------
def test_csv_headers_match_in_any_case(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    source.write_text(f"ID,Title, BODY ,Source\nkursk,{KURSK['title']},\"{KURSK['body']}\",दैनिक भास्कर\n",
                      encoding="utf-8")
    (article,), report = read(source)
    assert (article.id, article.title, article.body, article.source) == (
        "kursk", KURSK["title"], KURSK["body"], "दैनिक भास्कर")
    assert report.issues == []


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_semicolon_tab_and_bar_separators_are_found_from_the_header(tmp_path: Path, delimiter: str) -> None:
    source = tmp_path / "export.csv"
    body = "उत्तर कोरिया, रूस और यूक्रेन: कुर्स्क में 5,000 निर्माणकर्मी"  # commas inside the text
    source.write_text(delimiter.join(["id", "title", "body"]) + "\n"
                      + delimiter.join(["kursk", "कुर्स्क", body]) + "\n", encoding="utf-8")
    (article,), report = read(source)
    assert (article.id, article.title, article.body) == ("kursk", "कुर्स्क", body)


def test_an_explicit_delimiter_wins_and_the_cli_takes_it(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    source.write_text("id;title;body\nkursk;कुर्स्क;कुर्स्क में निर्माण\n", encoding="utf-8")
    articles, report = read(source, csv_delimiter=",")
    assert articles == [] and "found columns 'id;title;body'" in str(report.issues[0])
    index_dir = tmp_path / "index"
    result = cli("index", str(source), "--index", str(index_dir), "--model", "none", "--csv-delimiter", ";")
    assert result.exit_code == 0, result.output
    assert bm25_ids(index_dir, "कुर्स्क") == ["kursk"]


def test_a_header_without_body_lists_the_columns_it_found(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    source.write_text("Headline;Text;Date\nकुर्स्क;निर्माण;2025-01-01\n", encoding="utf-8")
    _, report = read(source)
    message = str(report.issues[0])
    assert "found columns 'Headline', 'Text', 'Date'" in message and "delimiter ';'" in message
    assert "--csv-delimiter" in message


# -- stdin and gzip --------------------------------------------------------------------------
def test_jsonl_on_standard_input_is_indexed_with_a_dash(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    result = cli("index", "-", "--index", str(index_dir), "--model", "none",
                 input=jsonl(KURSK) + "{broken\n" + jsonl(KIM))
    assert result.exit_code == 0, result.output
    assert "<stdin>:2: malformed JSON" in result.output
    assert sorted(bm25_ids(index_dir, "कुर्स्क किम")) == ["kim", "kursk"]


def test_gzipped_jsonl_and_csv_are_read_and_found_in_folders(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "a.jsonl.gz").write_bytes(gzip.compress(jsonl(KURSK).encode()))
    (folder / "b.csv.gz").write_bytes(gzip.compress(f"id,title,body\nkim,{KIM['title']},{KIM['body']}\n".encode()))
    articles, report = read(folder)
    assert sorted(a.id for a in articles) == ["kim", "kursk"] and report.issues == []


def test_a_truncated_or_foreign_gzip_is_reported_and_skipped(tmp_path: Path) -> None:
    whole = gzip.compress(jsonl(KURSK, KIM).encode())
    (tmp_path / "cut.jsonl.gz").write_bytes(whole[: len(whole) - 12])
    (tmp_path / "plain.jsonl.gz").write_bytes(jsonl(KIM).encode())  # named .gz, not compressed
    articles, report = read(tmp_path / "cut.jsonl.gz", tmp_path / "plain.jsonl.gz")
    messages = [str(issue) for issue in report.issues]
    assert any("cut.jsonl.gz" in m and "truncated" in m for m in messages), messages
    assert any("plain.jsonl.gz" in m and "cannot read" in m and "file skipped" in m for m in messages), messages
    with pytest.raises(IngestError, match="plain.jsonl.gz"):
        read(tmp_path / "plain.jsonl.gz", strict=True)


# -- HTML in bodies -------------------------------------------------------------------------------
PAGE_BODY = ("<div class=\"story\"><p>उत्तर कोरिया <b>कुर्स्क</b> में&nbsp;निर्माणकर्मी भेजेगा।</p>"
             "<script>var tracker = 'analytics';</script><style>p { color: red }</style>"
             "<p>रूस ने स्वागत किया &amp; धन्यवाद दिया।<br>दूसरी पंक्ति</p></div>")


def test_html_is_stripped_to_text_at_ingestion() -> None:
    assert html_to_text(PAGE_BODY) == (
        "उत्तर कोरिया कुर्स्क में निर्माणकर्मी भेजेगा।\nरूस ने स्वागत किया & धन्यवाद दिया।\nदूसरी पंक्ति")


def test_text_that_only_mentions_angle_brackets_is_left_alone() -> None:
    for text in ("5 < 10 और 10 > 5", "a<b", "तापमान <40 डिग्री", "AT&T ने कहा"):
        assert html_to_text(text) == text


def test_an_html_body_is_stored_and_searched_as_text(tmp_path: Path) -> None:
    source = tmp_path / "crawl.jsonl"
    source.write_text(jsonl({"id": "page", "title": "कुर्स्क &amp; <i>रूस</i>", "body": PAGE_BODY}), encoding="utf-8")
    index_dir = tmp_path / "index"
    assert cli("index", str(source), "--index", str(index_dir), "--model", "none").exit_code == 0
    with SearchEngine(index_dir, SearchSettings(mode="bm25")) as engine:
        stored = engine.article("page")
        assert stored is not None
        assert stored["title"] == "कुर्स्क & रूस"
        assert "<" not in stored["body"] and "tracker" not in stored["body"]
        assert [h.id for h in engine.search(SearchRequest.of("कुर्स्क", k=5)).hits] == ["page"]
        for markup_word in ("script", "tracker", "analytics", "nbsp", "div", "color"):
            assert engine.search(SearchRequest.of(markup_word, k=5)).hits == [], markup_word


def test_a_body_of_only_markup_is_a_missing_body(tmp_path: Path) -> None:
    source = tmp_path / "crawl.jsonl"
    source.write_text(jsonl({"id": "empty", "title": "खाली", "body": "<script>track()</script><p> </p>"}),
                      encoding="utf-8")
    articles, report = read(source)
    assert articles == [] and "missing body" in str(report.issues[0]) and "only markup" in str(report.issues[0])
