"""hsearch: a search engine for Hindi news.

The distribution installs one package, ``hsearch``, whose two halves keep the
design card's folders: ``hsearch.index`` (``index/``, the build side) and
``hsearch.search`` (``search/``, the query side).  ``pyproject.toml`` maps the
repository root to the ``hsearch`` package, so this file is its ``__init__``.
"""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """``hsearch.__version__``, read from the installed metadata when asked: ``importlib.metadata`` is 10 ms
    of every start, and nothing on a one-shot query's path needs it (Whoosh's version is read from Whoosh)."""
    if name != "__version__":
        raise AttributeError(f"module 'hsearch' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hsearch")
    except PackageNotFoundError:  # imported from a checkout that was never installed
        return "0+unknown"
