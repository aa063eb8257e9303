"""What a user's machine does to an index: read-only places, immutable folders, full disks, lost files.

Each case ends in one line that says what cannot be written (or read) and what
to do, never a traceback, and leaves what was already indexed as it was.  The
read-only mount, the immutable folder and the full disk are real (tmpfs mounts
and ``chattr +i``, which need root, as on this project's machines and CI);
where they cannot be made the test says so and skips, and the same code paths
are driven through an injected ``OSError`` by the tests below them.
"""

from __future__ import annotations

import errno
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from hsearch.index import manifest as manifest_io
from hsearch.index import vectors as vectors_module
from hsearch.index.settings import IndexSettings
from hsearch.index.writer import index_paths
from hsearch.search.cli import main

from .conftest import IndexBytes, SEED_ARTICLE_ID, SEEDS

HSEARCH = [sys.executable, "-m", "hsearch"]
SEED_JSONL = SEEDS / "wikinews-flores-hi.jsonl"
KURSK = {"id": "kursk-2", "title": "कुर्स्क में पुनर्निर्माण", "body": "उत्तर कोरिया कुर्स्क में 5,000 सैन्य निर्माणकर्मी भेजेगा।"}


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, result.output
    return lines[0]



def text_only_index(target: Path) -> Path:
    index_paths(target, [SEED_JSONL, SEEDS / f"{SEED_ARTICLE_ID}.txt"], IndexSettings(model="none"))
    return target


def new_articles(tmp_path: Path) -> Path:
    path = tmp_path / "new.jsonl"
    path.write_text(json.dumps(KURSK, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _run(*command: str) -> bool:
    return subprocess.run(list(command), capture_output=True).returncode == 0


@pytest.fixture
def mount_tmpfs(tmp_path: Path) -> Iterator:
    """``mount_tmpfs(options) -> folder``: a real tmpfs, unmounted afterwards; skips where mounting is refused."""
    mounted: list[Path] = []

    def mount(options: str) -> Path:
        folder = tmp_path / f"mnt{len(mounted)}"
        folder.mkdir()
        if not (shutil.which("mount") and _run("mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder))):
            pytest.skip("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)")
        mounted.append(folder)
        return folder

    yield mount
    for folder in reversed(mounted):
        # a process of the test may still hold a file there: detach lazily rather than leave it mounted
        _run("umount", str(folder)) or _run("umount", "-l", str(folder))


@pytest.fixture
def immutable() -> Iterator:
    """``immutable(path)``: ``chattr +i``, undone afterwards; skips where the file system or user cannot."""
    made: list[Path] = []

    def make(path: Path) -> Path:
        if not (shutil.which("chattr") and _run("chattr", "+i", str(path))):
            pytest.skip("chattr +i is not available here (needs root and a file system with attributes)")
        made.append(path)
        return path

    yield make
    for path in made:
        _run("chattr", "-i", str(path))


# -- places that cannot be written ------------------------------------------------------------------
def test_indexing_onto_a_read_only_mount_is_one_line(mount_tmpfs, tmp_path: Path) -> None:
    read_only = mount_tmpfs("ro")
    line = one_line_error(cli("index", str(new_articles(tmp_path)), "--index", str(read_only / "index")))
    assert line == (f"Error: cannot write {read_only / 'index'}: the file system is mounted read-only. "
                    "Nothing was changed; choose a writable index folder (--index DIR after the subcommand, "
                    "or $HSEARCH_INDEX).")


def test_an_immutable_index_is_left_as_it_was_by_index_and_delete(immutable, tmp_path: Path) -> None:
    index_dir = text_only_index(tmp_path / "index")
    before = IndexBytes.of(index_dir)
    immutable(index_dir)
    for args in (["index", str(new_articles(tmp_path))], ["delete", SEED_ARTICLE_ID]):
        line = one_line_error(cli(*args, "--index", str(index_dir)))
        assert line.startswith(f"Error: cannot write {index_dir}: operation not permitted (is the folder immutable?")
        assert "Nothing was changed" in line
    assert IndexBytes.of(index_dir) == before
    found = cli("query", "कुर्स्क", "--index", str(index_dir), "--mode", "bm25")
    assert found.exit_code == 0 and f"id {SEED_ARTICLE_ID}" in found.output  # reading still works


def test_an_immutable_fulltext_folder_is_found_before_anything_is_committed(immutable, tmp_path: Path) -> None:
    """The lock file is writable here, so only the check before writing stops a half-done commit."""
    index_dir = text_only_index(tmp_path / "index")
    before = IndexBytes.of(index_dir)
    immutable(index_dir / "fulltext")
    line = one_line_error(cli("index", str(new_articles(tmp_path)), "--index", str(index_dir)))
    assert line.startswith(f"Error: cannot write {index_dir / 'fulltext'}: operation not permitted")
    assert IndexBytes.of(index_dir) == before


def test_index_dir_sub_under_an_immutable_folder_fails_in_mkdir_with_one_line(immutable, tmp_path: Path) -> None:
    parent = tmp_path / "locked"
    parent.mkdir()
    immutable(parent)
    line = one_line_error(cli("index", str(new_articles(tmp_path)), "--index", str(parent / "sub")))
    assert line.startswith(f"Error: cannot write {parent / 'sub'}: operation not permitted")


def test_index_dir_sub_under_a_file_names_the_path(tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("नोट", encoding="utf-8")
    line = one_line_error(cli("index", str(new_articles(tmp_path)), "--index", str(a_file / "sub")))
    assert line.startswith(f"Error: cannot write {a_file / 'sub'}: a part of the path is a file, not a folder.")


def test_an_unwritable_hsearch_index_variable_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a_file = tmp_path / "index-file"
    a_file.write_text("", encoding="utf-8")
    monkeypatch.setenv("HSEARCH_INDEX", str(a_file / "hsearch"))
    line = one_line_error(cli("index", str(new_articles(tmp_path))))
    assert line.startswith(f"Error: cannot write {a_file / 'hsearch'}: a part of the path is a file")
    assert "$HSEARCH_INDEX" in line


def test_permission_denied_on_the_index_folder_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As a non-root user meets it (root ignores mode bits, so the errno is injected at mkdir)."""
    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    line = one_line_error(cli("index", str(new_articles(tmp_path)), "--index", str(tmp_path / "index")))
    assert line.startswith(f"Error: cannot write {tmp_path / 'index'}: permission denied. Nothing was changed")


# -- a full disk -------------------------------------------------------------------------------------------
@pytest.mark.slow  # fills a real (small) disk
def test_a_disk_that_fills_during_indexing_leaves_the_index_and_the_space_as_they_were(
        mount_tmpfs, tmp_path: Path) -> None:
    disk = mount_tmpfs("size=2m")
    index_dir = disk / "index"
    assert cli("index", str(SEEDS / f"{SEED_ARTICLE_ID}.txt"), "--index", str(index_dir), "--model", "none").exit_code == 0
    before = IndexBytes.of(index_dir)
    big = tmp_path / "big.jsonl"
    with big.open("w", encoding="utf-8") as out:
        for n in range(3000):  # ~14 MB of text: far more than the disk holds
            words = " ".join(f"शब्द{n}_{j} कोरिया" for j in range(120))
            out.write(json.dumps({"id": f"a{n}", "title": f"कुर्स्क समाचार {n}", "body": words}, ensure_ascii=False) + "\n")
    # As a user runs it: a process of its own, whose open files end with it.
    run = subprocess.run([*HSEARCH, "index", str(big), "--index", str(index_dir)], capture_output=True, text=True)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert run.stderr.strip() == (f"Error: cannot write {index_dir / 'fulltext'}: no space left on the device. "
                                  "Nothing of this run was written; the index is as it was before it.")
    assert IndexBytes.of(index_dir) == before  # and the half-written segment is gone, so the space is free again
    assert shutil.disk_usage(disk).used < 1_000_000
    assert cli("verify", "--index", str(index_dir)).output.startswith("ok: 1 article,")


def test_a_disk_that_fills_while_the_full_text_commit_is_written_leaves_every_byte_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The last file of a Whoosh commit is its table of contents, written under a temporary name: cut short there
    (as a full disk cuts it), the half-written file goes with the rest of the run."""
    from whoosh.index import TOC

    index_dir = tmp_path / "index"
    assert cli("index", str(SEEDS / f"{SEED_ARTICLE_ID}.txt"), "--index", str(index_dir), "--model", "none").exit_code == 0
    before = IndexBytes.of(index_dir)

    def cut_short(toc: TOC, storage: object, indexname: str) -> None:
        stream = storage.create_file(f"_{indexname}_{toc.generation}.toc.1765000000.5")  # type: ignore[attr-defined]
        stream.write(b"half a table of contents")
        stream.close()
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(TOC, "write", cut_short)
    line = one_line_error(cli("index", str(new_articles(tmp_path)), "--index", str(index_dir)))
    assert line.endswith("no space left on the device. Nothing of this run was written; the index is as it was before it.")
    assert IndexBytes.of(index_dir) == before
    monkeypatch.undo()
    assert cli("index", str(new_articles(tmp_path)), "--index", str(index_dir)).exit_code == 0  # and the next run commits


def test_a_disk_that_fills_while_saving_vectors_leaves_the_index_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Vectors are written as a new generation before the full text commits: a full disk there changes nothing."""
    index_dir = tmp_path / "index"
    assert cli("index", str(SEEDS / f"{SEED_ARTICLE_ID}.txt"), "--index", str(index_dir)).exit_code == 0
    before = manifest_io.load(index_dir)

    def full(self: object, path: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(vectors_module.VectorStore, "save", full)
    line = one_line_error(cli("index", str(new_articles(tmp_path)), "--index", str(index_dir)))
    assert "the disk is full" in line and "nothing was committed and the index is as it was" in line
    monkeypatch.undo()
    after = manifest_io.load(index_dir)
    assert (after.articles, after.passages, after.vector_generation) == (
        before.articles, before.passages, before.vector_generation)
    assert cli("verify", "--index", str(index_dir)).exit_code == 0


def test_an_unwritable_model_cache_folder_still_indexes_and_searches(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """~/.cache/hsearch/e5 cannot be made: the converted graph runs from memory instead."""
    a_file = tmp_path / "cache-file"
    a_file.write_text("", encoding="utf-8")
    monkeypatch.setenv("HSEARCH_CACHE", str(a_file))  # e5 graphs would go to cache-file/e5
    monkeypatch.setenv("XDG_CACHE_HOME", str(a_file))
    index_dir = tmp_path / "index"
    result = cli("index", str(SEEDS / f"{SEED_ARTICLE_ID}.txt"), "--index", str(index_dir))
    assert result.exit_code == 0, result.output
    found = cli("query", "North Korea Russia support", "--index", str(index_dir), "--mode", "semantic")
    assert found.exit_code == 0 and f"id {SEED_ARTICLE_ID}" in found.output
    assert a_file.read_text() == ""


# -- a damaged full text ------------------------------------------------------------------------------------
@pytest.fixture
def damaged_index(tmp_path: Path) -> Path:
    index_dir = text_only_index(tmp_path / "index")
    for segment in (index_dir / "fulltext").glob("*.seg"):
        segment.unlink()
    return index_dir


def test_a_query_on_a_damaged_full_text_is_one_line_naming_the_rebuild(damaged_index: Path) -> None:
    line = one_line_error(cli("query", "कुर्स्क", "--index", str(damaged_index)))
    assert line.startswith(f"Error: the full-text index in {damaged_index} is damaged (MAIN_")
    assert line.endswith(f"is missing) and cannot be repaired. Rebuild it from its sources: "
                         f"hsearch index --rebuild --index {damaged_index} SOURCES...")


def test_verify_names_the_rebuild_not_a_repair_that_cannot_work(damaged_index: Path) -> None:
    checked = cli("verify", "--index", str(damaged_index))
    assert "problem: full-text index does not open: MAIN_" in checked.output
    assert one_line_error(checked) == (
        f"Error: the full text cannot be repaired. Rebuild it from its sources: "
        f"hsearch index --rebuild --index {damaged_index} SOURCES...")
    assert "--repair" not in checked.output
    repair = one_line_error(cli("verify", "--repair", "--index", str(damaged_index)))
    assert f"hsearch index --rebuild --index {damaged_index} SOURCES" in repair


def test_adding_to_a_damaged_full_text_is_refused_and_the_named_rebuild_works(
        damaged_index: Path, tmp_path: Path) -> None:
    line = one_line_error(cli("index", str(new_articles(tmp_path)), "--index", str(damaged_index)))
    assert "is damaged" in line and "--rebuild" in line
    rebuilt = cli("index", "--rebuild", "--index", str(damaged_index), str(SEED_JSONL),
                  str(SEEDS / f"{SEED_ARTICLE_ID}.txt"))
    assert rebuilt.exit_code == 0, rebuilt.output
    assert cli("verify", "--index", str(damaged_index)).output.startswith("ok: ")


def test_a_toc_that_is_not_whoosh_is_damage_too(tmp_path: Path) -> None:
    index_dir = text_only_index(tmp_path / "index")
    for toc in (index_dir / "fulltext").glob("_MAIN_*.toc"):
        toc.write_bytes(b"not an index\n")
    line = one_line_error(cli("query", "कुर्स्क", "--index", str(index_dir), "--mode", "bm25"))
    assert "is damaged" in line and "hsearch index --rebuild" in line
