"""The options several ``hsearch`` commands share, declared once, and how the CLI names parameters.

Each decorator adds one option with one spelling and one help text, so a
command that takes ``--json`` or ``--wait`` means the same thing as every other.
:data:`CLI_WORDS` is the CLI's side of errors-as-data: library errors name
parameters (``date_from``, ``mode``), the CLI says them as flags.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from hsearch.index import layout
from hsearch.index.errors import Wording

from .modes import MODES
from .collapse import SORTS
from .relevance import MIN_SCORE_RANGE
from .filters import FILTER_FIELDS
from .fusion import FUSION_METHODS, FusionSettings

F = TypeVar("F", bound=Callable[..., Any])

# Library parameter -> flag where the flag is not ``--`` + the name with dashes.
CLI_REMEDIES = {
    "repair": "Run hsearch verify --repair --index {index_dir}",
    "rebuild": "Rebuild it from its sources: hsearch index --rebuild --index {index_dir} SOURCES...",
    "build": f"Build one first: hsearch index --index {{index_dir}} SOURCES... (or point --index / "
             f"${layout.INDEX_ENV} at an existing one)",
}
CLI_WORDS = Wording(names={"k": "-k"}, flag_style=True, remedies=CLI_REMEDIES, quote=shlex.quote)


def index_option(func: F) -> F:
    return click.option(
        "--index", "index_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
        help=f"Index folder (default: ${layout.INDEX_ENV}, else ~/.local/share/hsearch/index).",
    )(func)


def resolve_index(index_dir: Path | None) -> Path:
    """The command's ``--index``, else the one given before the command (``hsearch --index DIR query``), else the
    default; the two places naming different folders is refused."""
    context = click.get_current_context(silent=True)
    before = context.find_root().params.get("index_dir") if context is not None else None
    if index_dir is not None and before is not None and index_dir != before:
        raise click.UsageError(f"--index is given twice, as {before} and {index_dir}: give one folder")
    chosen = index_dir if index_dir is not None else before
    return chosen if chosen is not None else layout.default_index_dir()


def json_option(help: str = "Print one JSON object.") -> Callable[[F], F]:
    return click.option("--json", "as_json", is_flag=True, help=help)


def wait_option(help: str = "Wait for another writer to finish instead of failing.") -> Callable[[F], F]:
    return click.option("--wait", is_flag=True, help=help)


def mode_option(*, multiple: bool = False, help: str) -> Callable[[F], F]:
    """``--mode``, one of :data:`engine.MODES` (repeatable where a command compares modes)."""
    name = ("--mode", "modes") if multiple else ("--mode",)
    return click.option(*name, type=click.Choice(MODES), default=None, multiple=multiple, help=help)


def filter_options(func: F) -> F:
    """``--date-from``, ``--date-to``, ``--source``, ``--category``: the fields of :class:`Filters`, as flags."""
    helps = {
        "date_from": "Only articles dated on or after (YYYY-MM-DD).",
        "date_to": "Only articles dated on or before (YYYY-MM-DD).",
        "source": "Only articles from this source.",
        "category": "Only articles in this category.",
    }
    for name in reversed(FILTER_FIELDS):  # click lists options in decoration order, innermost last
        func = click.option(CLI_WORDS.name(name), name, default=None, help=helps[name])(func)
    return func


def fusion_options(func: F) -> F:
    """``--fusion``, ``--weight`` and ``--latin-weight``; read them with :func:`fusion_settings`."""
    defaults = FusionSettings()
    func = click.option(
        "--latin-weight", type=click.FloatRange(0, 1), default=None,
        help=f"Semantic share for queries in Latin script (default {defaults.latin_weight}; "
             "with --weight alone, that weight).")(func)
    func = click.option(
        "--weight", type=click.FloatRange(0, 1), default=None,
        help="Semantic share in hybrid, 0..1, fixed for every query (default: weighed per query, by how "
             f"peaked the vector side is and how much of the query BM25 matches; {defaults.weight} where the "
             "index is too small to tell). Applies to Latin-script queries too unless --latin-weight is given.")(func)
    return click.option("--fusion", type=click.Choice(FUSION_METHODS), default=None,
                        help=f"Hybrid fusion method (default {defaults.method}).")(func)


def min_score_option(func: F) -> F:
    """``--min-score``, the relevance floor (:mod:`hsearch.search.relevance`); pass it to :func:`fusion_settings`."""
    return click.option(
        "--min-score", type=click.FloatRange(*MIN_SCORE_RANGE), default=None,
        help="Relevance floor: how far above the query's background cosine (that of its 50th article) an "
             "article that matches none of the query's words must be to be shown. Default: calibrated for "
             "the index's model; 0 shows every hit.")(func)


def fusion_settings(fusion: str | None, weight: float | None, latin_weight: float | None,
                    min_score: float | None = None) -> FusionSettings:
    """The settings the fusion options ask for; what is not given keeps its default."""
    defaults = FusionSettings()
    return FusionSettings(
        method=fusion or defaults.method,
        weight=defaults.weight if weight is None else weight,
        latin_weight=latin_weight if latin_weight is not None else defaults.latin_weight if weight is None else weight,
        # a weight asked for is the weight used: per-query weighing only when neither is given
        bm25_trust=defaults.bm25_trust if weight is None and latin_weight is None else None,
        min_score=min_score,
    )


def page_options(func: F) -> F:
    """``--no-collapse``, ``--sort``, ``--offset``, ``--page``: one result per story, order and paging
    (:class:`hsearch.search.collapse.PageRequest`)."""
    for option in reversed([
        click.option("--no-collapse", is_flag=True, help="Show every copy of a story instead of one hit per story."),
        click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True,
                     help="date: newest first, among the results relevance found."),
        click.option("--offset", type=click.IntRange(min=0), default=None, help="Skip this many results (paging)."),
        click.option("--page", type=click.IntRange(min=1), default=None,
                     help="Page number, counting from 1, of -k results."),
    ]):
        func = option(func)
    return func


def check_fusion_applies(modes: list[str], *, fusion: str | None, weight: float | None,
                         latin_weight: float | None) -> None:
    """Refuse fusion options that a single-side mode would silently ignore.

    ``modes`` are the modes asked for (empty: the index's default, which may be hybrid).
    """
    if not modes or "hybrid" in modes:
        return
    for flag, value in (("--fusion", fusion), ("--weight", weight), ("--latin-weight", latin_weight)):
        if value is not None:
            raise click.UsageError(
                f"{flag} shapes hybrid ranking and does nothing with --mode {' --mode '.join(modes)}; "
                "drop it, or use --mode hybrid")
