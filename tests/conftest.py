"""Shared fixtures: the seed corpus indexed once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Tests never touch the network: model hubs are off, whatever the machine has.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SEED_ARTICLE_ID = "000_d92fd9f8a8b58e48"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The quick start's index: ``seeds/`` with the default embedded model."""
    from hsearch.index.settings import IndexSettings
    from hsearch.index.writer import index_paths

    target = tmp_path_factory.mktemp("seed-index")
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
