"""schemathesis against the server's own OpenAPI description: no 5xx, no response that breaks the schema.

Bounded (a few dozen examples per operation, derandomized) so it fits the
suite; ``python -m bench.api_fuzz`` runs the same checks longer against a real
``hsearch serve`` on loopback (bench/results/api_fuzz.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (pip install schemathesis)")

from hypothesis import HealthCheck, assume, given, settings  # noqa: E402

from bench.api_fuzz_hooks import breaks_an_unstated_rule  # noqa: E402
from hsearch.search.engine_pool import EnginePool
from hsearch.search.server import create_app  # noqa: E402

from .conftest import SEED_ARTICLE_ID  # noqa: E402


@pytest.fixture(scope="module")
def api_schema(seed_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    import shutil

    index = Path(shutil.copytree(seed_index, tmp_path_factory.mktemp("fuzz") / "index"))  # POST /api/alerts writes
    with EnginePool(index, size=1) as pool:
        yield schemathesis.openapi.from_asgi("/api/openapi.json", create_app(pool))


def operations(api_schema: object) -> list[object]:
    return [result.ok() for result in api_schema.get_all_operations()]  # type: ignore[attr-defined]


@pytest.mark.slow  # a few hundred requests
def test_every_operation_keeps_to_its_schema(api_schema: object) -> None:
    """Each operation's generated requests, good and bad: never a 5xx, always a documented, valid response."""
    tested = []
    for operation in operations(api_schema):
        @given(case=operation.as_strategy())  # type: ignore[attr-defined]
        @settings(max_examples=40, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def check(case: object) -> None:
            assume(not breaks_an_unstated_rule(getattr(case, "query", None)))  # rules OpenAPI cannot state,
            assume(not breaks_an_unstated_rule(getattr(case, "body", None)))  # in a query or a saved search's body
            case.call_and_validate()  # type: ignore[attr-defined]

        check()
        tested.append(operation.label)  # type: ignore[attr-defined]
    assert sorted(tested) == ["DELETE /api/alerts/{name}", "GET /api/alerts", "GET /api/alerts/{name}",
                              "GET /api/articles/{article_id}", "GET /api/articles/{article_id}/similar",
                              "GET /api/articles/{article_id}/story", "GET /api/facets", "GET /api/health",
                              "GET /api/search", "GET /api/stats", "GET /api/timeline", "GET /feeds/{name}.xml",
                              "POST /api/alerts"]


def test_an_existing_article_keeps_to_its_schema(api_schema: object) -> None:
    """Fuzzed ids almost never exist; this one does, so the 200 shape is checked too."""
    operation = api_schema["/api/articles/{article_id}"]["GET"]  # type: ignore[index]
    for article_id in (SEED_ARTICLE_ID, "wikinews-1"):
        case = operation.Case(path_parameters={"article_id": article_id}, query={"q": "कुर्स्क"})
        response = case.call_and_validate()
        assert response.status_code == 200 and response.json()["id"] == article_id
