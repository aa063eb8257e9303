"""What an index holds, as a newsroom asks it: ``hsearch stats``, ``--json`` and the API's ``/api/stats``.

One function, :func:`index_statistics`, reads the manifest, the Whoosh index and
the story table (never the vectors' rows) and returns plain JSON-able data; each
edge words it.  The parts are small functions, so a new fact (the vector side's
own segments, say) is one more entry in :func:`index_statistics`.
"""

from __future__ import annotations

from collections import Counter
from datetime import timezone
from pathlib import Path
from typing import Any

from whoosh.util.times import long_to_datetime

from . import layout, manifest, stories, vector_segments, whoosh_compat

FACET_FIELDS = {"source": "sources", "category": "categories"}  # field -> key of the statistics


def index_statistics(index_dir: Path, *, facet_limit: int | None = None) -> dict[str, object]:
    """Counts, model, sizes, date range, sources and categories, stories, segments and the last change.

    ``facet_limit`` keeps the most frequent values of each facet (all by default);
    ``sources_total`` / ``categories_total`` say how many there are in all.
    """
    built = manifest.load(index_dir)
    info: dict[str, object] = {
        "index": str(index_dir),
        "articles": built.articles,
        "passages": built.passages,
        "model": f"{built.model.name} ({built.model.kind}, {built.model.dim} dims)" if built.model else "none",
        "vector_search": built.ann if built.model else "-",
        "analyzer": built.analyzer_version,
        "format": built.format_version,
        "created": built.created,
        "updated": built.updated,
    }
    ix = whoosh_compat.open_dir(layout.fulltext_dir(index_dir))
    with ix.searcher() as searcher:
        info["dates"] = _date_range(searcher)
        for field, key in FACET_FIELDS.items():
            values = _facet_counts(searcher, field)
            info[f"{key}_total"] = len(values)
            info[key] = [{"value": value, "count": count} for value, count in values[:facet_limit]]
        info["stories"] = _stories(index_dir, searcher)
    info["segments"] = {"fulltext": _fulltext_segments(ix), "vectors": _vector_side(index_dir, built)}
    info["bytes"] = _sizes(index_dir)
    return info


def _date_range(searcher: Any) -> dict[str, object]:
    """The oldest and newest article date (UTC, ISO 8601) and how many articles have none (read from the column)."""
    reader = searcher.reader()
    first = last = None
    dated = 0
    if reader.has_column("date"):
        missing = getattr(searcher.schema["date"].column_type, "_default", None)  # what an undated article holds
        column = reader.column_reader("date", translate=False)
        for number in range(reader.doc_count_all()):
            value = column[number]
            if value is None or value == missing or reader.is_deleted(number):
                continue
            dated += 1
            first = value if first is None or value < first else first
            last = value if last is None or value > last else last
    return {"first": _iso(first), "last": _iso(last), "dated": dated, "undated": searcher.doc_count() - dated}


def _iso(value: int | None) -> str | None:
    if value is None:
        return None
    return long_to_datetime(value).replace(tzinfo=timezone.utc).isoformat()


def _facet_counts(searcher: Any, field: str) -> list[tuple[str, int]]:
    """Each value of a facet field as stored (display case), with its live article count, most frequent first."""
    from whoosh import query as wq

    values = []
    for term in searcher.reader().field_terms(field):
        results = searcher.search(wq.Term(field, term), limit=1, scored=False)
        if results.scored_length():
            values.append((str(results[0].get(field) or term), len(results)))
    return sorted(values, key=lambda value: (-value[1], value[0].lower()))


def _stories(index_dir: Path, searcher: Any) -> dict[str, int]:
    """Stories among the live articles, how many have syndicated copies, and how many copies those are."""
    table = stories.StoryTable.load(index_dir)
    ids = [stored["id"] for stored in searcher.all_stored_fields()] if len(table) else []
    sizes = Counter(table.stories(ids).values()) if ids else Counter()
    articles = searcher.doc_count()
    counted = sum(sizes.values())
    stories_count = len(sizes) + (articles - counted)  # an article the table lacks is its own story
    with_copies = sum(1 for size in sizes.values() if size > 1)
    return {"stories": stories_count, "with_copies": with_copies, "copies": articles - stories_count}


def _fulltext_segments(ix: Any) -> dict[str, object]:
    """Whoosh's generation and its segments: articles in each, and deleted ones not yet merged away."""
    segments = [{"id": segment.segment_id(), "articles": segment.doc_count(), "deleted": segment.deleted_count()}
                for segment in whoosh_compat.segments(ix)]
    return {"generation": ix.latest_generation(), "count": len(segments), "parts": segments}


def _vector_side(index_dir: Path, built: manifest.Manifest) -> dict[str, object]:
    """What the manifest says of the vector side: its commit generation, live segments and passages."""
    if built.model is None:
        return {"generation": None, "passages": 0, "segments": []}
    segments = vector_segments.segments_of(built)
    return {"generation": built.vector_generation or None,
            "folder": layout.legacy_vectors_path(index_dir).name if vector_segments.is_legacy(built) else None,
            "passages": built.passages,
            "segments": [{"id": s.name, "passages": s.passages, "deleted": s.deleted_passages, "search": s.ann}
                         for s in segments]}


def _sizes(index_dir: Path) -> dict[str, int]:
    sizes = {}
    for role, path in layout.parts(index_dir).items():
        if path.is_dir():
            sizes[role] = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        elif path.exists():
            # derived tables: the base and the deltas of later commits beside it
            deltas = path.parent.glob(f"{path.stem}.d[0-9]*{path.suffix}") if role in ("keys", "stories") else ()
            sizes[role] = path.stat().st_size + sum(p.stat().st_size for p in deltas)
    return sizes
