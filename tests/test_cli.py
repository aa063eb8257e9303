"""The command line as a user meets it, through CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from hsearch.search.cli import main

from .conftest import SEED_ARTICLE_ID, SEEDS


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_quick_start_query_finds_the_seed_article_first_with_the_word_marked(seed_index: Path) -> None:
    result = run("query", "कुर्स्क", "--index", str(seed_index))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(" 1. North Korea Russia Support:")
    assert f"id {SEED_ARTICLE_ID}" in lines[1]
    assert "**कुर्स्क**" in lines[2]


def test_json_output_is_one_object_per_result(seed_index: Path) -> None:
    result = run("query", "कुर्स्क", "--index", str(seed_index), "--json", "-k", "3", "--mode", "bm25")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows[0]["id"] == SEED_ARTICLE_ID
    assert "<mark>कुर्स्क</mark>" in rows[0]["snippet"]
    assert rows[0]["bm25"]["rank"] == 1
    assert "कुर्स्क" in result.output  # UTF-8, not \\u escapes


def test_english_query_in_semantic_mode_finds_the_hindi_seed_article(seed_index: Path) -> None:
    result = run("query", "North Korea Russia support", "--mode", "semantic", "--index", str(seed_index), "--json")
    first = json.loads(result.output.splitlines()[0])
    assert first["id"] == SEED_ARTICLE_ID
    assert first["bm25"]["score"] is None and first["cosine"]["rank"] == 1


def test_explain_shows_both_sides(seed_index: Path) -> None:
    result = run("query", "पुतिन किम", "--index", str(seed_index), "--explain", "-k", "2")
    assert "fused " in result.output and "bm25 " in result.output and "cosine " in result.output


def test_batch_trec_output(seed_index: Path, tmp_path: Path) -> None:
    topics = tmp_path / "topics.tsv"
    topics.write_text("q1\tकुर्स्क\nq2\tNorth Korea Russia support\n", encoding="utf-8")
    # --min-score 0: this pins the format and -k; the relevance decision is pinned in test_relevance.py
    result = run("query", "--batch", str(topics), "--index", str(seed_index), "-k", "5", "--min-score", "0")
    lines = result.output.splitlines()
    assert lines[0].split() == ["q1", "Q0", SEED_ARTICLE_ID, "1", lines[0].split()[4], "hsearch"]
    assert sum(1 for line in lines if line.startswith("q2 ")) == 5


def test_bad_topics_line_names_file_and_line(seed_index: Path, tmp_path: Path) -> None:
    topics = tmp_path / "topics.tsv"
    topics.write_text("q1\tकुर्स्क\nno tab here\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["query", "--batch", str(topics), "--index", str(seed_index)])
    assert result.exit_code == 1
    assert f"{topics}:2: expected 'qid<TAB>query'" in result.output


def test_impossible_date_filter_is_a_clear_error(seed_index: Path) -> None:
    result = CliRunner().invoke(main, ["query", "कुर्स्क", "--date-from", "2025-13-40", "--index", str(seed_index)])
    assert result.exit_code == 1
    assert "Error: --date-from: '2025-13-40' is not an ISO 8601 date" in result.output
    assert "Traceback" not in result.output


def test_filters_by_source_and_category(seed_index: Path) -> None:
    result = run("query", "सरकार", "--index", str(seed_index), "--source", "wikinews (flores-200)",
                 "--category", "politics", "--json", "-k", "50")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows and all(r["category"] == "politics" for r in rows)
    none = run("query", "कुर्स्क", "--index", str(seed_index), "--source", "nobody")
    assert none.output.strip() == "no results (filters are on: try without them)"


def test_query_without_an_index_says_how_to_build_one(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["query", "कुर्स्क", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "no hsearch index at" in result.output and "hsearch index" in result.output


def test_index_reports_skipped_records_and_counts(tmp_path: Path) -> None:
    source = tmp_path / "news.jsonl"
    source.write_text(
        json.dumps({"id": "a", "title": "कुर्स्क", "body": "उत्तर कोरिया कुर्स्क में सैनिक भेजेगा।"}, ensure_ascii=False)
        + "\n{broken\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["index", str(source), "--index", str(tmp_path / "ix"), "--model", "none"])
    assert result.exit_code == 0, result.output
    assert "indexed 1 new article and 0 replaced" in result.output
    assert "1 record skipped" in result.output
    assert f"warning: {source}:2: malformed JSON" in result.output


def test_index_of_a_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["index", str(tmp_path / "nope.jsonl"), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 1
    assert "nope.jsonl: no such file or folder" in result.output
    assert not (tmp_path / "ix").exists()


def test_semantic_mode_on_a_full_text_only_index_is_refused(tmp_path: Path) -> None:
    run("index", str(SEEDS / f"{SEED_ARTICLE_ID}.txt"), "--index", str(tmp_path / "ix"), "--model", "none")
    result = CliRunner().invoke(main, ["query", "Kursk", "--mode", "semantic", "--index", str(tmp_path / "ix")])
    assert result.exit_code == 1
    assert "has no vectors (built with --model none)" in result.output


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_text(command: str) -> None:
    assert main.commands[command].help, f"hsearch {command} has no help text"
    result = run(command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output


def test_a_writer_removes_half_written_files_of_killed_writers(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    run("index", str(SEEDS / f"{SEED_ARTICLE_ID}.txt"), "--index", str(index_dir), "--model", "none")
    # the names atomic_open gives its temporary files (hsearch.index.atomic.temporary_glob)
    leftovers = [index_dir / ".vectors.npz.k9x2a.tmp", index_dir / ".manifest.json.4242.tmp"]
    for path in leftovers:
        path.write_bytes(b"half")
    result = run("index", str(SEEDS / f"{SEED_ARTICLE_ID}.txt"), "--index", str(index_dir))
    assert "0 new articles and 0 replaced (1 unchanged and kept" in result.output
    assert not any(path.exists() for path in leftovers)
