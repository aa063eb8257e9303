"""What a user sees when ``hsearch index --ray`` cannot use Ray: one line saying what to do, the index untouched.

Each case runs the CLI in a child process, so that no cluster of another test
module (tests/test_ray_embedding.py keeps one for its own tests) is found.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hsearch.index.settings import IndexSettings
from hsearch.index.writer import index_paths

from .test_lifecycle import RECORDS, REPO, fulltext_ids, write_jsonl

pytestmark = pytest.mark.ray


# --------------------------------------------------------------------------
# What a user sees when Ray cannot be used
# --------------------------------------------------------------------------
def run_cli(*args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hsearch", *map(str, args)], cwd=str(REPO), capture_output=True,
                          text=True, timeout=180, env={**os.environ, **(env or {})}, check=False)


def one_line_error(completed: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr
    error = [line for line in completed.stderr.splitlines() if line.startswith("Error:")]
    assert len(error) == 1, completed.stderr
    for needle in needles:
        assert needle in error[0], (needle, error[0])
    return error[0]


def test_an_address_where_no_cluster_answers_is_one_line_saying_what_to_do(tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="the ray extra is not installed")
    existing = tmp_path / "index"
    source = write_jsonl(tmp_path / "wikinews.jsonl", RECORDS[:3])
    index_paths(existing, [source], IndexSettings(model="none"))
    before = fulltext_ids(existing)
    more = write_jsonl(tmp_path / "more.jsonl", RECORDS[3:6])
    completed = run_cli("index", "--index", existing, "--model", "none", "--ray", "127.0.0.1:9", "-q", more)
    one_line_error(completed, "cannot reach a Ray cluster at '127.0.0.1:9'", "ray start --head", "--ray HOST:6379")
    assert fulltext_ids(existing) == before  # nothing was written


def gcs_servers() -> list[int]:
    """Ray clusters running on this machine (``auto`` would find them)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "gcs_server":
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_auto_without_a_running_cluster_is_one_line_saying_what_to_do(tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="the ray extra is not installed")
    if gcs_servers():
        pytest.skip("a Ray cluster runs on this machine: auto would find it")
    source = write_jsonl(tmp_path / "wikinews.jsonl", RECORDS[:3])
    env = {"RAY_ADDRESS": ""}
    completed = run_cli("index", "--index", tmp_path / "index", "--ray", "auto", "-q", source, env=env)
    one_line_error(completed, "no running Ray cluster was found", "ray start --head")


def test_ray_not_installed_says_which_extra_to_install(tmp_path: Path) -> None:
    hide_ray = tmp_path / "no_ray"
    (hide_ray / "ray").mkdir(parents=True)
    (hide_ray / "ray" / "__init__.py").write_text("raise ImportError('No module named ray')\n")
    source = write_jsonl(tmp_path / "wikinews.jsonl", RECORDS[:3])
    completed = run_cli("index", "--index", tmp_path / "index", "--ray", "-q", source,
                        env={"PYTHONPATH": f"{hide_ray}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"})
    one_line_error(completed, "--ray needs the ray package", "pip install 'hsearch[ray]'")
    assert not (tmp_path / "index").exists()  # refused before the index was created


def test_ray_options_without_ray_are_a_usage_error(tmp_path: Path) -> None:
    from .conftest import cli

    source = write_jsonl(tmp_path / "wikinews.jsonl", RECORDS[:3])
    result = cli("index", "--index", tmp_path / "index", "--ray-actors", 4, source)
    assert result.exit_code == 2 and "--ray-actors and --ray-gpus-per-actor go with --ray" in result.output
    assert not (tmp_path / "index").exists()
