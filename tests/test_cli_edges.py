"""The command line's rough edges a newcomer meets in the first hour (issue 28), each pinned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hsearch.search.cli import main

from .conftest import RECORDS, assert_clean_failure, assert_ok, cli, copy_of, write_jsonl

BASE = RECORDS[:4]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four Wikinews articles, full text only (quick to build; copied by the tests that change it)."""
    folder = tmp_path_factory.mktemp("cli-edges")
    assert_ok(cli("index", "--index", folder / "index", "--model", "none", "-q", write_jsonl(folder / "a.jsonl", BASE)))
    return folder / "index"


def test_a_missing_file_among_good_ones_is_reported_and_the_rest_indexed(tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", BASE)
    result = cli("index", "--index", tmp_path / "ix", "--model", "none", tmp_path / "missing.jsonl", good)
    assert_ok(result)
    assert f"warning: {tmp_path / 'missing.jsonl'}: no such file or folder; skipped" in result.output
    assert f"indexed {len(BASE)} new articles" in result.output and "1 file skipped" in result.output
    info = json.loads(assert_ok(cli("stats", "--index", tmp_path / "ix", "--json")).output)
    assert info["articles"] == len(BASE)


def test_a_missing_file_alone_or_with_strict_writes_nothing(tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", BASE)
    assert_clean_failure(cli("index", "--index", tmp_path / "ix", "--model", "none", tmp_path / "missing.jsonl"),
                         "missing.jsonl: no such file or folder")
    assert_clean_failure(cli("index", "--index", tmp_path / "ix", "--model", "none", "--strict",
                             tmp_path / "missing.jsonl", good), "missing.jsonl: no such file or folder")
    assert not (tmp_path / "ix").exists()


def test_delete_from_a_file_of_many_unknown_ids_says_so_in_one_line(template: Path, tmp_path: Path) -> None:
    index_dir = copy_of(template, tmp_path)
    unknown = [f"समाचार-{n}" for n in range(150)]
    (tmp_path / "ids.txt").write_text("\n".join([BASE[0]["id"], *unknown]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["delete", "--index", str(index_dir), "--from-file", str(tmp_path / "ids.txt")])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: 150 ids are not in the index: 'समाचार-0', 'समाचार-1', 'समाचार-2', 'समाचार-3', "
                        "'समाचार-4' … and 145 more"]
    assert result.stdout.strip() == f"deleted 1 article; {len(BASE) - 1} remain"


def test_delete_of_one_unknown_id_names_it(template: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["delete", "--index", str(copy_of(template, tmp_path)), "wikinews-99999"])
    assert result.exit_code == 0 and result.stderr == "warning: no article with id 'wikinews-99999'\n"


@pytest.mark.parametrize("query", ["", "   ", "\t\n"])
def test_an_empty_or_blank_query_says_the_query_is_empty(template: Path, query: str) -> None:
    assert_clean_failure(cli("query", "--index", template, query), "the query is empty")


def test_index_may_come_before_the_command(template: Path) -> None:
    title = BASE[1]["title"]
    before = assert_ok(cli("--index", template, "query", title, "--json"))
    after = assert_ok(cli("query", "--index", template, title, "--json"))
    assert before.output == after.output and json.loads(before.output.splitlines()[0])["id"] == BASE[1]["id"]
    assert json.loads(assert_ok(cli("--index", template, "stats", "--json")).output)["articles"] == len(BASE)


def test_index_before_and_after_the_command_must_agree(template: Path, tmp_path: Path) -> None:
    result = cli("--index", template, "stats", "--index", tmp_path / "other")
    assert result.exit_code == 2 and "--index is given twice" in result.output
    assert_ok(cli("--index", template, "stats", "--index", template))
