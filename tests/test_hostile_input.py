"""Hostile input: broken files are reported by file and line, and never cost what is already indexed.

Every test starts from an index that already holds ``BASE`` (real Wikinews
articles in Hindi, full-text only: ingestion does not depend on the vector
side), feeds it bad input through ``hsearch index``, and checks the message and
that every earlier article is still there and still found.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import Result

from hsearch.index.settings import IndexSettings
from hsearch.search.request import SearchRequest

from .conftest import IndexBytes, RECORDS, SEED_ARTICLE, cli, copy_of
BASE = [{**r, "date": f"2025-08-{10 + i:02d}"} for i, r in enumerate(RECORDS[:6])]
GOOD = RECORDS[30:33]  # good records fed alongside the bad ones


def jsonl(records: Sequence[object]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def no_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


def stored(index_dir: Path) -> dict[str, dict[str, object]]:
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(index_dir / "fulltext"))
    with ix.searcher() as searcher:
        return {f["id"]: dict(f) for f in searcher.all_stored_fields()}



def headline_query(title: str) -> str:
    return re.sub(r"[-+\"():*?~^\[\]{}]", " ", title)


def assert_base_intact(index_dir: Path) -> None:
    """Every article indexed before the bad input is stored unchanged and found by its headline."""
    from hsearch.search.engine import SearchEngine, SearchSettings

    documents = stored(index_dir)
    with SearchEngine(index_dir, SearchSettings(mode="bm25")) as engine:
        for record in BASE:
            assert documents[record["id"]]["body"] == record["body"].strip()
            found = [h.id for h in engine.search(SearchRequest.of(headline_query(record["title"]), k=len(documents))).hits]
            assert record["id"] in found, record["id"]
    verdict = cli("verify", "--index", index_dir)
    assert verdict.exit_code == 0, verdict.output


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hsearch.index.writer import index_paths

    root = tmp_path_factory.mktemp("hostile-template")
    source = root / "base.jsonl"
    source.write_bytes(jsonl(BASE))
    index_paths(root / "index", [source], IndexSettings(model="none"))
    return root / "index"


@pytest.fixture
def index_dir(template: Path, tmp_path: Path) -> Path:
    return copy_of(template, tmp_path)


def feed(tmp_path: Path, index_dir: Path, files: dict[str, bytes], *options: str) -> tuple[Result, list[Path]]:
    """Write ``files`` under a fresh folder and index them (in the order given)."""
    folder = tmp_path / "input"
    folder.mkdir(exist_ok=True)
    paths = []
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        paths.append(path)
    result = cli("index", "--index", index_dir, *options, *paths)
    no_traceback(result)
    return result, paths


# --------------------------------------------------------------------------
# Record-level problems: skipped, reported with file and line, the rest indexed
# --------------------------------------------------------------------------
def test_truncated_json_is_reported_and_the_rest_indexed(index_dir: Path, tmp_path: Path) -> None:
    cut = json.dumps(RECORDS[40], ensure_ascii=False)[:57].encode("utf-8")  # a line cut off mid-string
    result, (path,) = feed(tmp_path, index_dir, {"cut.jsonl": jsonl(GOOD[:2]) + cut})
    assert result.exit_code == 0, result.output
    assert f"warning: {path}:3: malformed JSON" in result.output
    assert "indexed 2 new articles and 0 replaced" in result.output and "1 record skipped" in result.output
    assert set(stored(index_dir)) == {r["id"] for r in BASE + GOOD[:2]}
    assert_base_intact(index_dir)


def test_wrong_types_are_reported_with_the_field(index_dir: Path, tmp_path: Path) -> None:
    lines = [
        {"id": "n1", "title": 2025, "body": "संख्या शीर्षक"},             # 1: a number as the title
        {"id": "n2", "title": "सूची", "body": ["एक", "दो"]},              # 2: a list as the body
        {"id": 1.5, "title": "दशमलव", "body": "आईडी"},                   # 3: a float id
        {"id": True, "title": "सत्य", "body": "आईडी"},                    # 4: a boolean id
        {"id": "n5", "title": "तारीख", "body": "पाठ", "date": 20250801},  # 5: a number as the date
        ["not", "an", "object"],                                         # 6
        None,                                                            # 7
        "just a string",                                                 # 8
        {"id": "n9", "title": {"hi": "शब्दकोश"}, "body": "पाठ"},          # 9: an object as the title
        {"id": 42, "title": "पूर्णांक आईडी", "body": "पूर्णांक आईडी स्वीकार है"},  # 10: fine, id "42"
    ]
    result, (path,) = feed(tmp_path, index_dir, {"types.jsonl": jsonl(lines)})
    assert result.exit_code == 0, result.output
    for line, message in [(1, "field 'title' must be a string, got int"),
                          (2, "field 'body' must be a string, got list"),
                          (3, "field 'id' must be a string or integer, got float"),
                          (4, "field 'id' must be a string or integer, got bool"),
                          (5, "field 'date' must be a string, got int"),
                          (6, "expected a JSON object, got list"),
                          (7, "expected a JSON object, got NoneType"),
                          (8, "expected a JSON object, got str"),
                          (9, "field 'title' must be a string, got dict")]:
        assert f"warning: {path}:{line}: {message}" in result.output
    assert "indexed 1 new" in result.output and "9 records skipped" in result.output
    assert set(stored(index_dir)) == {r["id"] for r in BASE} | {"42"}
    assert_base_intact(index_dir)


def test_duplicate_ids_in_one_file_last_wins_and_is_reported(index_dir: Path, tmp_path: Path) -> None:
    first = {"id": "dup", "title": "पहला संस्करण", "body": "पहले संस्करण का पाठ।"}
    middle = GOOD[0]
    last = {"id": "dup", "title": "सुधरा संस्करण", "body": "सुधरे हुए संस्करण का पाठ।"}
    result, (path,) = feed(tmp_path, index_dir, {"dups.jsonl": jsonl([first, middle, last])})
    assert result.exit_code == 0, result.output
    assert f"warning: {path}:3: duplicate id 'dup' (also at {path}:1); the later one wins" in result.output
    assert "indexed 2 new articles and 0 replaced" in result.output
    documents = stored(index_dir)
    assert documents["dup"]["title"] == "सुधरा संस्करण"
    assert len(documents) == len(BASE) + 2
    assert_base_intact(index_dir)


def test_a_ten_megabyte_body_is_indexed_whole(index_dir: Path, tmp_path: Path) -> None:
    sentence = SEED_ARTICLE.read_text(encoding="utf-8").split("\n", 2)[2].replace("\n", " ") + " "
    repeats = 10 * 1024 * 1024 // len(sentence.encode("utf-8")) + 1
    body = "आरंभशब्द " + sentence * repeats + " zanzibarquokka"
    assert len(body.encode("utf-8")) > 10 * 1024 * 1024
    result, _ = feed(tmp_path, index_dir, {"big.jsonl": jsonl([{"id": "big", "title": "लंबा लेख", "body": body}])})
    assert result.exit_code == 0, result.output
    assert "indexed 1 new" in result.output
    assert len(stored(index_dir)["big"]["body"]) == len(body.strip())
    for word in ("आरंभशब्द", "zanzibarquokka"):  # the first and the very last word are both searchable
        query = cli("query", "--index", index_dir, "--json", word)
        assert query.exit_code == 0, query.output
        assert [json.loads(line)["id"] for line in query.output.splitlines()] == ["big"]
    assert_base_intact(index_dir)


def test_invalid_utf8_is_reported_by_file_and_line(index_dir: Path, tmp_path: Path) -> None:
    bad_line = '{"id": "u1", "title": "ख़राब", "body": "बाइट '.encode() + b"\xff\xfe" + b' yahan"}\n'
    text = SEED_ARTICLE.read_bytes().split(b"\n")
    text[2] = text[2][:10] + b"\xc3\x28" + text[2][10:]  # an invalid sequence on line 3
    files = {
        "mixed.jsonl": jsonl(GOOD[:1]) + bad_line + jsonl(GOOD[1:2]),
        "latin1.csv": "id,title,body\nc1,Café,Crème brûlée au menu\n".encode("latin-1"),
        "news/broken.txt": b"\n".join(text),
    }
    result, (jsonl_path, csv_path, txt_path) = feed(tmp_path, index_dir, files)
    assert result.exit_code == 0, result.output
    assert f"warning: {jsonl_path}:2: invalid UTF-8 at byte" in result.output
    assert f"warning: {csv_path}:2: invalid UTF-8" in result.output
    assert f"warning: {txt_path}:3: invalid UTF-8 at byte 10 of the line" in result.output
    assert "indexed 2 new" in result.output and "3 records skipped" in result.output
    assert_base_intact(index_dir)


def test_text_python_cannot_hold_is_skipped(index_dir: Path, tmp_path: Path) -> None:
    """Lone surrogates (valid JSON escapes, not valid text), NUL bytes, huge numbers, deep nesting."""
    lines = [
        b'{"id": "s1", "title": "x", "body": "\\ud800 \xe0\xa4\x95"}',   # 1: unpaired surrogate
        b'{"id": "\\udfff", "body": "\xe0\xa4\x95\xe0\xa4\xbf\xe0\xa4\xae"}',  # 2: in the id
        b'{"id": "s3", "title": "a\\u0000b", "body": "text"}',          # 3: NUL
        b'{"id": ' + b"9" * 5000 + b', "body": "text"}',                # 4: a 5000-digit id
        b"[" * 100_000 + b"]" * 100_000,                               # 5: nested too deep
        b'{"id": "s6", "body": NaN}',                                  # 6: NaN body
        b'{"id": "s7", "body": "text", "date": "2025-13-40"}',         # 7: impossible date
    ]
    result, (path,) = feed(tmp_path, index_dir, {"odd.jsonl": b"\n".join(lines) + b"\n" + jsonl(GOOD[:1])})
    assert result.exit_code == 0, result.output
    for line, message in [(1, "field 'body' contains an unpaired surrogate"),
                          (2, "field 'id' contains a NUL byte or an unpaired surrogate"),
                          (3, "field 'title' contains a NUL byte"),
                          (4, "unreadable JSON (Exceeds the limit"),
                          (5, "unreadable JSON (maximum recursion depth"),
                          (6, "field 'body' must be a string, got float"),
                          (7, "field 'date': '2025-13-40' is not an ISO 8601 date")]:
        assert f"warning: {path}:{line}: {message}" in result.output
    assert "indexed 1 new" in result.output and "7 records skipped" in result.output
    assert_base_intact(index_dir)


def test_long_tokens_and_long_ids_are_indexed(index_dir: Path, tmp_path: Path) -> None:
    long_id = "लंबी-आईडी-" * 2000
    record = {"id": long_id, "title": "लंबा शब्द", "body": "क" * 100_000 + " " + "x" * 70_000 + " समाचार"}
    result, _ = feed(tmp_path, index_dir, {"long.jsonl": jsonl([record])})
    assert result.exit_code == 0, result.output
    assert long_id in stored(index_dir)
    query = cli("query", "--index", index_dir, "--json", "लंबा शब्द")
    assert query.exit_code == 0 and json.loads(query.output.splitlines()[0])["id"] == long_id
    assert_ok_delete = cli("delete", "--index", index_dir, long_id)
    assert assert_ok_delete.exit_code == 0 and long_id not in stored(index_dir)
    assert_base_intact(index_dir)


def test_many_bad_lines_are_counted_and_the_list_is_cut(index_dir: Path, tmp_path: Path) -> None:
    bad = b"".join(b'{"id": "b%d", "body": ' % i + b"\n" for i in range(25))
    result, (path,) = feed(tmp_path, index_dir, {"bad.jsonl": bad + jsonl(GOOD[:1])})
    assert result.exit_code == 0, result.output
    assert result.output.count("warning: ") == 21
    assert f"{path}:20: malformed JSON" in result.output and f"{path}:21:" not in result.output
    assert "… and 5 more" in result.output and "25 records skipped" in result.output
    quiet, _ = feed(tmp_path, index_dir, {"bad.jsonl": bad + jsonl(GOOD[:1])}, "-q")
    assert "warning" not in quiet.output and "25 records skipped" in quiet.output
    assert_base_intact(index_dir)


# --------------------------------------------------------------------------
# File-level problems
# --------------------------------------------------------------------------
@pytest.mark.parametrize("name, content, message", [
    ("empty.jsonl", b"", "no articles to index (0 records skipped)"),
    ("blank.jsonl", b"\n  \n\t\n", "no articles to index (0 records skipped)"),
    ("empty.csv", b"", ":1: empty file (no CSV header line)"),
    ("nobody.csv", "id,title,text\n1,शीर्षक,पाठ\n".encode(), ":1: the CSV header must name a 'body' column"),
    ("empty.txt", b"", "no articles to index (1 record skipped)"),
    ("report.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "cannot read '.pdf' files"),
    ("README", b"plain", "cannot read 'no suffix' files"),
])
def test_a_file_with_nothing_to_index_is_a_clear_error(name: str, content: bytes, message: str,
                                                      index_dir: Path, tmp_path: Path) -> None:
    before = IndexBytes.of(index_dir)
    result, (path,) = feed(tmp_path, index_dir, {name: content})
    assert result.exit_code == 1, result.output
    assert f"Error: {path}" in result.output and message in result.output
    assert IndexBytes.of(index_dir) == before
    assert_base_intact(index_dir)


def test_a_missing_path_with_strict_fails_before_anything_is_written(index_dir: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_bytes(jsonl(GOOD))
    before = IndexBytes.of(index_dir)
    result = cli("index", "--index", index_dir, "--strict", good, tmp_path / "typo.jsonl")
    no_traceback(result)
    assert result.exit_code == 1
    assert f"{tmp_path / 'typo.jsonl'}: no such file or folder" in result.output
    assert IndexBytes.of(index_dir) == before  # not even the good file went in
    empty = tmp_path / "empty-folder"
    empty.mkdir()
    (empty / "notes.md").write_text("# not news")
    result = cli("index", "--index", index_dir, empty)
    assert result.exit_code == 1 and "the folder holds no articles" in result.output
    assert IndexBytes.of(index_dir) == before
    assert_base_intact(index_dir)


def test_binary_and_empty_files_in_a_folder_are_skipped(index_dir: Path, tmp_path: Path) -> None:
    files = {
        "news/good.txt": SEED_ARTICLE.read_bytes(),
        "news/image.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
        "news/empty.txt": b"",
        "news/headline-only.txt": "केवल शीर्षक\n\n".encode(),
        "news/archive.pdf": b"%PDF-1.4 \x00\x01\x02",  # not a readable suffix: ignored in a folder
        "news/feed.jsonl": gzip.compress(jsonl(GOOD)),  # compressed, but named .jsonl
    }
    folder = tmp_path / "input" / "news"
    before = IndexBytes.of(index_dir)
    result, _ = feed(tmp_path, index_dir, files, "--strict")
    no_traceback(result)
    # Files named one by one include the .pdf: --strict refuses it before writing anything (without --strict it
    # is reported and skipped, tests/test_cli_edges.py); the folder form passes over it.
    assert result.exit_code == 1 and "cannot read '.pdf' files" in result.output
    assert IndexBytes.of(index_dir) == before
    result = cli("index", "--index", index_dir, folder)
    no_traceback(result)
    assert result.exit_code == 0, result.output
    assert f"warning: {folder / 'image.txt'}:1: looks like a binary file" in result.output
    assert f"warning: {folder / 'empty.txt'}:1: empty file" in result.output
    assert f"warning: {folder / 'headline-only.txt'}:1: missing body" in result.output
    assert re.search(rf"warning: {re.escape(str(folder / 'feed.jsonl'))}:1: (invalid UTF-8|malformed JSON)",
                     result.output)
    assert "archive" not in result.output
    assert "indexed 1 new" in result.output
    assert "good" in stored(index_dir)
    assert_base_intact(index_dir)


def test_bad_csv_rows_are_reported_by_line(index_dir: Path, tmp_path: Path) -> None:
    content = ("id,title,body\n"
               "c1,शीर्षक एक,पहला पाठ\n"            # 2: fine
               "c2,शीर्षक दो,पाठ,अतिरिक्त\n"          # 3: one field too many
               "c3,शीर्षक तीन\n"                     # 4: no body
               "c4,\"शीर्षक चार\",\"चौथा पाठ\"\n"      # 5: fine
               "c5,\"बिना अंत का उद्धरण,पाठ\n"        # 6: an unterminated quote runs to the end
               "c6,शीर्षक छह,छठा पाठ\n").encode()
    result, (path,) = feed(tmp_path, index_dir, {"rows.csv": content})
    assert result.exit_code == 0, result.output
    assert f"warning: {path}:3: more fields than the header names" in result.output
    assert f"warning: {path}:4: missing body" in result.output
    assert f"warning: {path}:6: missing body" in result.output
    assert {"c1", "c4"} <= set(stored(index_dir)) and not {"c2", "c3", "c5"} & set(stored(index_dir))
    assert_base_intact(index_dir)


def test_when_every_record_is_bad_the_error_says_where_and_why(index_dir: Path, tmp_path: Path) -> None:
    result, (path,) = feed(tmp_path, index_dir, {"all-bad.jsonl": b'{"id": "x", "title": 1, "body": "b"}\n'})
    assert result.exit_code == 1
    assert f"{path}:1" in result.output and "field 'title' must be a string" in result.output


# --------------------------------------------------------------------------
# --strict: the first bad record is fatal and nothing is written
# --------------------------------------------------------------------------
STRICT_CASES = {
    "truncated": (jsonl(GOOD[:1]) + '{"id": "t", "body": "कटा'.encode(), 2, "malformed JSON"),
    "number-title": (jsonl(GOOD[:1]) + jsonl([{"id": "t", "title": 7, "body": "पाठ"}]), 2,
                     "field 'title' must be a string, got int"),
    "invalid-utf8": (jsonl(GOOD[:2]) + b'{"id": "t", "body": "\xff"}\n', 3, "invalid UTF-8"),
    "missing-body": (jsonl([{"id": "t", "title": "केवल शीर्षक"}]) + jsonl(GOOD[:1]), 1, "missing body"),
    "surrogate": (jsonl(GOOD[:1]) + b'{"id": "t", "body": "\\udc80"}\n', 2,
                  "field 'body' contains an unpaired surrogate"),
}


@pytest.mark.parametrize("case", sorted(STRICT_CASES))
def test_strict_makes_the_first_bad_record_fatal_and_writes_nothing(case: str, index_dir: Path,
                                                                    tmp_path: Path) -> None:
    content, line, message = STRICT_CASES[case]
    before = IndexBytes.of(index_dir)
    result, (path,) = feed(tmp_path, index_dir, {"strict.jsonl": content + jsonl(GOOD[2:])}, "--strict")
    assert result.exit_code == 1, result.output
    assert f"Error: {path}:{line}: {message}" in result.output
    assert "stopped by --strict; nothing was written" in result.output
    assert IndexBytes.of(index_dir) == before  # byte for byte, the good records before the bad one included
    assert_base_intact(index_dir)


def test_strict_on_a_new_index_creates_nothing_and_accepts_clean_input(tmp_path: Path) -> None:
    target = tmp_path / "new-index"
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(jsonl(GOOD) + b"{broken\n")
    result = cli("index", "--index", target, "--model", "none", "--strict", bad)
    no_traceback(result)
    assert result.exit_code == 1 and "stopped by --strict" in result.output
    assert not target.exists()
    good = tmp_path / "good.jsonl"
    good.write_bytes(jsonl(GOOD))
    result = cli("index", "--index", target, "--model", "none", "--strict", good)
    assert result.exit_code == 0, result.output
    assert set(stored(target)) == {r["id"] for r in GOOD}


# --------------------------------------------------------------------------
# Query options with impossible values
# --------------------------------------------------------------------------
@pytest.mark.parametrize("options, named", [
    (["--date-from", "2025-13-40"], "--date-from"),
    (["--date-to", "2025-02-30"], "--date-to"),
    (["--date-from", "yesterday"], "--date-from"),
    (["--date-from", "2025-01-01T25:00"], "--date-from"),
    (["--date-to", "99999-01-01"], "--date-to"),
    (["--date-from", "2025-08-20", "--date-to", "2025-08-01"], "--date-from"),
    (["-k", "0"], "-k"),
    (["-k", "many"], "-k"),
    (["--weight", "1.5"], "--weight"),
    (["--mode", "fuzzy"], "--mode"),
    (["--mode", "semantic"], "--mode"),  # this index has no vectors
    (["--fusion", "average"], "--fusion"),
    (["--format", "xml"], "--format"),
])
def test_impossible_query_options_are_clear_errors(options: list[str], named: str, index_dir: Path) -> None:
    result = cli("query", "--index", index_dir, *options, "पुतिन")
    no_traceback(result)
    assert result.exit_code in (1, 2), result.output
    assert named in result.output


def test_extreme_but_valid_dates_are_accepted(index_dir: Path) -> None:
    every = cli("query", "--index", index_dir, "--json", "-k", "50", "--date-from", "0001-01-01",
                "--date-to", "9999-12-31", "के")
    assert every.exit_code == 0, every.output
    one_day = cli("query", "--index", index_dir, "--json", "--date-from", "2025-08-12", "--date-to", "2025-08-12",
                  headline_query(BASE[2]["title"]))
    assert one_day.exit_code == 0, one_day.output
    assert [json.loads(line)["id"] for line in one_day.output.splitlines()] == [BASE[2]["id"]]
    aware = cli("query", "--index", index_dir, "--json", "--date-from", "2025-08-12T00:00:00+05:30",
                "--date-to", "2025-08-12", headline_query(BASE[2]["title"]))
    assert aware.exit_code == 0 and BASE[2]["id"] in aware.output


def test_delete_from_a_file_with_invalid_utf8_names_the_file(index_dir: Path, tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_bytes(BASE[0]["id"].encode() + b"\n\xff\xfe\n")
    result = cli("delete", "--index", index_dir, "--from-file", ids)
    no_traceback(result)
    assert result.exit_code == 1
    assert str(ids) in result.output
    assert_base_intact(index_dir)
