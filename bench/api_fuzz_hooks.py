"""Schemathesis hooks for ``bench/api_fuzz.py`` (loaded through ``SCHEMATHESIS_HOOKS=bench.api_fuzz_hooks``).

Two rules of the API are not expressible in OpenAPI: ``date_from`` must not be
after ``date_to`` (the server answers 400 "swap them", as tests/test_server.py
pins), and ``page`` and ``offset`` are two ways of saying where a page starts,
so a request gives one of them (400 "give page or offset, not both"); a saved search's JSON body holds the
same filters and query, under the same rules.  A query
of white space alone (``q=%1E``) is answered 400 "the query is empty" in the
server's own words; a ``pattern`` in the schema would say it too, but would
turn that message into a pattern-mismatch one, so the fuzzer is told instead.  Cases
that break them are left out, so the positive-data check stays on for every
other parameter.
"""

from __future__ import annotations

from typing import Any

import schemathesis


def swapped_dates(query: dict[str, Any] | None) -> bool:
    if not query:
        return False
    low, high = query.get("date_from"), query.get("date_to")
    return isinstance(low, str) and isinstance(high, str) and low[:10] > high[:10]


def both_page_and_offset(query: dict[str, Any] | None) -> bool:
    return bool(query) and query.get("page") is not None and query.get("offset") is not None  # type: ignore[union-attr]


def blank_query(query: dict[str, Any] | None) -> bool:
    """A search's ``q`` (or a saved search's ``query``) of white space alone."""
    return bool(query) and any(isinstance(query.get(name), str) and not query[name].strip()  # type: ignore[union-attr]
                               for name in ("q", "query"))


def breaks_an_unstated_rule(query: dict[str, Any] | None) -> bool:
    """Whether a generated query (or JSON body: a saved search has the same fields) breaks a rule the schema
    does not state (see the module docstring)."""
    if not isinstance(query, dict):
        return False
    return swapped_dates(query) or both_page_and_offset(query) or blank_query(query)


@schemathesis.hook
def filter_query(context: Any, query: dict[str, Any] | None) -> bool:
    return not breaks_an_unstated_rule(query)


@schemathesis.hook
def filter_body(context: Any, body: Any) -> bool:
    return not breaks_an_unstated_rule(body)
