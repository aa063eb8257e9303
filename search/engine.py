"""Open an index once and answer queries in any mode: the library API under the CLI and the server.

A query flows once: a :class:`~hsearch.search.request.SearchRequest` is
ranked over the engine's current :class:`~hsearch.search.snapshot.Snapshot`
(:func:`~hsearch.search.retrieval.retrieve`, giving a frozen
:class:`~hsearch.search.retrieval.Ranking` that carries its plan and mode),
then hydrated into a :class:`~hsearch.search.hydration.ResultPage` from the
same snapshot.  Nothing about a query is remembered between calls.

The engine follows writers: before each query it compares the manifest's
stamp (one ``stat``) with its snapshot's and, after a commit, swaps in a
snapshot that follows the old one (``SearchSettings.follow``).  One engine
serves one thread at a time; the server keeps a pool of them.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from hsearch.index.encoders import Encoder
from hsearch.index.manifest import Manifest
from hsearch.index.stories import StoryTable

from .collapse import PageRequest
from .expansion import ExpansionSettings, QueryPlan
from .filters import FACET_FIELDS, Filters
from .fulltext import FullTextSearcher
from .fusion import FusionSettings
from .hydration import Hit, ResultPage, hydrate
from .query_parser import positive_terms
from .request import SearchRequest
from .relevance import Floor
from .retrieval import Ranking, floor_for, plan_query, resolve_mode, retrieve
from .semantic import SemanticSearcher
from .similar import similar_ranking
from .snapshot import EncoderSource, Snapshot, SnapshotSettings, manifest_stamp, open_snapshot
from .snippets import Snippet, mark_all

if TYPE_CHECKING:
    from .vector_prefetch import VectorPrefetch

__all__ = ["FacetCounts", "Hit", "Ranking", "ResultPage", "SearchEngine", "SearchRequest", "SearchSettings"]

FacetCounts = dict[str, list[tuple[str, int]]]  # facet field -> (value as stored, live articles), most first


@dataclass(frozen=True)
class SearchSettings:
    """Query-time choices; ``mode=None`` means hybrid when the index has vectors, else bm25.

    ``preload`` is for engines that answer many queries (server, batch,
    eval, benchmarks): it spends start-up time (about 0.5 s for the ONNX
    query encoder, about 1 s for the compiled BM25 kernel when numba is
    installed, field-length tables on the first BM25 query) to make
    every later query faster.  A one-shot ``hsearch query`` leaves it off.
    ``follow`` checks for a new commit before each query (one ``stat``).
    """

    mode: str | None = None
    fusion: FusionSettings = FusionSettings()
    preload: bool = False
    expansion: ExpansionSettings = ExpansionSettings()
    follow: bool = True


@dataclass(frozen=True)
class Reading:
    """An article opened for reading: stored fields, and the marked headline and body."""

    stored: dict[str, object]
    title: Snippet
    body: Snippet


class SearchEngine:
    """One open index.  ``with SearchEngine(path) as engine: engine.search(SearchRequest("कुर्स्क"))``."""

    def __init__(self, index_dir: Path, settings: SearchSettings = SearchSettings(),
                 encoder: Encoder | None = None, *, encoder_for: EncoderSource | None = None,
                 prefetched: VectorPrefetch | None = None) -> None:
        """``encoder`` is the query encoder to use (it must be the index's model); ``encoder_for``
        gives one for whatever model the index has after a rebuild (a server shares them);
        ``prefetched``: the vector store and encoder a one-shot process began opening before it imported
        the engine (:class:`~hsearch.search.vector_prefetch.VectorPrefetch`), used where they match."""
        self.index_dir = Path(index_dir)
        self.settings = settings
        self._snapshot_settings = SnapshotSettings(preload=settings.preload, expansion=settings.expansion)
        self._encoder_for = encoder_for
        self._snapshot = open_snapshot(self.index_dir, self._snapshot_settings, encoder=encoder,
                                       encoder_for=encoder_for, prefetched=prefetched)
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> SearchEngine:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
        self._snapshot.release()
        self._snapshot.fulltext.close()

    # -- following the writer ------------------------------------------------
    def snapshot(self) -> Snapshot:
        """The snapshot the next query reads: the current commit's, when ``follow`` is on."""
        if self.settings.follow and manifest_stamp(self.index_dir) != self._snapshot.stamp:
            self.refresh()
        return self._snapshot

    def refresh(self) -> None:
        """See what was committed since the snapshot was opened (queries do so themselves with ``follow``)."""
        old = self._snapshot
        self._snapshot = open_snapshot(self.index_dir, self._snapshot_settings, previous=old,
                                       encoder_for=self._encoder_for)
        if self._snapshot is not old:
            old.release()

    @property
    def manifest(self) -> Manifest:
        return self._snapshot.manifest

    @property
    def has_vectors(self) -> bool:
        return self._snapshot.semantic is not None

    # The current snapshot's parts, for benchmarks and tools that time or inspect one side.
    @property
    def fulltext(self) -> FullTextSearcher:
        return self.snapshot().fulltext

    @property
    def semantic(self) -> SemanticSearcher | None:
        return self.snapshot().semantic

    @property
    def stories(self) -> StoryTable:
        return self.snapshot().stories

    def floor(self, min_score: float | None = None) -> Floor | None:
        """The relevance floor in force: ``min_score``, else the settings', else the model's (0: none)."""
        return floor_for(self.snapshot(), self.settings.fusion, min_score)

    # -- queries -------------------------------------------------------------
    def search(self, request: SearchRequest) -> ResultPage:
        """One page of results for ``request``, one per story unless it asks otherwise."""
        snapshot = self.snapshot()
        ranking = self._rank(snapshot, request.text, mode=request.mode,
                             depth=request.page.pool_depth(self.settings.fusion.candidates),
                             filters=request.filters, min_score=request.min_score, expand=request.expand)
        return hydrate(snapshot, ranking, request.page)

    def rank(self, text: str, *, mode: str | None = None, depth: int = 10, filters: Filters = Filters(),
             reference: bool = False, min_score: float | None = None, expand: bool = True) -> Ranking:
        """The top ``depth`` ids and scores for ``text``, not hydrated (what batch runs and evaluation need).

        ``reference`` computes the BM25 reference even where this engine's own
        fusion does not need it, for re-fusing the ranking under other settings.
        """
        return self._rank(self.snapshot(), text, mode=mode, depth=depth, filters=filters, reference=reference,
                          min_score=min_score, expand=expand)

    def _rank(self, snapshot: Snapshot, text: str, *, mode: str | None, depth: int, filters: Filters,
              min_score: float | None, expand: bool, reference: bool = False) -> Ranking:
        chosen = resolve_mode(snapshot, mode, self.settings.mode)
        return retrieve(snapshot, text, mode=chosen, depth=depth, fusion=self.settings.fusion, filters=filters,
                        min_score=min_score, expand=expand, reference=reference,
                        bm25_thread=self._bm25_thread() if chosen in ("hybrid", "semantic") else None)

    def similar(self, article_id: str, *, mode: str | None = None, page: PageRequest = PageRequest()) -> ResultPage:
        """Articles like this one, its own story's copies left out (:mod:`hsearch.search.similar`)."""
        snapshot = self.snapshot()
        chosen = resolve_mode(snapshot, mode, self.settings.mode)
        ranking = similar_ranking(snapshot, article_id, chosen, page.pool_depth(self.settings.fusion.candidates),
                                  self.settings.fusion)
        return hydrate(snapshot, ranking, page)

    def resolve_mode(self, mode: str | None) -> str:
        """The mode a query with ``mode`` runs in here (raises for one this index cannot answer)."""
        return resolve_mode(self.snapshot(), mode, self.settings.mode)

    def plan(self, text: str, *, expand: bool = True) -> QueryPlan:
        """How ``text`` would be expanded (a search's own plan is on its ranking: ``page.ranking.plan``)."""
        return plan_query(self.snapshot(), text, expand=expand)

    def _bm25_thread(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hsearch-bm25")
        return self._pool

    # -- articles ------------------------------------------------------------
    def article(self, article_id: str) -> dict[str, object] | None:
        """One article's stored fields, or None when the current commit does not hold it."""
        return self.snapshot().fulltext.documents([article_id]).get(article_id)

    def mark(self, text: str, query: str) -> Snippet:
        """``text`` whole, with the words ``query`` matches marked (an opened article, as its snippet was)."""
        fulltext = self.snapshot().fulltext
        return mark_all(text, positive_terms(fulltext.parse(query)), fulltext.analyzer)

    def reading(self, article_id: str, query: str) -> Reading | None:
        """An article to read: its stored fields, and its headline and body (site chrome left out) with
        ``query``'s words marked; None when the current commit does not hold it."""
        snapshot = self.snapshot()
        fulltext = snapshot.fulltext
        stored = fulltext.documents([article_id]).get(article_id)
        if stored is None:
            return None
        terms = positive_terms(fulltext.parse(query))
        return Reading(stored, mark_all(str(stored.get("title") or ""), terms, fulltext.analyzer),
                       mark_all(snapshot.reading_text(stored), terms, fulltext.analyzer))

    def facets(self, limit: int | None = None) -> FacetCounts:
        """Each value the filter fields (source, category) take, with its live article count."""
        fulltext = self.snapshot().fulltext
        return {name: fulltext.facet_values(name)[:limit] for name in FACET_FIELDS if name in fulltext.schema}
