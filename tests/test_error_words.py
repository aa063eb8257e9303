"""Library errors carry data; the CLI says them as flags, the API as its parameter names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from hsearch.index.errors import QueryError, SettingsError
from hsearch.index.settings import IndexSettings
from hsearch.index.writer import index_paths
from hsearch.search.cli import main
from hsearch.search.cli_options import CLI_WORDS
from hsearch.search.filters import Filters
from hsearch.search.fusion import FusionSettings
from hsearch.search.engine_pool import EnginePool
from hsearch.search.server import create_app

from .conftest import SEED_CORPUS


@pytest.fixture(scope="module")
def text_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("text-only")
    index_paths(target, list(SEED_CORPUS), IndexSettings(model="none"))
    return target


@pytest.fixture(scope="module")
def api(text_only: Path) -> Iterator[TestClient]:
    with EnginePool(text_only, size=1) as pool, TestClient(create_app(pool)) as client:
        yield client


def test_a_bad_date_names_the_parameter_as_data() -> None:
    with pytest.raises(QueryError) as raised:
        Filters.parse(date_from="2025-13-40")
    assert raised.value.param == "date_from"
    assert raised.value.words(CLI_WORDS).startswith("--date-from: '2025-13-40' is not an ISO 8601 date")


def test_the_api_says_a_bad_date_in_its_own_parameter_names(api: TestClient) -> None:
    response = api.get("/api/search", params={"q": "कुर्स्क", "date_from": "2025-08-20", "date_to": "2025-08-01"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error.startswith("date_from 2025-08-20 is after date_to 2025-08-01") and "--" not in error


def test_the_api_and_the_cli_each_word_the_same_refusal(api: TestClient, text_only: Path) -> None:
    response = api.get("/api/search", params={"q": "कुर्स्क", "mode": "semantic"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert "so mode semantic cannot run. Use mode=bm25." in error and "--mode " not in error

    result = CliRunner().invoke(main, ["query", "कुर्स्क", "--mode", "semantic", "--index", str(text_only)])
    assert result.exit_code == 1
    assert "so --mode semantic cannot run. Use --mode bm25." in result.output


def test_fusion_settings_refuse_bad_values_as_hsearch_errors() -> None:
    with pytest.raises(SettingsError) as raised:
        FusionSettings(latin_weight=1.5)
    assert raised.value.param == "latin_weight"
    assert raised.value.words(CLI_WORDS) == "--latin-weight must be between 0 and 1"


def test_an_unknown_ann_kind_never_reaches_the_manifest(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="unknown ann kind 'annoy'"):
        IndexSettings(ann="annoy")


def test_a_programming_error_is_not_dressed_up_as_a_user_error(monkeypatch: pytest.MonkeyPatch,
                                                               text_only: Path) -> None:
    import hsearch.index.statistics

    def broken(index_dir: Path) -> dict[str, object]:
        raise ValueError("a bug, not a user's mistake")

    monkeypatch.setattr(hsearch.index.statistics, "index_statistics", broken)
    result = CliRunner().invoke(main, ["stats", "--index", str(text_only)])
    assert isinstance(result.exception, ValueError)  # a traceback for the developer, not "Error: ..."
    assert "Error: a bug" not in result.output
