"""bench.encoder_speed's --baseline: an older runtime from git, importable next to today's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("onnxruntime")

from bench import encoder_speed  # noqa: E402
from hsearch.index import e5_runtime  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def _in_git() -> bool:
    try:
        subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return False
    return True


@pytest.mark.skipif(not _in_git(), reason="needs the git history of the checkout")
def test_baseline_runtime_comes_from_git_next_to_todays(tmp_path: Path) -> None:
    old = encoder_speed.runtime_at("HEAD", tmp_path)
    assert old is not e5_runtime and old.__name__ != e5_runtime.__name__
    assert Path(old.__file__).read_text(encoding="utf-8") == _committed("index/e5_runtime.py")
    assert callable(old.FastE5)
    # what the old runtime imports (here: the graph it builds) is that revision's, not today's
    graph_module = Path(sys.modules[old.build_graph.__module__].__file__)
    assert graph_module.is_relative_to(tmp_path)
    graph_source = _committed(f"index/{graph_module.name}")
    assert graph_module.read_text(encoding="utf-8") == graph_source
    assert f"GRAPH_VERSION = {old.GRAPH_VERSION}" in graph_source


def _committed(path: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), "show", f"HEAD:{path}"],
                          capture_output=True, text=True, check=True).stdout


def test_unknown_baseline_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="--baseline no-such-revision-xyz"):
        encoder_speed.runtime_at("no-such-revision-xyz", tmp_path)


@pytest.mark.slow
@pytest.mark.skipif(not _in_git(), reason="needs the git history of the checkout")
def test_encoder_speed_runs_end_to_end_against_a_baseline(tmp_path: Path) -> None:
    out = tmp_path / "encoder_speed.md"
    encoder_speed.main(["--passages", "3", "--tokens", "60", "--repeat", "1", "--baseline", "HEAD",
                        "--out", str(out)])
    report = out.read_text(encoding="utf-8")
    assert "| HEAD int8, " in report and "| fast int8, 1 thread |" in report
    assert "Against `HEAD`" in report and "Cosine of today's vectors to `HEAD`'s" in report
    assert "built-in Hindi sentences" in report  # no --corpus: said so
