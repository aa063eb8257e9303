"""The command line behaving as people expect of one: pipes, Ctrl-C, waiting, contradictions, words, dates."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from hsearch.index import writer as writer_module
from hsearch.index.lock import LOCK_NAME, WriteLock
from hsearch.index.settings import IndexSettings
from hsearch.index.writer import index_paths
from hsearch.search.cli import main

from .conftest import IndexBytes, SEED_ARTICLE_ID, SEEDS

HSEARCH = [sys.executable, "-m", "hsearch"]
SEED_JSONL = SEEDS / "wikinews-flores-hi.jsonl"
KURSK = {"id": "kursk-2", "title": "कुर्स्क में पुनर्निर्माण", "date": "2025-08-13T09:30:00+09:00",
         "body": "उत्तर कोरिया कुर्स्क में 5,000 सैन्य निर्माणकर्मी भेजेगा।"}
SIGPIPE_STATUS = 128 + signal.SIGPIPE  # what a shell reports for `seq 1 1000000 | head -1`


def cli(*args: object, input: str | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)


def write_jsonl(path: Path, records: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path



@pytest.fixture(scope="module")
def text_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("text-index") / "index"
    index_paths(target, [SEED_JSONL, SEEDS / f"{SEED_ARTICLE_ID}.txt"], IndexSettings(model="none"))
    return target


def private_copy(index_dir: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(index_dir, tmp_path / "index"))


# -- a closed pipe ------------------------------------------------------------------------------------------
def test_a_closed_pipe_prints_the_first_lines_and_ends_quietly(text_index: Path, tmp_path: Path) -> None:
    topics = tmp_path / "topics.tsv"
    topics.write_text("".join(f"q{n}\tकोरिया रूस सरकार\n" for n in range(400)), encoding="utf-8")  # >64 KB of TREC
    line = " ".join([*HSEARCH, "query", "--index", str(text_index), "--batch", str(topics)])
    run = subprocess.run(["bash", "-c", f"{line} 2>{tmp_path / 'err'} | head -1; echo \"status ${{PIPESTATUS[0]}}\""],
                         capture_output=True, text=True, timeout=300)
    first, status = run.stdout.splitlines()
    assert first.startswith("q0 Q0 ") and first.endswith(" hsearch")
    assert status == f"status {SIGPIPE_STATUS}"
    assert (tmp_path / "err").read_text() == ""


# -- Ctrl-C during indexing ---------------------------------------------------------------------------------
@pytest.mark.slow  # a real SIGINT to a real indexing run
def test_ctrl_c_while_indexing_exits_130_and_says_nothing_was_written(text_index: Path, tmp_path: Path) -> None:
    index_dir = private_copy(text_index, tmp_path)
    before = IndexBytes.of(index_dir)
    big = write_jsonl(tmp_path / "big.jsonl", [
        {"id": f"a{n}", "title": f"कुर्स्क समाचार {n}", "body": " ".join(f"शब्द{n}_{j} कोरिया" for j in range(200))}
        for n in range(20000)])
    # As from a shell, SIGINT at its default: a test runner may have left it ignored, which children inherit.
    process = subprocess.Popen([*HSEARCH, "index", str(big), "--index", str(index_dir), "-q"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lock = index_dir / LOCK_NAME
    deadline = time.monotonic() + 240
    while lock.read_text() != str(process.pid):  # it has read the input and opened the index: now writing
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, (out, err)
    assert err.strip() == f"Error: interrupted: nothing of this run was written; the index in {index_dir} is as it was"
    assert "Traceback" not in err and "Aborted" not in err
    assert IndexBytes.of(index_dir) == before


def test_ctrl_c_after_the_full_text_commit_names_the_repair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index_dir = tmp_path / "index"
    assert cli("index", SEEDS / f"{SEED_ARTICLE_ID}.txt", "--index", index_dir).exit_code == 0

    def interrupted(*args: object) -> None:  # the manifest's switch comes after the full-text commit
        raise KeyboardInterrupt

    monkeypatch.setattr(writer_module.manifest, "save", interrupted)
    result = CliRunner().invoke(main, ["index", str(write_jsonl(tmp_path / "new.jsonl", [KURSK])),
                                       "--index", str(index_dir)])
    assert result.exit_code == 130, result.output
    assert ("interrupted after the full text of this run was committed; the vector side is behind. "
            f"Run hsearch verify --repair --index {index_dir}") in result.output


def test_ctrl_c_before_the_commit_writes_nothing(text_index: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    index_dir = private_copy(text_index, tmp_path)
    before = IndexBytes.of(index_dir)

    def interrupted(self: object, *args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(writer_module.IndexWriter, "add", interrupted)
    result = CliRunner().invoke(main, ["index", str(write_jsonl(tmp_path / "new.jsonl", [KURSK])),
                                       "--index", str(index_dir)])
    assert result.exit_code == 130 and "nothing of this run was written" in result.output
    assert IndexBytes.of(index_dir) == before


# -- --wait says what it waits for -----------------------------------------------------------------------------
def test_wait_says_once_which_pid_it_waits_for(text_index: Path, tmp_path: Path) -> None:
    index_dir = private_copy(text_index, tmp_path)
    new = write_jsonl(tmp_path / "new.jsonl", [KURSK])
    with WriteLock(index_dir):
        process = subprocess.Popen([*HSEARCH, "index", str(new), "--index", str(index_dir), "--wait"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)  # long enough for the waiter to find the lock taken and say so
        assert process.poll() is None
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    waiting = [line for line in err.splitlines() if "waiting" in line]
    assert waiting == [f"waiting for PID {os.getpid()}, which is writing to {index_dir} …"]
    assert "indexed 1 new article" in out


# -- contradictions ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["text", "trec"])
def test_json_with_another_format_is_refused(text_index: Path, fmt: str) -> None:
    result = CliRunner().invoke(main, ["query", "कुर्स्क", "--index", str(text_index), "--json", "--format", fmt])
    assert result.exit_code == 2
    assert f"--json means --format json; it contradicts --format {fmt}" in result.output


def test_json_with_format_json_is_fine_and_help_says_what_json_is(text_index: Path) -> None:
    assert cli("query", "कुर्स्क", "--index", text_index, "--json", "--format", "json").exit_code == 0
    assert "Same as --format json" in " ".join(cli("query", "--help").output.split())


@pytest.mark.parametrize("extra", [["--fusion", "rrf"], ["--weight", "0.3"]])
@pytest.mark.parametrize("mode", ["bm25", "semantic"])
def test_fusion_options_with_a_single_side_mode_are_refused(text_index: Path, extra: list[str], mode: str) -> None:
    result = CliRunner().invoke(main, ["query", "कुर्स्क", "--index", str(text_index), "--mode", mode, *extra])
    assert result.exit_code == 2
    assert f"{extra[0]} shapes hybrid ranking and does nothing with --mode {mode}" in result.output


# -- words ---------------------------------------------------------------------------------------------------------
def test_counts_of_one_are_singular(text_index: Path, tmp_path: Path) -> None:
    index_dir = private_copy(text_index, tmp_path)
    indexed = cli("index", write_jsonl(tmp_path / "one.jsonl", [KURSK]), "--index", index_dir)
    assert indexed.output.splitlines()[-1] == (
        f"indexed 1 new article and 0 replaced (0 passages embedded, 0 records skipped); 109 articles in {index_dir}")
    deleted = cli("delete", "kursk-2", "--index", index_dir)
    assert deleted.output.splitlines()[-1] == "deleted 1 article; 108 remain"
    one = tmp_path / "single"
    short = write_jsonl(tmp_path / "short.jsonl", [{"id": "rail", "title": "रेल", "body": "रेल किराया बढ़ा।"}])
    assert cli("index", short, "--index", one).output.splitlines()[-1] == (
        f"indexed 1 new article and 0 replaced (1 passage embedded, 0 records skipped); 1 article in {one}")
    assert cli("verify", "--index", one).output == "ok: 1 article, 1 passage; both sides agree\n"


def test_a_skipped_file_and_a_skipped_record_are_counted_apart(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    write_jsonl(folder / "a.jsonl", [KURSK]).open("a", encoding="utf-8").write("{broken\n")
    (folder / "b.csv").write_text("id,title\n1,x\n", encoding="utf-8")
    result = cli("index", folder, "--index", tmp_path / "index", "--model", "none")
    assert result.output.splitlines()[-1].startswith(
        "indexed 1 new article and 0 replaced (0 passages embedded, 1 record and 1 file skipped)")


# -- JSON dates and scores -------------------------------------------------------------------------------------
def test_json_dates_carry_their_time_zone(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    assert cli("index", write_jsonl(tmp_path / "k.jsonl", [KURSK]), "--index", index_dir, "--model", "none").exit_code == 0
    (row,) = [json.loads(line) for line in cli("query", "कुर्स्क", "--index", index_dir, "--json").output.splitlines()]
    assert row["date"] == "2025-08-13T00:30:00+00:00"  # 09:30 in Seoul, stored as UTC, said as UTC


def test_a_zero_fused_score_is_explained(seed_index: Path) -> None:
    # --min-score 0: no relevance floor, so the query's weakest candidate is among the results
    result = cli("query", "कुर्स्क", "--index", seed_index, "-k", "100", "--explain", "--min-score", "0",
                 "--no-collapse")
    last = [line for line in result.output.splitlines() if line.strip().startswith("fused")][-1]
    assert last.strip().startswith("fused 0.0000 (the weakest candidate of this query, not a non-match)")
    assert "0.0 is the weakest candidate" in " ".join(cli("query", "--help").output.split())


# -- a one-shot query ends its own process once its output is out ------------------------------------------
ENDS_AFTER = ("import atexit, sys\n"
              "atexit.register(lambda: sys.stderr.write('torn down\\n'))\n"
              "from hsearch.search.cli import run\n"
              "sys.exit(run())\n")


@pytest.mark.parametrize(("args", "ends_at_once"), [
    (["query", "कुर्स्क"], True),
    (["query", "kursk", "--format", "json", "--mode", "semantic"], True),
    (["query", "-k", "3", "--batch", "topics.tsv"], True),
    (["stats"], False),
])
def test_a_read_only_command_prints_everything_then_ends_without_teardown(seed_index: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch,
                                                                          args: list[str], ends_at_once: bool) -> None:
    (tmp_path / "topics.tsv").write_text("q1\tकुर्स्क\nq2\tNorth Korea Russia support\n", encoding="utf-8")
    argv = [*args, "--index", str(seed_index)]
    done = subprocess.run([sys.executable, "-c", ENDS_AFTER, *argv], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    monkeypatch.chdir(tmp_path)  # the same relative topics file for the caller of main()
    assert done.stdout == cli(*argv).output  # all of it: what a caller of main() is given
    assert done.stdout.strip()
    assert ("torn down" in done.stderr) is not ends_at_once  # a writer's or a caller's process is torn down
