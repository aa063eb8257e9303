"""hsearch: a search engine for Hindi news.

The distribution installs one package, ``hsearch``, whose two halves keep the
design card's folders: ``hsearch.index`` (``index/``, the build side) and
``hsearch.search`` (``search/``, the query side).  ``pyproject.toml`` maps the
repository root to the ``hsearch`` package, so this file is its ``__init__``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hsearch")
except PackageNotFoundError:  # imported from a checkout that was never installed
    __version__ = "0+unknown"
