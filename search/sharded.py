"""A query over a sharded index: plan and embed once, fan out to the shards, fuse and page once.

The ingress (:class:`ShardedEngine`) does for N shards what
:class:`~hsearch.search.engine.SearchEngine` does for one index, with the
same pieces, so that the answers are the same:

1. **plan** the words once (:func:`~hsearch.search.retrieval.plan_query`) over
   the set's own tables: document frequencies summed over the shards
   (:class:`~hsearch.index.collection.CollectionTable`) and the shards' key
   tables merged (:class:`MergedKeyTable`); **embed** the query once;
2. **fan out** one :class:`ShardQuery` to every shard, carrying the query's
   BM25 statistics of the whole collection (N, document frequencies, field
   lengths: Elasticsearch's ``dfs_query_then_fetch``, read from the table
   refreshed at each commit, so there is no extra round trip) and the query
   vector; each shard (:class:`Shard`) returns the top candidates of each side
   with raw scores;
3. **merge** each side's lists (BM25 by score; cosine by score, then id, as
   the vector store orders them), then fuse and apply the relevance floor
   once over the union (:func:`~hsearch.search.retrieval.combine`: never per
   shard, whose min-max would rank differently), then collapse stories with
   the set's one story table (copies on different shards fold into one hit),
   sort and page (:func:`~hsearch.search.hydration.hydrate`), fetching stored
   fields only for the page, from the shards that own the hits.

A shard that does not answer (no live replica, a timeout) is left out and
named: the page says ``partial`` and which shards failed, as Elasticsearch
reports ``_shards.failed``; only when no shard answers is the query an error.

Shards are reached through a :class:`ShardClient`: :class:`LocalShardClient`
runs a :class:`Shard` in this process (``hsearch query`` over a sharded index,
the tests), :mod:`hsearch.search.serve_ray` a Ray Serve deployment of one.
"""

from __future__ import annotations

import math
import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, TypeVar

import numpy as np

from hsearch.index import layout
from hsearch.index import shards as shard_set
from hsearch.index.collection import CollectionStats, CollectionTable
from hsearch.index.encoders import Encoder, encoder_for_spec
from hsearch.index.errors import ArticleNotFoundError, HsearchError, QueryError, Remedy
from hsearch.index.keytable import KeyedTerm, KeyTable
from hsearch.index.schema import build_schema
from hsearch.index.scripts import is_devanagari_term
from hsearch.index.stories import StoryTable
from hsearch.index.boilerplate import Boilerplate

from . import query_parser
from .collapse import PageRequest
from .engine import FacetCounts, SearchEngine, SearchSettings
from .expansion import Expander, QueryPlan, expand_query
from .filters import FACET_FIELDS, Filters
from .fusion import is_latin_query, needs_upper
from .hydration import ResultPage, hydrate
from .modes import MODES, modes_for
from .query_parser import positive_terms
from .relevance import BACKGROUND_RANK, QueryContext, Signals, background, coverage
from .retrieval import Ranked, Ranking, combine, floor_for, has_required, plan_query, word_groups
from .snapshot import SnapshotSettings
from .snippets import Snippet, mark_all
from .similar import centroid, key_terms, key_terms_query, rank_similar

log = logging.getLogger("hsearch.sharded")
T = TypeVar("T")
#: How long the ingress waits for one shard's answer before leaving it out of the page.
SHARD_TIMEOUT_S = 30.0


class ShardsUnavailableError(HsearchError):
    """No shard of a sharded index answered."""


# -- what travels between the ingress and a shard ------------------------------------------
@dataclass(frozen=True)
class ShardQuery:
    """One query as a shard runs it: the text and its expansions (parsed again there), filters, depths,
    the collection's BM25 statistics, and the query vector (None: no semantic side)."""

    text: str
    replacements: dict[str, list[tuple[str, float]]]
    filters: Filters = Filters()
    stats: CollectionStats | None = None
    bm25_depth: int = 0
    vector: np.ndarray | None = None
    semantic_text: str = ""
    dense_depth: int = 0
    key_terms: tuple[tuple[str, float], ...] = ()  # "more like this": weighted terms instead of the text


@dataclass(frozen=True)
class ShardAnswer:
    """A shard's top candidates of each side, raw scores, best first."""

    shard: str
    bm25: Ranked
    dense: Ranked


class Shard:
    """One shard's query side: an engine over one shard folder that follows its commits.

    This is the object a Ray Serve replica holds; in-process it serves
    ``hsearch query`` over a sharded index.  It never embeds (the ingress sends
    the vector) and calls are serialized (one engine serves one thread at a time).
    """

    def __init__(self, shard_dir: Path, name: str, settings: SearchSettings = SearchSettings()) -> None:
        self.name = name
        self.shard_dir = Path(shard_dir)
        self._engine = SearchEngine(self.shard_dir, settings)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._engine.close()

    def search(self, query: ShardQuery) -> ShardAnswer:
        with self._lock:
            snapshot = self._engine.snapshot()
            fulltext = snapshot.fulltext
            parsed = key_terms_query(query.key_terms) if query.key_terms else \
                expand_query(fulltext.parse(query.text), query.replacements)
            filter_query = query.filters.to_whoosh()
            bm25 = fulltext.search(parsed, query.bm25_depth, filter_query, query.stats) if query.bm25_depth else []
            dense: Ranked = []
            if query.dense_depth and query.vector is not None and snapshot.semantic is not None:
                allowed = fulltext.ids_matching(filter_query) if filter_query is not None else None
                dense = [(hit.article_id, hit.score) for hit in
                         snapshot.semantic.search(query.semantic_text, query.dense_depth, allowed, vector=query.vector)]
            return ShardAnswer(self.name, bm25, dense)

    def similar_sources(self, article_id: str) -> tuple[str, list[tuple[str, float]], np.ndarray | None] | None:
        """What "articles like this one" searches with: the article's headline, its key terms (weighted by
        this shard's statistics) and its passages' centroid; None when the shard does not hold it."""
        with self._lock:
            snapshot = self._engine.snapshot()
            stored = snapshot.fulltext.documents([article_id]).get(article_id)
            if stored is None:
                return None
            vector = centroid(snapshot.semantic.store.vectors_of(article_id)) if snapshot.semantic else None
            return str(stored.get("title") or ""), key_terms(snapshot.fulltext, stored), vector

    def matched_terms(self, terms: list[str], ids: list[str]) -> dict[str, set[str]]:
        """Which of ``terms`` each of this shard's articles ``ids`` holds (the relevance decision's word coverage)."""
        with self._lock:
            return self._engine.snapshot().fulltext.matched_terms(terms, ids)

    def reference_score(self, query: ShardQuery, top: tuple[str, float]) -> float:
        """BM25's reference for a side that cannot be spread, asked of the shard that holds ``top``."""
        with self._lock:
            fulltext = self._engine.snapshot().fulltext
            return fulltext.reference_score(expand_query(fulltext.parse(query.text), query.replacements), top,
                                            query.stats)

    def documents(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        with self._lock:
            return self._engine.snapshot().fulltext.documents(ids)

    def facets(self) -> FacetCounts:
        with self._lock:
            return self._engine.facets()

    def health(self) -> dict[str, Any]:
        with self._lock:
            snapshot = self._engine.snapshot()
            return {"name": self.name, "articles": snapshot.manifest.articles, "passages": snapshot.manifest.passages,
                    "updated": snapshot.manifest.updated, "pid": os.getpid()}


# -- reaching a shard ----------------------------------------------------------------------
class Pending(Protocol[T]):  # type: ignore[misc]
    def result(self, timeout: float | None = None) -> T: ...


class ShardClient(Protocol):
    """How the ingress calls one shard: ``call("search", query)`` returns a pending answer."""

    name: str

    def call(self, method: str, *args: Any) -> Pending[Any]: ...

    def close(self) -> None: ...


class LocalShardClient:
    """A :class:`Shard` in this process, answered on a thread of its own so that shards run side by side."""

    def __init__(self, shard: Shard) -> None:
        self.name = shard.name
        self.shard = shard
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"hsearch-shard-{shard.name}")

    def call(self, method: str, *args: Any) -> Future[Any]:
        return self._pool.submit(getattr(self.shard, method), *args)

    def close(self) -> None:
        self._pool.shutdown()
        self.shard.close()


def local_clients(index_dir: Path, settings: SearchSettings = SearchSettings()) -> list[LocalShardClient]:
    """One in-process client per shard of the set at ``index_dir``."""
    built = shard_set.load(index_dir)
    shard_set.check_shards(index_dir, built)
    shard_settings = replace(settings, preload=settings.preload, mode=None)
    return [LocalShardClient(Shard(folder, name, shard_settings))
            for name, folder in zip(built.names, built.dirs(index_dir), strict=True)]


# -- the set's own tables, as the ingress reads them -----------------------------------------
class MergedKeyTable:
    """The shards' romanized-key tables as one, with the set's document frequencies (for expansion)."""

    def __init__(self, tables: Sequence[KeyTable], collection: CollectionTable) -> None:
        self._tables = tables
        self._collection = collection

    def lookup(self, keys: Iterable[str]) -> dict[str, list[KeyedTerm]]:
        wanted = list(dict.fromkeys(keys))
        found: dict[str, dict[str, KeyedTerm]] = {}
        for table in self._tables:
            for key, terms in table.lookup(wanted).items():
                for term in terms:
                    found.setdefault(key, {})[term.term] = KeyedTerm(term.term, term.spelling,
                                                                     self._collection.term_frequency(term.term))
        return {key: list(terms.values()) for key, terms in found.items()}

    def document_frequency(self, term: str) -> int:
        return self._collection.term_frequency(term) if is_devanagari_term(term) else 0

    def close(self) -> None:
        for table in self._tables:
            table.close()


class _SetFullText:
    """What planning and hydration read of a full-text side, over the set (stored fields from the owners)."""

    def __init__(self, engine: ShardedEngine, collection: CollectionTable) -> None:
        self.schema = build_schema()
        self.analyzer = self.schema["body"].analyzer
        self._parser = query_parser.make_parser(self.schema)
        self._engine = engine
        self.collection = collection

    def parse(self, text: str) -> Any:
        return query_parser.parse(self._parser, text)

    def term_frequency(self, term: str) -> int:
        return self.collection.term_frequency(term)

    def term_statistics(self, term: str) -> tuple[int, float]:
        return self.term_frequency(term), self.idf(term)

    def idf(self, term: str) -> float:
        """As :meth:`FullTextSearcher.idf`, with the set's statistics."""
        held = [self.collection.idf(f, term) for f in query_parser.SEARCH_FIELDS if self.collection.doc_frequency(f, term)]
        return max(held) if held else math.log(max(self.collection.doc_count_all, 1)) + 1.0

    def matched_terms(self, terms: Iterable[str], ids: Sequence[str]) -> dict[str, set[str]]:
        """Which of ``terms`` each article holds, asked of the shards that own them."""
        return self._engine.matched_terms(sorted(terms), list(ids))

    def documents(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return self._engine.documents(ids)


class _Present:
    """Stands for the vector side in mode checks (the vectors themselves are on the shards)."""


@dataclass(eq=False)
class SetView:
    """The set as one commit of its top-level tables describes it: a snapshot for planning and hydration."""

    index_dir: Path
    manifest: shard_set.ShardSet
    stamp: tuple[int, ...]
    fulltext: _SetFullText
    settings: SnapshotSettings
    semantic: _Present | None
    stories: StoryTable
    _expander: Expander | None = field(default=None, repr=False)
    _boilerplate: Boilerplate | None = field(default=None, repr=False)

    def reading_text(self, stored: dict[str, object]) -> str:
        """An article's body without the site chrome known or learned for the set (as Snapshot.reading_text)."""
        if self._boilerplate is None:
            self._boilerplate = Boilerplate.load(self.index_dir)
        return self._boilerplate.content(str(stored.get("body") or ""), str(stored.get("source") or ""))

    @property
    def expander(self) -> Expander:
        if self._expander is None:
            keys = MergedKeyTable([KeyTable.open(d, keys_in_memory=self.settings.preload)
                                   for d in self.manifest.dirs(self.index_dir)],
                                  self.fulltext.collection)
            self._expander = Expander(keys, self.settings.expansion)  # type: ignore[arg-type]
        return self._expander

    def release(self) -> None:
        if self._expander is not None:
            self._expander.table.close()
            self._expander = None


def set_stamp(index_dir: Path) -> tuple[int, ...]:
    """Changes whenever a write to the set finishes (its manifest is the last file a write replaces)."""
    stamps: list[int] = []
    for path in (layout.shards_manifest_path(index_dir), layout.collection_path(index_dir),
                 layout.stories_path(index_dir)):
        try:
            info = path.stat()
            stamps += [info.st_ino, info.st_mtime_ns, info.st_size]
        except FileNotFoundError:
            stamps += [0, 0, 0]
    return tuple(stamps)


# -- the ingress ---------------------------------------------------------------------------
class ShardedEngine:
    """The query side of a sharded index: what the CLI and the server call, as they call a SearchEngine.

    ``clients`` reach the shards (in the set's order); ``encoder`` embeds
    queries (default: the set's model, loaded at the first semantic query).
    One engine serves one thread at a time (the server keeps a pool).
    """

    def __init__(self, index_dir: Path, clients: Sequence[ShardClient], settings: SearchSettings = SearchSettings(),
                 encoder: Encoder | None = None, *, timeout_s: float = SHARD_TIMEOUT_S,
                 own_clients: bool = False) -> None:
        self.index_dir = Path(index_dir)
        self.settings = settings
        self.timeout_s = timeout_s
        self._clients = list(clients)
        self._own_clients = own_clients
        self._encoder = encoder
        self._failed: set[str] = set()
        self._view = self._open()
        if len(self._clients) != self._view.manifest.count:
            raise ValueError(f"{len(self._clients)} shard clients for {self._view.manifest.count} shards")

    @classmethod
    def local(cls, index_dir: Path, settings: SearchSettings = SearchSettings(),
              encoder: Encoder | None = None) -> ShardedEngine:
        """Every shard in this process (no cluster): ``hsearch query`` over a sharded index."""
        return cls(index_dir, local_clients(index_dir, settings), settings, encoder, own_clients=True)

    def __enter__(self) -> ShardedEngine:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._view.release()
        if self._own_clients:
            for client in self._clients:
                client.close()

    # -- following the set's commits ---------------------------------------------------------
    def _open(self) -> SetView:
        built = shard_set.load(self.index_dir)
        stamp = set_stamp(self.index_dir)
        table = CollectionTable.load(layout.collection_path(self.index_dir))
        if table is None:
            raise HsearchError(f"the collection statistics of {self.index_dir} are missing",
                               remedy=Remedy("repair", str(self.index_dir)))
        fulltext = _SetFullText(self, table)
        return SetView(self.index_dir, built, stamp, fulltext,
                       SnapshotSettings(preload=self.settings.preload, expansion=self.settings.expansion),
                       _Present() if built.model is not None else None, StoryTable.load(self.index_dir))

    def snapshot(self) -> SetView:
        if self.settings.follow and set_stamp(self.index_dir) != self._view.stamp:
            old, self._view = self._view, self._open()
            old.release()
        return self._view

    @property
    def manifest(self) -> shard_set.ShardSet:
        return self._view.manifest

    @property
    def has_vectors(self) -> bool:
        return self._view.manifest.model is not None

    @property
    def shard_names(self) -> list[str]:
        return [client.name for client in self._clients]

    def encoder(self) -> Encoder:
        if self._encoder is None:
            model = self._view.manifest.model
            assert model is not None
            self._encoder = encoder_for_spec(model, fast_queries=self.settings.preload)
        return self._encoder

    # -- fan-out -------------------------------------------------------------------------------
    def _fan_out(self, method: str, args_of: Callable[[int], tuple[Any, ...] | None]) -> dict[int, Any]:
        """Call ``method`` on the shards ``args_of`` gives arguments for; the answers of those that answered."""
        pending: dict[int, Any] = {}
        for number, client in enumerate(self._clients):
            args = args_of(number)
            if args is None:
                continue
            try:
                pending[number] = client.call(method, *args)
            except Exception as exc:  # noqa: BLE001 - a shard that cannot be reached is left out, and named
                self._shard_failed(client, exc)
        answers: dict[int, Any] = {}
        for number, waiting in pending.items():
            try:
                answers[number] = waiting.result(timeout=self.timeout_s)
            except Exception as exc:  # noqa: BLE001 - as above: never a failed page for one shard
                self._shard_failed(self._clients[number], exc)
        return answers

    def _shard_failed(self, client: ShardClient, exc: BaseException) -> None:
        if client.name not in self._failed:
            log.warning("shard %s did not answer (%s: %s); the page is partial", client.name,
                        type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
        self._failed.add(client.name)

    def documents(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Stored fields of ``ids``, each from the shard that owns it (order kept; unknown ids left out)."""
        built = self._view.manifest
        wanted: dict[int, list[str]] = {}
        for article_id in dict.fromkeys(ids):
            wanted.setdefault(built.owner(article_id), []).append(article_id)
        answers = self._fan_out("documents", lambda n: (wanted[n],) if n in wanted else None)
        found: dict[str, dict[str, Any]] = {}
        for part in answers.values():
            found.update(part)
        return {article_id: found[article_id] for article_id in ids if article_id in found}

    # -- queries ---------------------------------------------------------------------------------
    def matched_terms(self, terms: list[str], ids: list[str]) -> dict[str, set[str]]:
        owner = self.snapshot().manifest.owner
        by_shard: dict[int, list[str]] = {}
        for article_id in ids:
            by_shard.setdefault(owner(article_id), []).append(article_id)
        found: dict[str, set[str]] = {article_id: set() for article_id in ids}
        for part in self._fan_out("matched_terms", lambda n: (terms, by_shard[n]) if n in by_shard else None).values():
            found.update(part)
        return found

    def resolve_mode(self, mode: str | None) -> str:
        chosen = mode or self.settings.mode or modes_for(self.has_vectors)[0]
        if chosen not in MODES:
            raise QueryError(f"unknown {{mode}} {chosen!r}; choose one of {', '.join(MODES)}", params=("mode",))
        if chosen != "bm25" and not self.has_vectors:
            raise QueryError(f"{self.index_dir} has no vectors (built with {{model}} none), so {{mode}} {chosen} "
                             "cannot run", advice="Rebuild it with a model to search by meaning",
                             params=("mode", "model"), retry={"mode": "bm25"})
        return chosen

    def plan(self, text: str, *, expand: bool = True) -> QueryPlan:
        return plan_query(self.snapshot(), text, expand=expand)  # type: ignore[arg-type]

    def search(self, request: Any) -> ResultPage:
        """One page of results for a :class:`~hsearch.search.request.SearchRequest`, as one index gives it."""
        self._failed = set()
        view = self.snapshot()
        ranking = self._rank(view, request.text, mode=request.mode,
                             depth=request.page.pool_depth(self.settings.fusion.candidates), filters=request.filters,
                             min_score=request.min_score, expand=request.expand)
        page = hydrate(view, ranking, request.page)  # type: ignore[arg-type]
        return replace(page, failed_shards=tuple(sorted(self._failed)))

    def rank(self, text: str, *, mode: str | None = None, depth: int = 10, filters: Filters = Filters(),
             reference: bool = False, min_score: float | None = None, expand: bool = True) -> Ranking:
        self._failed = set()
        return self._rank(self.snapshot(), text, mode=mode, depth=depth, filters=filters, min_score=min_score,
                          expand=expand, reference=reference)

    def _rank(self, view: SetView, text: str, *, mode: str | None, depth: int, filters: Filters,
              min_score: float | None, expand: bool, reference: bool = False) -> Ranking:
        chosen = self.resolve_mode(mode)
        fusion = self.settings.fusion
        wanted = depth if chosen != "hybrid" else max(depth, fusion.candidates)
        plan = plan_query(view, text, expand=expand)  # type: ignore[arg-type]
        parsed = expand_query(view.fulltext.parse(text), plan.replacements())
        terms = frozenset(positive_terms(parsed))
        floor = floor_for(view, fusion, min_score)  # type: ignore[arg-type]
        latin = is_latin_query(text) and not plan.romanized
        floor_words = chosen == "semantic" and floor is not None and bool(terms) and not latin
        bm25_depth = wanted if chosen != "semantic" else (fusion.candidates if floor_words else 0)
        dense_depth, vector = 0, None
        if chosen != "bm25":
            dense_depth = max(wanted, BACKGROUND_RANK) if not filters.active else wanted
            if plan.semantic_text.strip():
                vector = self.encoder().encode_queries([plan.semantic_text])[0]
        stats = view.fulltext.collection.stats_for(parsed.iter_all_terms(phrases=True)) if bm25_depth else None
        query = ShardQuery(text, plan.replacements(), filters, stats, bm25_depth, vector, plan.semantic_text,
                           dense_depth)
        answers = self._fan_out("search", lambda _: (query,))
        if not answers:
            raise ShardsUnavailableError(f"no shard of {self.index_dir} answered ({', '.join(sorted(self._failed))})",
                                         advice="Check the shards' replicas (/api/health) and try again")
        ordered = [answers[n] for n in sorted(answers)]
        side_bm25 = merge_bm25([a.bm25 for a in ordered], bm25_depth)
        dense = merge_dense([a.dense for a in ordered], dense_depth)
        bm25 = side_bm25 if chosen != "semantic" else []
        lexical = frozenset(doc for doc, _ in side_bm25)
        has_terms = bool(terms) and not plan.only_unknown_words
        base = None
        if vector is not None:  # the background is the whole set's, never the filtered slice's (as one index)
            if not filters.active:
                base = background(dense)
            elif floor is not None:
                whole = ShardQuery(text, plan.replacements(), Filters(), None, 0, vector, plan.semantic_text,
                                   BACKGROUND_RANK)
                answers = self._fan_out("search", lambda _: (whole,))
                base = background(merge_dense([answers[n].dense for n in sorted(answers)], BACKGROUND_RANK))
        signals = None
        if floor is not None or chosen != "bm25":
            groups = word_groups(view.fulltext, terms, plan)
            shares = coverage(groups, view.fulltext.matched_terms(terms, sorted(lexical))) if lexical else {}
            context = QueryContext(background=base, has_terms=has_terms, latin=latin, lexical_hits=bool(lexical),
                                   groups=len(groups), required=has_required(parsed))
            signals = Signals(context, shares)
        upper = None
        if bm25 and chosen == "hybrid" and (reference or needs_upper(bm25, fusion.method)):
            owner = view.manifest.owner(bm25[0][0])
            found = self._fan_out("reference_score", lambda n: (query, bm25[0]) if n == owner else None)
            upper = found.get(owner, bm25[0][1])
        return combine(chosen, bm25, dense, terms, plan, fusion, depth=depth, latin=latin, bm25_upper=upper,
                       lexical=lexical, floor=floor, signals=signals)

    def similar(self, article_id: str, *, mode: str | None = None, page: PageRequest = PageRequest()) -> ResultPage:
        """Articles like this one over every shard: its key terms (as the owning shard weighs them) searched
        with the set's statistics, its centroid on every shard's vectors, judged and paged once here."""
        self._failed = set()
        view = self.snapshot()
        chosen = self.resolve_mode(mode)
        fusion = self.settings.fusion
        owner = view.manifest.owner(article_id)
        sources = self._fan_out("similar_sources", lambda n: (article_id,) if n == owner else None).get(owner)
        if sources is None:
            raise ArticleNotFoundError(article_id, self.index_dir)
        title, weighted, vector = sources
        depth = page.pool_depth(fusion.candidates)
        wanted = max(depth, fusion.candidates)
        weighted = weighted if chosen in ("bm25", "hybrid") else []
        vector = vector if chosen in ("semantic", "hybrid") else None
        terms_query = key_terms_query(weighted) if weighted else None
        stats = view.fulltext.collection.stats_for(terms_query.iter_all_terms()) if terms_query is not None else None
        dense_depth = max(wanted + 1, BACKGROUND_RANK) if vector is not None else 0
        query = ShardQuery("", {}, Filters(), stats, wanted + 1 if weighted else 0, vector, title, dense_depth,
                           key_terms=tuple(weighted))
        answers = self._fan_out("search", lambda _: (query,))
        ordered = [answers[n] for n in sorted(answers)]
        ranking = rank_similar(chosen, article_id, title, weighted, merge_bm25([a.bm25 for a in ordered], wanted + 1),
                               merge_dense([a.dense for a in ordered], dense_depth),
                               story_of=view.stories.stories, matched_terms=view.fulltext.matched_terms,
                               model=view.manifest.model, fusion=fusion, depth=depth)
        return replace(hydrate(view, ranking, page), failed_shards=tuple(sorted(self._failed)))  # type: ignore[arg-type]

    # -- articles ----------------------------------------------------------------------------------
    def article(self, article_id: str) -> dict[str, object] | None:
        self._failed = set()
        return self.documents([article_id]).get(article_id)

    def mark(self, text: str, query: str) -> Snippet:
        fulltext = self.snapshot().fulltext
        return mark_all(text, positive_terms(fulltext.parse(query)), fulltext.analyzer)

    def facets(self, limit: int | None = None) -> FacetCounts:
        """Each facet value's live article count over every shard that answered."""
        self._failed = set()
        counts: dict[str, dict[str, tuple[str, int]]] = {name: {} for name in FACET_FIELDS}
        for part in self._fan_out("facets", lambda _: ()).values():
            for name, values in part.items():
                for value, count in values:
                    shown, total = counts.setdefault(name, {}).get(value.lower(), (value, 0))
                    counts[name][value.lower()] = (shown, total + count)
        return {name: sorted(found.values(), key=lambda v: (-v[1], v[0].lower()))[:limit]
                for name, found in counts.items() if found}

    def health(self) -> list[dict[str, Any]]:
        """Each shard: its articles and commit as it answers, or why it does not."""
        self._failed = set()
        answers = self._fan_out("health", lambda _: ())
        report = []
        for number, client in enumerate(self._clients):
            if number in answers:
                report.append({**answers[number], "status": "ok"})
            else:
                report.append({"name": client.name, "status": "down"})
        return report


def merge_bm25(lists: Sequence[Ranked], depth: int) -> Ranked:
    """The shards' BM25 lists as one, best first (ties keep each shard's order, then the shards')."""
    merged = [hit for ranked in lists for hit in ranked]
    merged.sort(key=lambda hit: -hit[1])  # stable
    return merged[:depth]


def merge_dense(lists: Sequence[Ranked], depth: int) -> Ranked:
    """The shards' cosine lists as one, best first, ties by id (the vector store's own order)."""
    return sorted((hit for ranked in lists for hit in ranked), key=lambda hit: (-hit[1], hit[0]))[:depth]
