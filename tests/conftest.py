"""Shared fixtures and helpers: the seed corpus indexed once per session, real Hindi records, the CLI.

Test files import the helpers with ``from .conftest import RECORDS, cli, ...``
(tests/test_lifecycle.py keeps its own copies: its crash-test children import
it as a top-level module, outside the ``tests`` package).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

# Tests never touch the network: model hubs are off, whatever the machine has.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SEED_ARTICLE_ID = "000_d92fd9f8a8b58e48"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED_ARTICLE = SEEDS / f"{SEED_ARTICLE_ID}.txt"
WIKINEWS = SEEDS / "wikinews-flores-hi.jsonl"


def read_jsonl(path: Path) -> list[dict[str, str]]:
    """The records of a JSONL file, blank lines skipped."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# Real Hindi news records (Wikinews sentences of FLORES-200, see seeds/), in file order.
RECORDS: list[dict[str, str]] = read_jsonl(WIKINEWS)
# The seed story and the Wikinews records: the corpus most tests search (the seed index).
SEED_CORPUS = (SEED_ARTICLE, WIKINEWS)
SEED_ARTICLES = 1 + len(RECORDS)
# The rest of the sample archive in seeds/: generated copies of the seed story and COVID-19 reports
# (seeds/ATTRIBUTION.md); `hsearch index seeds/` indexes all of it (the sample index).
SEED_COPIES: list[dict[str, str]] = read_jsonl(SEEDS / "kursk-syndicated.jsonl")
COVID: list[dict[str, str]] = read_jsonl(SEEDS / "tico19-covid-hi.jsonl")
SAMPLE_ARTICLES = SEED_ARTICLES + len(SEED_COPIES) + len(COVID)


def write_jsonl(path: Path, records: Sequence[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def cli(*args: object) -> Result:
    """``hsearch ARGS...`` through click's runner; arguments may be paths or numbers."""
    from hsearch.search.cli import main

    return CliRunner().invoke(main, [str(a) for a in args])


def copy_of(template: Path, tmp_path: Path) -> Path:
    """A writable copy of a template index built once per module or session (tests that change it)."""
    import shutil

    target = tmp_path / "index"
    shutil.copytree(template, target)
    return target


class IndexBytes(dict):
    """Every byte of an index folder but its lock file (a writer's PID is all a refused run may leave).

    ``IndexBytes.of(index_dir) == before`` pins "nothing was changed"; when it
    fails, the comparison names the files added, removed or changed rather than
    printing their bytes.
    """

    @classmethod
    def of(cls, index_dir: Path) -> IndexBytes:
        from hsearch.index.lock import LOCK_NAME

        return cls({str(p.relative_to(index_dir)): p.read_bytes() for p in sorted(index_dir.rglob("*"))
                    if p.is_file() and p.name != LOCK_NAME})

    def changes_since(self, before: dict[str, bytes]) -> list[str]:
        return ([f"added {name}" for name in sorted(self.keys() - before.keys())]
                + [f"removed {name}" for name in sorted(before.keys() - self.keys())]
                + [f"changed {name} ({len(before[name])} -> {len(self[name])} bytes)"
                   for name in sorted(self.keys() & before.keys()) if self[name] != before[name]])


# -- leaving the test process ---------------------------------------------------------------------------
# A full run loads torch, faiss, onnxruntime, numba, Ray and Chromium's driver into one process, and their
# native thread pools have crashed the interpreter's own teardown after every test had passed (a fresh
# `CI=true bash .ci/run` on 2026-12-07: "836 passed, 7 skipped", then SIGSEGV, exit status 139; once in four
# runs).  Once pytest has reported, the process leaves with pytest's exit status and skips that teardown.
# What users run is unaffected and still checked: every test that runs `hsearch` in a process of its own
# asserts that process's exit status.
_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _EXIT_STATUS.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if _EXIT_STATUS:
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS[-1])


def pytest_assertrepr_compare(op: str, left: object, right: object) -> list[str] | None:
    if op == "==" and isinstance(left, IndexBytes) and isinstance(right, dict):
        return ["the index folder changed:", *left.changes_since(right)]
    return None


def assert_ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def assert_clean_failure(result: Result, *needles: str) -> Result:
    """Exit status 1 with a one-line message holding every needle, never a traceback."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output, (needle, result.output)
    return result


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed story and the Wikinews articles with the default embedded model: one copy of each story,
    so the seed article itself is the hit the tests look for."""
    from hsearch.index.settings import IndexSettings
    from hsearch.index.writer import index_paths

    target = tmp_path_factory.mktemp("seed-index")
    index_paths(target, list(SEED_CORPUS), IndexSettings())
    return target


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The quick start's index: all of ``seeds/`` (the sample archive) with the default embedded model."""
    from hsearch.index.settings import IndexSettings
    from hsearch.index.writer import index_paths

    target = tmp_path_factory.mktemp("sample-index")
    index_paths(target, [SEEDS], IndexSettings())
    return target


@pytest.fixture(scope="session")
def seed_engine(seed_index: Path):
    from hsearch.search.engine import SearchEngine

    with SearchEngine(seed_index) as engine:
        yield engine


@pytest.fixture(autouse=True)
def _no_default_index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A test that forgets --index must not read or write the user's real index."""
    monkeypatch.setenv("HSEARCH_INDEX", str(tmp_path / "default-index"))
