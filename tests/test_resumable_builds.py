"""Long builds commit as they go: a killed ``hsearch index`` keeps its commits, and the same command resumes.

The builds here use the hash stand-in encoder of tests/test_lifecycle.py (the
child processes install it as the lifecycle crash tests do), so that both
sides of the index are real and a build of the 107 Wikinews articles takes
seconds; ``HS_ENCODE_DELAY`` slows each batch down so a kill lands mid-build.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hsearch.index import manifest as manifest_io
from hsearch.index.checkpoints import COMMIT_COST_SHARE, Checkpoints, CommitPolicy
from hsearch.index.errors import IndexInterrupted, SettingsError
from hsearch.index.settings import IndexSettings
from hsearch.index import vector_segments
from hsearch.index import writer as writer_module
from hsearch.index.writer import IndexReport, IndexRun, IndexWriter, index_paths

try:
    from .test_lifecycle import (RECORDS, REPO, TESTS, HashEncoder, assert_consistent, assert_ok, cli, expected,
                                 fulltext_ids, hash_encoder, revised, vector_digests, write_jsonl)
except ImportError:  # imported as a top-level module by the child processes below
    from test_lifecycle import (RECORDS, REPO, TESTS, HashEncoder, assert_consistent, assert_ok, cli,  # type: ignore
                                expected, fulltext_ids, hash_encoder, revised, vector_digests, write_jsonl)

__all__ = ["hash_encoder"]  # the fixture, which hash_model below builds on

HASH = IndexSettings(model=HashEncoder.NAME, batch_size=4)


def same_model_knowing_the_hash_encoder(real):  # type: ignore[no-untyped-def]
    """``--model hash-test`` names an index built with it, so that the same command can run twice."""
    return lambda spec, requested: (spec.kind == requested == HashEncoder.NAME) or real(spec, requested)


@pytest.fixture
def hash_model(hash_encoder: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import hsearch.index.writer

    monkeypatch.setattr(hsearch.index.writer, "same_model",
                        same_model_knowing_the_hash_encoder(hsearch.index.writer.same_model))


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


# --------------------------------------------------------------------------
# When a commit is due
# --------------------------------------------------------------------------
def test_commit_every_n_articles_counts_articles_since_the_last_commit() -> None:
    checkpoints = Checkpoints(CommitPolicy(every_articles=10), clock=FakeClock())
    assert [checkpoints.wrote(4), checkpoints.wrote(4), checkpoints.wrote(4)] == [False, False, True]
    checkpoints.committed(0.5)
    assert checkpoints.wrote(4) is False


def test_the_default_commits_after_minutes_of_work_and_never_more_often_than_commits_can_pay_for() -> None:
    clock = FakeClock()
    checkpoints = Checkpoints(CommitPolicy(every_seconds=300), clock=clock)
    clock.now = 299.0
    assert checkpoints.wrote(1000) is False
    clock.now = 300.0
    assert checkpoints.wrote(1) is True
    # A commit that took 60 s (a big vector file): the next one waits 10 x 60 s, not 5 minutes.
    clock.now += 60.0
    checkpoints.committed(60.0)
    clock.now += 301.0
    assert checkpoints.wrote(1) is False
    clock.now += COMMIT_COST_SHARE * 60.0 - 301.0
    assert checkpoints.wrote(1) is True


def test_commit_every_must_be_positive() -> None:
    with pytest.raises(SettingsError) as caught:
        CommitPolicy(every_articles=0)
    assert caught.value.param == "commit_every"


# --------------------------------------------------------------------------
# In one process
# --------------------------------------------------------------------------
def test_a_build_commits_every_n_articles_and_reports_what_it_committed(tmp_path: Path,
                                                                        hash_model: None) -> None:
    source = write_jsonl(tmp_path / "wikinews.jsonl", RECORDS[:30])
    target = tmp_path / "index"
    seen: list[int] = []
    manifests: list[int] = []

    def progress(total: int):  # type: ignore[no-untyped-def]
        assert total == 30
        return lambda count: (seen.append(count), manifests.append(manifest_io.load(target).articles))

    report = index_paths(target, [source], HASH, IndexRun(commits=CommitPolicy(every_articles=8)), progress=progress)
    # batches of 4, a commit after each 8 articles (3 checkpoints) and the final one
    assert seen == [4] * 7 + [2]
    assert report.commits == 4 and report.committed == 30 and report.added == 30
    # the manifest moved as the build went: each checkpoint was a real commit, visible on disk
    assert manifests == [0, 0, 8, 8, 16, 16, 24, 24]
    assert fulltext_ids(target) == vector_digests(target) == expected(RECORDS[:30])
    assert_consistent(target)


def test_a_build_streams_its_sources_checking_them_first_and_holding_a_batch_at_a_time(
        tmp_path: Path, hash_model: None, monkeypatch: pytest.MonkeyPatch) -> None:
    source = write_jsonl(tmp_path / "wikinews.jsonl", RECORDS[:30] + [revised(RECORDS[3])])  # id repeated: last wins
    passes: list[list[str]] = []
    real_read, real_add = writer_module.read_articles, IndexWriter.add

    def counted_read(*args, **kwargs):  # type: ignore[no-untyped-def]
        passes.append([])
        for article in real_read(*args, **kwargs):
            passes[-1].append(article.id)
            yield article

    read_when_written: list[int] = []

    def add(self, articles, vectors=None):  # type: ignore[no-untyped-def]
        read_when_written.append(len(passes[-1]))
        return real_add(self, articles, vectors)

    monkeypatch.setattr(writer_module, "read_articles", counted_read)
    monkeypatch.setattr(IndexWriter, "add", add)
    report = index_paths(tmp_path / "index", [source], HASH)
    assert len(passes) == 2 and len(passes[0]) == len(passes[1]) == 31  # checked whole, then read again
    # the first batch was written while most of the sources were still unread: what is held is the batch
    # written, the one being embedded, and one batch of look-ahead (to know which commit is the last)
    assert read_when_written[0] <= 3 * HASH.batch_size < 31
    assert report.added == 30 and "duplicate id" in str(report.issues[0])
    assert fulltext_ids(tmp_path / "index") == expected(RECORDS[:3] + [revised(RECORDS[3])] + RECORDS[4:30])


def test_a_build_given_a_report_fills_it_in_as_it_goes_so_an_interrupted_caller_can_say_what_is_safe(
        tmp_path: Path, hash_model: None) -> None:
    source = write_jsonl(tmp_path / "wikinews.jsonl", RECORDS[:24])
    target = tmp_path / "index"
    report = IndexReport()

    def progress(total: int):  # type: ignore[no-untyped-def]
        def advance(count: int) -> None:
            if manifest_io.load(target).articles == 16:  # the second checkpoint is on disk
                raise KeyboardInterrupt
        return advance

    with pytest.raises(IndexInterrupted) as interrupted:
        index_paths(target, [source], HASH, IndexRun(commits=CommitPolicy(every_articles=8)), progress=progress, report=report)
    assert (report.commits, report.committed) == (2, 16)
    assert interrupted.value.checkpointed == 16 and "interrupted: 16 articles of this run were committed" in str(
        interrupted.value)
    assert fulltext_ids(target) == vector_digests(target) == expected(RECORDS[:16])

    again = index_paths(target, [source], HASH, IndexRun(commits=CommitPolicy(every_articles=8)))
    assert (again.unchanged, again.added, again.replaced) == (16, 8, 0)
    assert fulltext_ids(target) == expected(RECORDS[:24])
    assert_consistent(target)


def test_a_resumed_build_counts_the_skipped_articles_on_the_progress_bar_and_in_the_summary(
        tmp_path: Path, hash_model: None) -> None:
    first = write_jsonl(tmp_path / "first.jsonl", RECORDS[:10])
    everything = write_jsonl(tmp_path / "all.jsonl", RECORDS[:10] + [revised(RECORDS[10])] + RECORDS[11:16])
    target = tmp_path / "index"
    index_paths(target, [first], HASH)
    bars: list[int] = []
    done: list[int] = []
    report = index_paths(target, [everything], HASH, progress=lambda total: bars.append(total) or done.append)
    assert bars == [16] and sum(done) == 16  # the skipped ones count as done, as they are met
    assert (report.unchanged, report.added) == (10, 6)
    result = assert_ok(cli("index", "--index", target, "-q", "--commit-every", 2, everything))
    assert "0 new articles and 0 replaced (16 unchanged and kept, 0 passages embedded" in result.output


def test_a_build_over_an_index_killed_between_its_two_commits_drops_the_vectors_of_articles_gone(
        tmp_path: Path, hash_model: None) -> None:
    """A rebuild's first commit cleared the full text, then the kill: the vector file is still the old one."""
    import shutil

    old, new = tmp_path / "old", tmp_path / "new"
    index_paths(old, [write_jsonl(tmp_path / "old.jsonl", RECORDS[60:70])], HASH)
    source = write_jsonl(tmp_path / "wikinews.jsonl", RECORDS[:10])
    index_paths(new, [source], HASH)
    # the state such a kill leaves: the manifest still names a generation with the old articles' vectors
    shutil.rmtree(vector_segments.vectors_path(new))
    shutil.copytree(vector_segments.vectors_path(old), vector_segments.vectors_path(new))
    assert set(vector_digests(new)) == {r["id"] for r in RECORDS[60:70]}

    report = index_paths(new, [source], HASH)
    assert (report.replaced, report.unchanged) == (10, 0)  # none had vectors of its text: embedded again
    assert fulltext_ids(new) == vector_digests(new) == expected(RECORDS[:10])
    assert_consistent(new)


def test_commit_every_is_refused_below_one_in_the_cli(tmp_path: Path) -> None:
    result = cli("index", "--index", tmp_path / "index", "--commit-every", 0, tmp_path / "x.jsonl")
    assert result.exit_code == 2 and "--commit-every" in result.output


# --------------------------------------------------------------------------
# The command killed with SIGKILL mid-build, then run again
# --------------------------------------------------------------------------
CHILD = r'''
import os, sys
sys.path.insert(0, os.environ["HS_TESTS"])
import test_lifecycle
test_lifecycle.install_hash_encoder()
import hsearch.index.writer
import test_resumable_builds
hsearch.index.writer.same_model = test_resumable_builds.same_model_knowing_the_hash_encoder(
    hsearch.index.writer.same_model)
from hsearch.search.cli import main
main(sys.argv[1:])
'''


def start_build(tmp_path: Path, *args: object, delay: str = "0.15") -> subprocess.Popen[bytes]:
    script = tmp_path / "hsearch_with_hash_encoder.py"
    script.write_text(CHILD, encoding="utf-8")
    env = {**os.environ, "HS_TESTS": str(TESTS), "HS_ENCODE_DELAY": delay}
    return subprocess.Popen([sys.executable, str(script), *map(str, args)], cwd=str(REPO), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for_commits(process: subprocess.Popen[bytes], target: Path, at_least: int, limit: float = 240.0) -> int:
    """Poll the manifest until ``at_least`` articles are committed (a safety limit only, not a timing check)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the build ended (rc {process.returncode}) first: {process.communicate()[1].decode()}")
        try:
            committed = manifest_io.load(target).articles
        except Exception:  # noqa: BLE001 - not created yet
            committed = 0
        if committed >= at_least:
            return committed
        time.sleep(0.02)
    process.kill()
    pytest.fail("the build never committed")


@pytest.mark.slow
def test_kill_9_mid_build_keeps_the_commits_and_the_same_command_resumes_without_loss_or_duplicates(
        tmp_path: Path, hash_model: None) -> None:
    records = RECORDS[:60]
    source = write_jsonl(tmp_path / "wikinews.jsonl", records)
    target = tmp_path / "index"
    command = ("index", "--index", target, "--model", HashEncoder.NAME, "--commit-every", 10, "-q", source)
    build = start_build(tmp_path, *command)
    wait_for_commits(build, target, at_least=20)
    os.kill(build.pid, signal.SIGKILL)
    build.communicate()
    assert build.returncode == -signal.SIGKILL

    # What the kill left: whole commits of 10 on the full-text side, in input order; the vectors
    # of every committed article but possibly the last group (killed between the two commits).
    kept = fulltext_ids(target)
    assert 20 <= len(kept) < len(records) and len(kept) % 10 == 0
    assert kept == expected(records[:len(kept)])
    embedded = vector_digests(target)
    assert set(embedded) <= set(kept) and len(embedded) >= len(kept) - 10
    safe = len(set(embedded) & set(kept))

    resumed = start_build(tmp_path, *command, delay="0")
    out, err = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, err.decode()
    done = re.search(r"indexed (\d+) new articles? and (\d+) replaced \((\d+) unchanged", out.decode())
    assert done, out.decode()
    added, replaced, unchanged = map(int, done.groups())
    assert unchanged == safe  # the committed part was skipped, not embedded again
    assert added + replaced + unchanged == len(records)

    # Nothing lost, nothing twice: the same index as one uninterrupted build.
    assert fulltext_ids(target) == vector_digests(target) == expected(records)
    whole = tmp_path / "whole"
    index_paths(whole, [source], IndexSettings(model=HashEncoder.NAME))
    assert manifest_io.load(target).passages == manifest_io.load(whole).passages
    assert manifest_io.load(target).articles == len(records)
    assert_consistent(target)


@pytest.mark.slow
def test_a_killed_rebuild_carries_on_when_run_again_without_rebuild(tmp_path: Path, hash_model: None) -> None:
    old = write_jsonl(tmp_path / "old.jsonl", RECORDS[60:70])
    source = write_jsonl(tmp_path / "wikinews.jsonl", RECORDS[:40])
    target = tmp_path / "index"
    index_paths(target, [old], IndexSettings(model=HashEncoder.NAME))
    build = start_build(tmp_path, "index", "--index", target, "--rebuild", "--commit-every", 10, "-q", source)
    deadline = time.monotonic() + 240
    while set(fulltext_ids(target)) & {r["id"] for r in RECORDS[60:70]} and time.monotonic() < deadline:
        time.sleep(0.02)  # the first commit of the rebuild clears the old articles
    wait_for_commits(build, target, at_least=10)
    os.kill(build.pid, signal.SIGKILL)
    build.communicate()
    kept = fulltext_ids(target)
    assert kept == expected(RECORDS[:len(kept)]) and len(kept) < 40  # the old articles are gone
    assert_ok(cli("index", "--index", target, "-q", source))
    assert fulltext_ids(target) == vector_digests(target) == expected(RECORDS[:40])
    assert_consistent(target)


def test_an_interrupted_build_says_how_many_articles_it_committed_and_how_to_carry_on(
        tmp_path: Path, hash_model: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import hsearch.index.writer

    source = write_jsonl(tmp_path / "wikinews.jsonl", RECORDS[:40])
    target = tmp_path / "index"
    real_add, calls = hsearch.index.writer.IndexWriter.add, []

    def add_then_ctrl_c(self, articles, vectors=None):  # type: ignore[no-untyped-def]
        calls.append(len(articles))
        if len(calls) == 3:  # two batches of 8 written and committed
            raise KeyboardInterrupt
        return real_add(self, articles, vectors)

    monkeypatch.setattr(hsearch.index.writer.IndexWriter, "add", add_then_ctrl_c)
    result = cli("index", "--index", target, "--model", HashEncoder.NAME, "--commit-every", 8, "-q", source)
    assert result.exit_code != 0 and "Traceback" not in result.output  # click's "Aborted!" after ours
    assert ("interrupted: 16 articles of this run were committed; run the same command again to carry on"
            in result.output), result.output
    assert fulltext_ids(target) == expected(RECORDS[:16])
