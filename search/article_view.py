"""What an article's own page shows besides its text: the other copies of its story."""

from __future__ import annotations

from datetime import datetime

from hsearch.index.articles import iso_utc

from .engine import SearchEngine


def story_copies(engine: SearchEngine, article_id: str) -> list[dict[str, object]]:
    """The other articles of ``article_id``'s story (syndicated copies), oldest first, undated last.

    Each is ``{id, title, source, date}`` as stored; empty when the article is its story's only copy.
    """
    snapshot = engine.snapshot()  # the story table and the stored fields of one commit
    others = [other for other in snapshot.stories.members(article_id) if other != article_id]
    copies: list[dict[str, object]] = []
    for other, stored in snapshot.fulltext.documents(others).items():
        if stored is not None:
            day = stored.get("date")
            copies.append({"id": other, "title": str(stored.get("title") or ""), "source": stored.get("source") or None,
                           "date": day if isinstance(day, datetime) else None})
    copies.sort(key=lambda c: (c["date"] is None, c["date"] or datetime.min, c["id"]))
    return [{**c, "date": iso_utc(c["date"]) if c["date"] else None} for c in copies]
