"""Lines a news site repeats around its articles: found, kept in the stored text, left out of meaning.

Text scraped from news sites carries the site along ("Related posts",
"Loading...", "यह भी पढ़ें: …", a footer, a dateline such as "नई दिल्ली, (भाषा)").
The stored body keeps every line (it is the record, and ``hsearch index`` of
the same file must find it unchanged); what is left out is the *content* that
snippets, passage embeddings and story shingles are made from
(:func:`content_of`, :meth:`Boilerplate.content`).

A line is boilerplate when

* it is one of the well-known chrome lines (``data/boilerplate-lines.txt``,
  English and Hindi) or starts with a "read also" prefix; or
* it is a dateline alone on its line (``नई दिल्ली, (भाषा)``, ``मुंबई, 5 अगस्त (आईएएनएस)``); or
* it was *learned from the archive*: a short line that recurs, word for word
  (after :func:`normalize_line`), in at least ``min_articles`` different
  articles of one source.  The learned table lives beside the index
  (:func:`hsearch.index.layout.boilerplate_path`), written atomically; it keeps
  for each candidate line the (hashed) ids of the articles it was seen in, up
  to ``min_articles``, so indexing the same article again never counts twice,
  and at most ``max_pending`` such candidates per source (the oldest seen once
  are dropped first), so it does not grow with the archive.

Only lines are ever left out, never parts of one: a paragraph that starts
with a dateline keeps it.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

from . import layout
from .articles import Article
from .atomic import atomic_write_text

TABLE_FORMAT = 1
# Prefixes of lines that point at another article ("यह भी पढ़ें: किम ने ...").
READ_ALSO = ("यह भी पढ़ें", "ये भी पढ़ें", "इसे भी पढ़ें", "और पढ़ें", "also read", "read also", "read more",
             "related:", "संबंधित:", "पढ़ें:")
# News agencies of Hindi datelines.
_AGENCIES = ("भाषा", "वार्ता", "यूनीवार्ता", "एजेंसी", "एजेंसियां", "आईएएनएस", "पीटीआई", "पीटीआई-भाषा", "एएनआई",
             "यूएनआई", "रॉयटर्स", "एएफपी", "ians", "pti", "ani", "uni", "reuters", "afp", "agencies")
_DATELINE = re.compile(
    r"^[^\s,()।.]+(?:\s+[^\s,()।.]+){0,3}\s*,\s*(?:[^()]{0,24}\s*)?\(\s*(?:" + "|".join(map(re.escape, _AGENCIES))
    + r")\s*\)\s*[:\-–]?$",
    re.IGNORECASE,
)
# Characters stripped from both ends of a line before it is compared (bullets, ellipses, colons).
_EDGES = " \t\u00a0.:;,-–—|•·»«>*#…!?()[]\"'“”‘’"


@dataclass(frozen=True)
class BoilerplateSettings:
    """How lines are learned: how many articles of one source a line must recur in, and how long it may be."""

    min_articles: int = 3
    max_line_chars: int = 160
    max_pending: int = 20000  # candidate lines remembered per source


def normalize_line(line: str) -> str:
    """A line as it is compared: NFC, case folded, spaces collapsed, bullets and trailing dots gone."""
    text = unicodedata.normalize("NFC", line).casefold()
    text = " ".join(text.split()).strip(_EDGES)
    return text


@lru_cache(maxsize=1)
def known_lines() -> frozenset[str]:
    """The well-known chrome lines shipped with hsearch, normalized."""
    text = resources.files("hsearch.index").joinpath("data/boilerplate-lines.txt").read_text(encoding="utf-8")
    return frozenset(normalize_line(line) for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def is_known(line: str) -> bool:
    """Whether ``line`` is chrome by itself: a known chrome line, a "read also" pointer, a lone dateline."""
    norm = normalize_line(line)
    if not norm:
        return False
    if norm in known_lines():
        return True
    if norm.startswith(READ_ALSO) and len(norm) <= 200:
        return True
    plain = " ".join(unicodedata.normalize("NFC", line).casefold().split())  # the parentheses kept
    return len(plain) <= 80 and _DATELINE.match(plain) is not None


def strip_known(body: str) -> str:
    """``body`` without its known chrome lines (what any article's content is, learned table or not)."""
    return _keep(body, lambda line: is_known(line))


def content_of(article: Article) -> str:
    """The text of ``article`` that embeddings and story shingles are made from."""
    if article.content is not None:
        return article.content
    return strip_known(article.body)


def _keep(body: str, drop) -> str:  # type: ignore[no-untyped-def]
    lines = body.split("\n")
    kept = [line for line in lines if not drop(line)]
    if len(kept) == len(lines):
        return body
    return "\n".join(kept).strip()


def line_key(norm: str) -> str:
    return hashlib.blake2b(norm.encode("utf-8"), digest_size=8).hexdigest()


def _article_key(article_id: str) -> str:
    return hashlib.blake2b(article_id.encode("utf-8"), digest_size=5).hexdigest()


@dataclass
class _Source:
    chrome: set[str] = field(default_factory=set)
    pending: dict[str, list[str]] = field(default_factory=dict)  # line key -> article keys seen (< min_articles)


@dataclass
class Boilerplate:
    """The lines learned from an archive, per source; empty for a new index."""

    settings: BoilerplateSettings = BoilerplateSettings()
    sources: dict[str, _Source] = field(default_factory=dict)

    # -- reading -------------------------------------------------------------
    def is_chrome(self, line: str, source: str = "") -> bool:
        if is_known(line):
            return True
        held = self.sources.get(source)
        if held is None or not held.chrome:
            return False
        norm = normalize_line(line)
        return bool(norm) and line_key(norm) in held.chrome

    def content(self, body: str, source: str = "") -> str:
        """``body`` without the lines that are chrome for ``source``."""
        return _keep(body, lambda line: self.is_chrome(line, source))

    def chrome_lines(self, source: str = "") -> int:
        held = self.sources.get(source)
        return len(held.chrome) if held else 0

    # -- learning ------------------------------------------------------------
    def learn(self, article_id: str, source: str, body: str) -> None:
        """Count the short lines of one article (each line once per article)."""
        limit = self.settings.max_line_chars
        keys = {line_key(norm) for norm in (normalize_line(line) for line in body.split("\n"))
                if norm and len(norm) <= limit and not is_known(norm)}
        if not keys:
            return
        held = self.sources.setdefault(source, _Source())
        who = _article_key(article_id)
        for key in keys:
            if key in held.chrome:
                continue
            seen = held.pending.pop(key, [])  # re-inserted: the dict's order is "last seen" order
            if who not in seen:
                seen.append(who)
            if len(seen) >= self.settings.min_articles:
                held.chrome.add(key)
            else:
                held.pending[key] = seen
        while len(held.pending) > self.settings.max_pending:
            held.pending.pop(next(iter(held.pending)))

    def prepare(self, articles: Sequence[Article]) -> list[Article]:
        """Learn from ``articles``, then give each its content (its body without chrome)."""
        for article in articles:
            self.learn(article.id, article.source, article.body)
        return [replace(a, content=self.content(a.body, a.source)) for a in articles]

    # -- storing -------------------------------------------------------------
    @classmethod
    def load(cls, index_dir: Path, settings: BoilerplateSettings = BoilerplateSettings()) -> Boilerplate:
        """The table beside the index; an empty one when there is none or it cannot be read (it is derived)."""
        path = layout.boilerplate_path(Path(index_dir))
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != TABLE_FORMAT:
                return cls(settings)
            sources = {name: _Source(set(held.get("chrome", [])), {k: list(v) for k, v in held.get("pending", [])})
                       for name, held in data.get("sources", {}).items()}
        except (OSError, ValueError, TypeError, AttributeError):
            return cls(settings)
        return cls(settings, sources)

    def save(self, index_dir: Path) -> None:
        data = {"format": TABLE_FORMAT, "min_articles": self.settings.min_articles,
                "sources": {name: {"chrome": sorted(held.chrome), "pending": list(held.pending.items())}
                            for name, held in self.sources.items()}}
        atomic_write_text(layout.boilerplate_path(Path(index_dir)),
                          json.dumps(data, ensure_ascii=False, separators=(",", ":")))


def learned_from(records: Iterable[tuple[str, str, str]],
                 settings: BoilerplateSettings = BoilerplateSettings()) -> Boilerplate:
    """A table learned from ``(id, source, body)`` records (benchmarks, tests, a rebuild)."""
    table = Boilerplate(settings)
    for article_id, source, body in records:
        table.learn(article_id, source, body)
    return table
