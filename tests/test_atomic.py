"""The one atomic-write helper: old or new content, never half, and no litter on failure."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hsearch.index import layout
from hsearch.index.atomic import atomic_open, atomic_write_bytes, atomic_write_text, temporary_glob
from hsearch.index import vector_segments

HEADLINE = "कुर्स्क में यूक्रेनी सेना की घुसपैठ"


def test_text_is_written_whole_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "headline.txt"
    atomic_write_text(path, HEADLINE + "\n")
    assert path.read_text(encoding="utf-8") == HEADLINE + "\n"
    atomic_write_bytes(path, b"second")
    assert path.read_bytes() == b"second"
    assert list(path.parent.iterdir()) == [path]


def test_a_failed_write_keeps_the_old_file_and_removes_its_temporary(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    atomic_write_text(path, HEADLINE)
    with pytest.raises(RuntimeError, match="disk full"):
        with atomic_open(path, "w") as handle:
            handle.write("half of a new manifest")
            assert list(tmp_path.glob(temporary_glob(path.name))), "the new bytes go to a temporary file first"
            raise RuntimeError("disk full")
    assert path.read_text(encoding="utf-8") == HEADLINE
    assert list(tmp_path.iterdir()) == [path]


def test_a_killed_writers_temporary_is_a_leftover_the_layout_finds(tmp_path: Path) -> None:
    target = vector_segments.vectors_path(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        with atomic_open(target, "wb") as handle:
            handle.write(b"partial")
            (temporary,) = tmp_path.glob(temporary_glob(target.name))
            # what kill -9 leaves: a temporary whose cleanup never ran (a hard link outlives the unlink)
            os.link(temporary, tmp_path / f".{target.name}.dead.tmp")
            raise KeyboardInterrupt
    assert not target.exists()
    assert layout.leftover_temporaries(tmp_path) == [tmp_path / f".{target.name}.dead.tmp"]


def test_only_whole_file_modes_are_accepted(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="mode"):
        with atomic_open(tmp_path / "x", "a"):
            pass
