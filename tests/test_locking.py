"""One writer at a time per index; readers never wait; a killed writer's lock is taken over.

The competing writer runs in a child process (``HOLDER_SCRIPT``) that opens an
:class:`~hsearch.index.writer.IndexWriter`, adds articles without committing, and then
does what the parent tells it on stdin.  Indexes here are full-text only
(``--model none``): the lock does not depend on the vector side.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from hsearch.index.errors import IndexLockedError
from hsearch.index.lock import LOCK_NAME, WriteLock
from hsearch.index.settings import IndexSettings
from hsearch.search.request import SearchRequest

from .conftest import RECORDS, assert_clean_failure, cli, write_jsonl

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
BASE = RECORDS[:5]
HELD = RECORDS[5:7]    # what the holder adds, uncommitted while it holds the lock
WAITER = RECORDS[7:9]  # what a second writer wants to add


def stored_ids(index_dir: Path) -> set[str]:
    from hsearch.index.schema import read_article_digests

    return set(read_article_digests(index_dir))


def ids(records: Sequence[dict[str, str]]) -> set[str]:
    return {r["id"] for r in records}


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    from hsearch.index.writer import index_paths

    target = tmp_path / "index"
    index_paths(target, [write_jsonl(tmp_path / "base.jsonl", BASE)], IndexSettings(model="none"))
    return target


HOLDER_SCRIPT = r'''
import os
import sys
from pathlib import Path

from hsearch.index.settings import IndexSettings
from hsearch.index.writer import IndexWriter
from hsearch.index.ingest import IngestReport, read_articles

index_dir, source, flag = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
articles = list(read_articles([source], IngestReport()))
with IndexWriter(index_dir, IndexSettings()) as writer:
    writer.add(articles)
    flag.touch()
    order = sys.stdin.readline().strip()
    if order == "commit":
        writer.commit()
print("holder done:", order, flush=True)
'''

WAITER_SCRIPT = r'''
import sys
import time
import types
from pathlib import Path

import hsearch.index.lock
from hsearch.search.cli import main

flag = Path(sys.argv[1])


def sleep(seconds):
    flag.touch()  # tells the parent this writer is waiting for the lock
    time.sleep(seconds)


hsearch.index.lock.time = types.SimpleNamespace(sleep=sleep, monotonic=time.monotonic)
main(sys.argv[2:], prog_name="hsearch")
'''


def wait_for(flag: Path, process: subprocess.Popen[bytes], limit: float = 120.0) -> None:
    """Until ``process`` creates ``flag`` (the limit is a safety net, not a timing check)."""
    deadline = time.monotonic() + limit
    while not flag.exists():
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"child ended early (rc {process.returncode}):\n{out.decode()}\n{err.decode()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"child never created {flag.name}")
        time.sleep(0.01)


class Holder:
    """A child process in the middle of a write, holding the lock."""

    def __init__(self, tmp_path: Path, index_dir: Path) -> None:
        script = tmp_path / "holder.py"
        script.write_text(HOLDER_SCRIPT, encoding="utf-8")
        self.flag = tmp_path / "holding"
        source = write_jsonl(tmp_path / "held.jsonl", HELD)
        self.process = subprocess.Popen([sys.executable, str(script), str(index_dir), str(source), str(self.flag)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        cwd=str(REPO))
        self.pid = self.process.pid
        wait_for(self.flag, self.process)

    def finish(self, order: str) -> str:
        out, err = self.process.communicate(f"{order}\n".encode(), timeout=120)
        assert self.process.returncode == 0, err.decode()
        return out.decode()


def test_a_second_writer_is_told_who_holds_the_lock(index_dir: Path, tmp_path: Path) -> None:
    holder = Holder(tmp_path, index_dir)
    try:
        source = write_jsonl(tmp_path / "second.jsonl", WAITER)
        message = f"is locked by PID {holder.pid}"
        assert_clean_failure(cli("index", "--index", index_dir, source), message, "--wait")
        assert_clean_failure(cli("delete", "--index", index_dir, BASE[0]["id"]), message)
        # A repair that has something to write (here: a manifest whose counts are off) waits its turn too.
        manifest = index_dir / "manifest.json"
        manifest.write_text(manifest.read_text(encoding="utf-8").replace('"articles": 5', '"articles": 99'),
                            encoding="utf-8")
        assert_clean_failure(cli("verify", "--index", index_dir), "counts 99 articles")
        assert_clean_failure(cli("verify", "--repair", "--index", index_dir), message)
        assert_clean_failure(cli("index", "--rebuild", "--index", index_dir, source), message)
        assert stored_ids(index_dir) == ids(BASE)  # the refused writers changed nothing
    finally:
        holder.finish("quit")
    # The holder left without committing: nothing of its batch is visible, and the lock is free.
    assert stored_ids(index_dir) == ids(BASE)
    assert (index_dir / LOCK_NAME).read_text() == ""
    repaired = cli("verify", "--repair", "--index", index_dir)
    assert repaired.exit_code == 0 and "both sides agree" in repaired.output, repaired.output
    result = cli("index", "--index", index_dir, source)
    assert result.exit_code == 0, result.output
    assert "stale lock" not in result.output
    assert stored_ids(index_dir) == ids(BASE + WAITER)


def test_readers_keep_working_while_a_writer_holds_the_lock(index_dir: Path, tmp_path: Path) -> None:
    from hsearch.search.engine import SearchEngine, SearchSettings

    holder = Holder(tmp_path, index_dir)
    try:
        with SearchEngine(index_dir, SearchSettings(mode="bm25", follow=False)) as engine, \
                SearchEngine(index_dir, SearchSettings(mode="bm25")) as following:
            assert BASE[0]["id"] in [h.id for h in engine.search(SearchRequest.of("स्टैनफ़ोर्ड यूनिवर्सिटी", k=5)).hits]
            assert engine.fulltext.doc_count == len(BASE)
            assert engine.article(HELD[0]["id"]) is None  # not committed yet
            query = cli("query", "--index", index_dir, "--mode", "bm25", "--json", "स्टैनफ़ोर्ड")
            assert query.exit_code == 0, query.output
            assert json.loads(query.output.splitlines()[0])["id"] == BASE[0]["id"]
            for command in ("stats", "verify"):
                assert cli(command, "--index", index_dir).exit_code == 0
            holder.finish("commit")
            # A reader opened before the commit keeps answering: one that follows sees the commit at its
            # next query, one that does not keeps its snapshot until refresh().
            assert following.article(HELD[0]["id"]) is not None
            assert engine.article(HELD[0]["id"]) is None
            engine.refresh()
            assert engine.article(HELD[0]["id"]) is not None
            assert engine.fulltext.doc_count == len(BASE + HELD)
    finally:
        if holder.process.poll() is None:
            holder.finish("quit")
    assert stored_ids(index_dir) == ids(BASE + HELD)


def test_wait_queues_the_second_writer_until_the_first_finishes(index_dir: Path, tmp_path: Path) -> None:
    holder = Holder(tmp_path, index_dir)
    script = tmp_path / "waiter.py"
    script.write_text(WAITER_SCRIPT, encoding="utf-8")
    waiting = tmp_path / "waiting"
    source = write_jsonl(tmp_path / "second.jsonl", WAITER)
    waiter = subprocess.Popen([sys.executable, str(script), str(waiting), "index", "--wait", "-q",
                               "--index", str(index_dir), str(source)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(REPO))
    try:
        wait_for(waiting, waiter)
        assert waiter.poll() is None  # blocked on the lock, not failed
        assert stored_ids(index_dir) == ids(BASE)
        holder.finish("commit")
        out, err = waiter.communicate(timeout=120)
    finally:
        if waiter.poll() is None:
            waiter.kill()
            waiter.communicate()
    assert waiter.returncode == 0, err.decode()
    assert "indexed 2 new" in out.decode()
    assert stored_ids(index_dir) == ids(BASE + HELD + WAITER)


def dead_pid() -> int:
    """The PID of a process that has exited."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_stale_lock_file_with_a_dead_pid_is_cleared(index_dir: Path, tmp_path: Path) -> None:
    pid = dead_pid()
    (index_dir / LOCK_NAME).write_text(str(pid))
    result = cli("index", "--index", index_dir, write_jsonl(tmp_path / "more.jsonl", WAITER))
    assert result.exit_code == 0, result.output
    assert f"cleared a stale lock left by PID {pid}" in result.output
    assert stored_ids(index_dir) == ids(BASE + WAITER)
    assert (index_dir / LOCK_NAME).read_text() == ""
    # Other writers take it over too, silently.
    (index_dir / LOCK_NAME).write_text(str(pid))
    assert cli("delete", "--index", index_dir, WAITER[0]["id"]).exit_code == 0
    assert stored_ids(index_dir) == ids(BASE + WAITER[1:])


def test_the_lock_of_a_writer_killed_with_sigkill_is_taken_over(index_dir: Path, tmp_path: Path) -> None:
    holder = Holder(tmp_path, index_dir)
    assert (index_dir / LOCK_NAME).read_text() == str(holder.pid)
    holder.process.kill()
    holder.process.communicate()
    assert (index_dir / LOCK_NAME).read_text() == str(holder.pid)  # left behind
    assert stored_ids(index_dir) == ids(BASE)
    result = cli("index", "--index", index_dir, write_jsonl(tmp_path / "more.jsonl", WAITER))
    assert result.exit_code == 0, result.output
    assert f"cleared a stale lock left by PID {holder.pid}" in result.output
    assert stored_ids(index_dir) == ids(BASE + WAITER)


def test_a_lock_held_in_this_process_names_this_pid(index_dir: Path, tmp_path: Path) -> None:
    with WriteLock(index_dir):
        result = cli("index", "--index", index_dir, write_jsonl(tmp_path / "more.jsonl", WAITER))
        assert_clean_failure(result, f"is locked by PID {os.getpid()}", "Use --wait")
        with pytest.raises(IndexLockedError) as refused:
            WriteLock(index_dir, wait=True, timeout=0.3).__enter__()
        assert refused.value.retry == {"wait": True}  # the CLI says it as --wait (checked above through cli())
        # A lock file whose content is not a PID still gives a clear message.
        (index_dir / LOCK_NAME).write_text("not a pid")
        with pytest.raises(IndexLockedError, match="locked by another process"):
            WriteLock(index_dir).__enter__()
    assert stored_ids(index_dir) == ids(BASE)
    with WriteLock(index_dir) as lock:  # released, and the garbage was not taken for a PID
        assert lock.stale_pid is None


def test_the_lock_is_released_when_a_write_fails(index_dir: Path) -> None:
    from hsearch.index.writer import IndexWriter

    with pytest.raises(RuntimeError, match="disk on fire"), IndexWriter(index_dir, IndexSettings()) as writer:
        writer.delete([BASE[0]["id"]])
        raise RuntimeError("disk on fire")
    assert stored_ids(index_dir) == ids(BASE)  # cancelled, not half-applied
    assert (index_dir / LOCK_NAME).read_text() == ""
    with WriteLock(index_dir) as lock:
        assert lock.stale_pid is None
