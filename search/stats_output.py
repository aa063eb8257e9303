"""How ``hsearch stats`` reads on a terminal (the facts come from :mod:`hsearch.index.statistics`)."""

from __future__ import annotations

from typing import Any

SCALARS = ("index", "articles", "passages", "model", "vector_search", "analyzer", "format", "created", "updated")
SHOWN_VALUES = 10  # per facet; --json has them all


def stats_lines(info: dict[str, Any]) -> list[str]:
    """Label-aligned lines: the counts first, then dates, stories, sources, categories, segments, sizes."""
    lines = [f"{key:<14} {info[key]}" for key in SCALARS if key in info]
    dates = info["dates"]
    if dates["first"]:
        span = f"{dates['first'][:10]} .. {dates['last'][:10]}"
        undated = f" ({dates['undated']} undated)" if dates["undated"] else ""
        lines.append(f"{'dates':<14} {span}{undated}")
    else:
        lines.append(f"{'dates':<14} none dated")
    told = info["stories"]
    lines.append(f"{'stories':<14} {told['stories']} ({told['with_copies']} with syndicated copies, "
                 f"{told['copies']} copies folded)")
    for key in ("sources", "categories"):
        values = info[key]
        shown = ", ".join(f"{v['value']} {v['count']}" for v in values[:SHOWN_VALUES]) or "-"
        rest = info[f"{key}_total"] - min(len(values), SHOWN_VALUES)
        lines.append(f"{key:<14} {info[f'{key}_total']}: {shown}" + (f", … {rest} more (--json)" if rest > 0 else ""))
    fulltext = info["segments"]["fulltext"]
    deleted = sum(part["deleted"] for part in fulltext["parts"])
    lines.append(f"{'segments':<14} full text: {fulltext['count']} (generation {fulltext['generation']}"
                 + (f", {deleted} deleted not yet merged" if deleted else "") + ")")
    vectors = info["segments"]["vectors"]
    if vectors.get("folder"):
        lines.append(f"{'':<14} vectors: {vectors['folder']} (an older format: the next write converts it), "
                     f"{vectors['passages']} passages")
    elif vectors["generation"] is not None:
        parts = vectors["segments"]
        deleted = sum(p["deleted"] for p in parts)
        lines.append(f"{'':<14} vectors: {len(parts)} (commit {vectors['generation']}, {vectors['passages']} passages"
                     + (f", {deleted} deleted not yet merged)" if deleted else ")"))
    for role, size in info["bytes"].items():
        lines.append(f"{'size ' + role:<14} {size / 1e6:.2f} MB")
    return lines
