"""Open an index once and answer queries in any mode: the library API under the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType

from hsearch.index import manifest as manifest_io
from hsearch.index.encoders import Encoder
from hsearch.index.errors import QueryError
from hsearch.index.manifest import Manifest

from .filters import FACET_FIELDS, Filters
from .fulltext import FullTextSearcher
from .fusion import FusionSettings, Side, fuse, is_latin_query, needs_upper
from .modes import MODES, modes_for
from .query_parser import positive_terms
from .semantic import SemanticSearcher
from .snippets import Snippet, make_snippet, mark_all


FacetCounts = dict[str, list[tuple[str, int]]]  # facet field -> (value as stored, live articles), most first


@dataclass(frozen=True)
class SearchSettings:
    """Query-time choices; ``mode=None`` means hybrid when the index has vectors, else bm25.

    ``preload`` is for engines that answer many queries (server, batch,
    eval, benchmarks): it spends start-up time (about 0.5 s for the ONNX
    query encoder, field-length tables on the first BM25 query) to make
    every later query faster.  A one-shot ``hsearch query`` leaves it off.
    Vectors are read at the first semantic query either way.
    """

    mode: str | None = None
    fusion: FusionSettings = FusionSettings()
    preload: bool = False


@dataclass
class Hit:
    """One result, with each side's evidence kept for ``--explain``."""

    id: str
    rank: int
    score: float
    title: str = ""
    date: datetime | None = None
    source: str = ""
    category: str = ""
    url: str = ""
    snippet: Snippet = field(default_factory=list)
    title_marks: Snippet = field(default_factory=list)  # the headline with the query's words marked
    bm25_score: float | None = None
    bm25_rank: int | None = None
    cosine: float | None = None
    cosine_rank: int | None = None


@dataclass
class Ranking:
    """A fused ranking before documents are fetched, with both sides' evidence: a plain value.

    ``bm25_upper`` is the BM25 score of a full match of the query (see
    :meth:`FullTextSearcher.reference_score`); it costs a second search, so the
    engine computes it only when its fusion needs it or ``rank(reference=True)``
    asks, and leaves it None otherwise.
    """

    ranked: list[tuple[str, float]]
    bm25: list[tuple[str, float]]
    dense: list[tuple[str, float]]
    terms: set[str]
    latin: bool = False
    bm25_upper: float | None = None

    def fused(self, settings: FusionSettings) -> list[tuple[str, float]]:
        """Re-fuse the two sides under other settings (fusion studies need no new search, nor an open engine)."""
        upper = 0.0
        if needs_upper(self.bm25, settings.method):
            if self.bm25_upper is None:
                raise ValueError(f"fusing with {settings.method!r} needs the BM25 reference: rank with reference=True")
            upper = self.bm25_upper
        return fuse(Side(self.bm25, upper), Side(self.dense, 1.0), settings, latin=self.latin)


class SearchEngine:
    """One open index.  ``with SearchEngine(path) as engine: engine.search("कुर्स्क")``."""

    def __init__(self, index_dir: Path, settings: SearchSettings = SearchSettings(),
                 encoder: Encoder | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.settings = settings
        self.manifest: Manifest = manifest_io.load(self.index_dir)
        self.fulltext = FullTextSearcher(self.index_dir, length_tables=settings.preload)
        self.semantic = self._semantic(self.manifest, encoder)

    def _semantic(self, manifest: Manifest, encoder: Encoder | None = None) -> SemanticSearcher | None:
        if manifest.model is None:
            return None
        return SemanticSearcher(self.index_dir, manifest.model, encoder, fast_queries=self.settings.preload)

    def __enter__(self) -> SearchEngine:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self.fulltext.close()

    def refresh(self) -> None:
        """See articles committed since the index was opened."""
        current = manifest_io.load(self.index_dir)
        self.fulltext.refresh()
        if current.model != self.manifest.model:  # rebuilt with another model (or none)
            self.semantic = self._semantic(current)
        elif self.semantic is not None:
            self.semantic.refresh()
        self.manifest = current

    def resolve_mode(self, mode: str | None) -> str:
        chosen = mode or self.settings.mode or modes_for(self.semantic is not None)[0]
        if chosen not in MODES:
            raise QueryError(f"unknown {{mode}} {chosen!r}; choose one of {', '.join(MODES)}", params=("mode",))
        if chosen != "bm25" and self.semantic is None:
            raise QueryError(
                f"{self.index_dir} has no vectors (built with {{model}} none), so {{mode}} {chosen} cannot run",
                advice="Rebuild with a model to search by meaning: hsearch index --rebuild --model e5-small ...",
                params=("mode", "model"), retry={"mode": "bm25"},
            )
        return chosen

    def rank(self, text: str, *, mode: str | None = None, depth: int = 10,
             filters: Filters = Filters(), reference: bool = False) -> Ranking:
        """The top ``depth`` ids and scores for ``text`` (what batch runs and evaluation need).

        ``reference`` computes the BM25 reference even where this engine's own
        fusion does not need it, for re-fusing the ranking under other settings.
        """
        chosen = self.resolve_mode(mode)
        filter_query = filters.to_whoosh()
        fusion = self.settings.fusion
        wanted = depth if chosen != "hybrid" else max(depth, fusion.candidates)
        parsed = self.fulltext.parse(text)
        terms = positive_terms(parsed)
        bm25: list[tuple[str, float]] = []
        dense: list[tuple[str, float]] = []
        if chosen in ("bm25", "hybrid"):
            bm25 = self.fulltext.search(parsed, wanted, filter_query)
        if chosen in ("semantic", "hybrid"):
            assert self.semantic is not None
            allowed = self.fulltext.ids_matching(filter_query) if filter_query is not None else None
            dense = [(h.article_id, h.score) for h in self.semantic.search(text, wanted, allowed)]
        ranking = Ranking([], bm25, dense, terms, latin=is_latin_query(text))
        if bm25 and chosen == "hybrid" and (reference or needs_upper(bm25, fusion.method)):
            ranking.bm25_upper = self.fulltext.reference_score(parsed, bm25[0])
        if chosen == "bm25":
            ranking.ranked = bm25[:depth]
        elif chosen == "semantic":
            ranking.ranked = dense[:depth]
        else:
            ranking.ranked = ranking.fused(fusion)[:depth]
        return ranking

    def search(self, text: str, *, mode: str | None = None, k: int = 10,
               filters: Filters = Filters()) -> list[Hit]:
        """Ranked hits with stored fields and a highlighted snippet."""
        if k <= 0:
            raise QueryError("the number of results ({k}) must be at least 1", params=("k",))
        ranking = self.rank(text, mode=mode, depth=k, filters=filters)
        documents = self.fulltext.documents([doc for doc, _ in ranking.ranked])
        bm25_at = {doc: (rank, score) for rank, (doc, score) in enumerate(ranking.bm25, start=1)}
        dense_at = {doc: (rank, score) for rank, (doc, score) in enumerate(ranking.dense, start=1)}
        hits: list[Hit] = []
        for doc, score in ranking.ranked:
            stored = documents.get(doc)
            if stored is None:  # vectors of an article the full text no longer has: verify repairs it
                continue
            hit = Hit(
                id=doc, rank=len(hits) + 1, score=score, title=stored.get("title", ""),
                date=stored.get("date"), source=stored.get("source", ""),
                category=stored.get("category", ""), url=stored.get("url", ""),
                snippet=make_snippet(stored.get("body", ""), ranking.terms, self.fulltext.analyzer),
                title_marks=mark_all(stored.get("title", ""), ranking.terms, self.fulltext.analyzer),
            )
            if doc in bm25_at:
                hit.bm25_rank, hit.bm25_score = bm25_at[doc]
            if doc in dense_at:
                hit.cosine_rank, hit.cosine = dense_at[doc]
            hits.append(hit)
        return hits

    def article(self, article_id: str) -> dict[str, object] | None:
        return self.fulltext.documents([article_id]).get(article_id)

    def mark(self, text: str, query: str) -> Snippet:
        """``text`` whole, with the words ``query`` matches marked (an opened article, as its snippet was)."""
        return mark_all(text, positive_terms(self.fulltext.parse(query)), self.fulltext.analyzer)

    def facets(self, limit: int | None = None) -> FacetCounts:
        """Each value the filter fields (source, category) take, with its live article count."""
        return {name: self.fulltext.facet_values(name)[:limit] for name in FACET_FIELDS
                if name in self.fulltext.schema}
