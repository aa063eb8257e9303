"""Full-text indexing in several processes (``IndexSettings(procs=2)``, ``hsearch index --procs 2``).

The parallel writer must give the same index as one process would (same
articles, same BM25 scores), keep replacing committed articles right, and
never lose an article or keep the index locked when a process dies.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from hsearch.index import health, layout
from hsearch.index.articles import Article
from hsearch.index.errors import IndexWriteError, SettingsError
from hsearch.index.lock import WriteLock
from hsearch.index.settings import IndexSettings
from hsearch.index.writer import IndexWriter
from hsearch.search.fulltext import FullTextSearcher

from .conftest import RECORDS, assert_ok, cli

ARTICLES = [Article(id=r["id"], title=r["title"], body=r["body"]) for r in RECORDS]
QUERIES = ["वैज्ञानिक", "राष्ट्रपति चुनाव", "पिछले साल घोषणा", "+शामिल अध्ययन", "सरकार -अमेरिका"]


def _build(folder: Path, procs: int, articles: list[Article] = ARTICLES) -> Path:
    with IndexWriter(folder, IndexSettings(model="none", procs=procs), rebuild=True) as writer:
        writer.add(articles)
        writer.commit()
    return folder


def _segments(folder: Path) -> int:
    return len(whoosh_index.open_dir(str(layout.fulltext_dir(folder)))._segments())


def _ranking(folder: Path, text: str) -> list[tuple[str, float]]:
    searcher = FullTextSearcher(folder)
    try:
        return searcher.search(searcher.parse(text), 200)
    finally:
        searcher.close()


def test_two_processes_write_two_segments_with_the_same_articles_and_scores(tmp_path: Path) -> None:
    one = _build(tmp_path / "one", procs=1)
    two = _build(tmp_path / "two", procs=2)
    assert _segments(one) == 1 and _segments(two) == 2
    assert health.verify(two).problems == []  # a scoring sidecar for each segment, stories, keys
    for text in QUERIES:
        alone, parallel = _ranking(one, text), _ranking(two, text)
        assert alone and dict(alone).keys() == dict(parallel).keys(), text
        for article_id, score in alone:  # each article's score, whatever segment holds it
            assert math.isclose(dict(parallel)[article_id], score, rel_tol=1e-9), (text, article_id)


def test_replacing_committed_articles_keeps_one_copy_of_each(tmp_path: Path) -> None:
    folder = _build(tmp_path / "ix", procs=2)
    changed = [Article(id=a.id, title="संशोधित समाचार " + a.title, body=a.body) for a in ARTICLES[:10]]
    with IndexWriter(folder, IndexSettings(procs=2)) as writer:
        writer.add(changed)
        writer.commit()
    ix = whoosh_index.open_dir(str(layout.fulltext_dir(folder)))
    assert ix.doc_count() == len(ARTICLES)
    found = [i for i, _ in _ranking(folder, "+संशोधित +समाचार")]
    assert sorted(found) == sorted(a.id for a in changed)


def test_a_writer_process_that_dies_fails_the_commit_and_keeps_the_old_state(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _build(tmp_path / "ix", procs=1, articles=ARTICLES[:20])
    from hsearch.index import parallel_writer, whoosh_compat

    def dies(self) -> None:  # noqa: ANN001 - runs in the forked sub-process
        parallel_writer.die_with_parent()
        os._exit(3)

    monkeypatch.setattr(whoosh_compat.SubWriter, "run", dies)
    # more job files than the job queue holds: adding must fail too, not wait for readers that are gone
    many = [Article(id=f"{a.id}-{copy}", title=a.title, body=a.body) for copy in range(12) for a in ARTICLES]
    with pytest.raises(IndexWriteError) as failed:
        with IndexWriter(folder, IndexSettings(procs=2)) as writer:
            writer.add(many)
            writer.commit()
    assert "exited with code 3" in str(failed.value) and "Nothing of this run was written" in str(failed.value)
    assert whoosh_index.open_dir(str(layout.fulltext_dir(folder))).doc_count() == 20
    assert health.verify(folder).problems == []
    with WriteLock(folder, wait=False):  # released
        pass


CHILD = """
import sys, time
from pathlib import Path
from hsearch.index.articles import Article
from hsearch.index.settings import IndexSettings
from hsearch.index.writer import IndexWriter
import json
records = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8") if line.strip()]
with IndexWriter(Path(sys.argv[1]), IndexSettings(model="none", procs=2)) as writer:
    writer.add([Article(id=r["id"], title=r["title"], body=r["body"]) for r in records])
    print(" ".join(str(task.pid) for task in writer._writer.tasks), flush=True)
    time.sleep(600)
"""


def test_killing_the_writer_kills_its_processes_and_frees_the_index(tmp_path: Path) -> None:
    from .conftest import WIKINEWS

    folder = _build(tmp_path / "ix", procs=1, articles=ARTICLES[:20])
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(folder), str(WIKINEWS)], stdout=subprocess.PIPE,
                             text=True)
    assert child.stdout is not None
    pids = [int(p) for p in child.stdout.readline().split()]
    assert len(pids) == 2
    child.send_signal(signal.SIGKILL)
    child.wait()
    deadline = time.monotonic() + 20
    while any(Path(f"/proc/{pid}").exists() and "Z" not in _state(pid) for pid in pids):
        assert time.monotonic() < deadline, "a sub-writer outlived its killed parent"
        time.sleep(0.1)
    with WriteLock(folder, wait=False):  # nobody holds the index any more
        pass
    assert whoosh_index.open_dir(str(layout.fulltext_dir(folder))).doc_count() == 20
    assert_ok(cli("verify", "--repair", "--index", str(folder)))


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return "Z"


def test_procs_must_be_at_least_one() -> None:
    with pytest.raises(SettingsError):
        IndexSettings(procs=0)


def test_the_cli_indexes_with_two_processes(tmp_path: Path) -> None:
    from .conftest import WIKINEWS

    folder = tmp_path / "ix"
    result = assert_ok(cli("index", "--procs", "2", "--model", "none", "--index", str(folder), str(WIKINEWS)))
    assert f"{len(ARTICLES)} articles in" in result.output
    assert _segments(folder) == 2
    assert "id " in assert_ok(cli("query", "--index", str(folder), "वैज्ञानिक")).output
    refused = cli("index", "--procs", "0", "--index", str(folder), str(WIKINEWS))
    assert refused.exit_code != 0 and "--procs" in refused.output and "Traceback" not in refused.output
