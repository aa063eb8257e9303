"""Reading JSONL, CSV and .txt folders, and reporting bad records by file and line."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from hsearch.index.articles import stable_id
from hsearch.index.errors import IngestError, InputError
from hsearch.index.ingest import IngestReport, read_articles
from hsearch.index.writer import IndexRun, RunSources

from .conftest import SAMPLE_ARTICLES, SEED_ARTICLE_ID, SEEDS

KIM = {"title": "किम ने पुतिन को पूर्ण समर्थन दिया", "body": "उत्तर कोरिया के नेता किम जोंग-उन ने रूस को पूरा समर्थन देने की बात कही है।"}
KURSK = {"title": "कुर्स्क में पुनर्निर्माण", "body": "उत्तर कोरिया कुर्स्क में 5,000 सैन्य निर्माणकर्मी भेजेगा।"}


def write_jsonl(path: Path, lines: list[object]) -> Path:
    path.write_text("\n".join(item if isinstance(item, str) else json.dumps(item, ensure_ascii=False) for item in lines) + "\n",
                    encoding="utf-8")
    return path


def read(*paths: Path, strict: bool = False) -> tuple[list, IngestReport]:
    report = IngestReport()
    return list(read_articles(list(paths), report, strict=strict)), report


def test_jsonl_fields_are_read_and_dates_parsed(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "news.jsonl", [
        {"id": "kim-1", **KIM, "date": "2025-08-13T09:30:00+09:00", "source": "योनहाप", "url": "https://example.org/kim",
         "category": "world"},
    ])
    (article,), report = read(source)
    assert article.id == "kim-1"
    assert article.title == KIM["title"]
    assert article.date == datetime(2025, 8, 13, 0, 30)  # converted to UTC
    assert (article.source, article.category) == ("योनहाप", "world")
    assert report.read == 1 and report.skipped == 0


def test_missing_id_is_stable_from_url_else_content(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "a.jsonl", [{**KIM, "url": "https://example.org/kim"}, KURSK])
    (first, second), _ = read(source)
    assert first.id == stable_id("https://example.org/kim", "", "")
    again, _ = read(source)
    assert [a.id for a in again] == [first.id, second.id]
    assert second.id == stable_id("", KURSK["title"], KURSK["body"])


def test_bad_lines_are_reported_with_file_and_line_and_skipped(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "bad.jsonl", [
        KIM,
        '{"title": "अधूरा", "body": "टूटी',          # line 2: truncated JSON
        {"title": 42, "body": "संख्या शीर्षक"},       # line 3: wrong type
        {"title": "बिना मुख्य भाग"},                  # line 4: missing body
        {**KURSK, "date": "2025-13-40"},           # line 5: impossible date
        KURSK,
    ])
    articles, report = read(source)
    assert [a.title for a in articles] == [KIM["title"], KURSK["title"]]
    assert report.skipped == 4
    messages = [str(issue) for issue in report.issues]
    assert messages[0].startswith(f"{source}:2: malformed JSON")
    assert messages[1] == f"{source}:3: field 'title' must be a string, got int"
    assert messages[2].startswith(f"{source}:4: missing body")
    assert messages[3].startswith(f"{source}:5: field 'date': '2025-13-40' is not an ISO 8601 date")


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    source = tmp_path / "latin1.jsonl"
    source.write_bytes(json.dumps(KIM, ensure_ascii=False).encode() + b"\n" + b'{"body": "caf\xe9"}\n')
    articles, report = read(source)
    assert len(articles) == 1
    assert str(report.issues[0]).startswith(f"{source}:2: invalid UTF-8")


def test_strict_makes_the_first_bad_record_fatal(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "bad.jsonl", [KIM, {"title": "बिना मुख्य भाग"}])
    with pytest.raises(IngestError, match=r"bad.jsonl:2: missing body .*stopped by strict") as stopped:
        read(source, strict=True)
    assert stopped.value.param == "strict"


def test_csv_with_header_and_multiline_body(tmp_path: Path) -> None:
    source = tmp_path / "news.csv"
    source.write_text(
        'id,title,body,date\n'
        f'k1,{KIM["title"]},"{KIM["body"]}\nदूसरी पंक्ति",2025-08-13\n'
        'k2,खाली,,2025-08-14\n',
        encoding="utf-8",
    )
    articles, report = read(source)
    assert [a.id for a in articles] == ["k1"]
    assert articles[0].body.endswith("दूसरी पंक्ति")
    assert str(report.issues[0]).startswith(f"{source}:4: missing body")


def test_csv_without_body_column_is_reported_and_skipped(tmp_path: Path) -> None:
    source = tmp_path / "headlines.csv"
    source.write_text("id,title\n1,कुर्स्क\n", encoding="utf-8")
    articles, report = read(source)
    assert articles == [] and report.files_skipped == 1
    assert str(report.issues[0]).startswith(f"{source}:1: the CSV header must name a 'body' column")
    with pytest.raises(IngestError, match=r"headlines.csv:1: the CSV header must name a 'body' column"):
        read(source, strict=True)


def test_txt_folder_first_line_is_the_headline_and_id_is_the_file_name() -> None:
    articles, report = read(SEEDS / f"{SEED_ARTICLE_ID}.txt")
    (seed,) = articles
    assert seed.id == SEED_ARTICLE_ID
    assert seed.title.startswith("North Korea Russia Support: अलास्का शिखर सम्मेलन")
    assert "कुर्स्क" in seed.body
    assert report.read == 1


def test_folder_reads_every_supported_file_in_order() -> None:
    articles, report = read(SEEDS)
    assert articles[0].id == SEED_ARTICLE_ID
    assert len(articles) == SAMPLE_ARTICLES and report.skipped == 0


def test_missing_and_empty_paths_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        read(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="the folder holds no articles"):
        read(tmp_path / "empty")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    with pytest.raises(InputError, match=r"cannot read '\.pdf' files"):
        read(tmp_path / "notes.pdf")


def test_binary_txt_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    articles, report = read(tmp_path)
    assert articles == []
    assert "binary file" in str(report.issues[0])


def test_duplicate_ids_last_wins_and_is_reported(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "dup.jsonl", [{"id": "x", **KIM}, {"id": "x", **KURSK}])
    report = IngestReport()
    sources = RunSources([source], IndexRun())
    articles = list(sources.latest(sources.survey(report)))
    assert [a.title for a in articles] == [KURSK["title"]]
    assert str(report.issues[0]).startswith(f"{source}:2: duplicate id 'x'")
