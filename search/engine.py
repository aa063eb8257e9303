"""Open an index once and answer queries in any mode: the library API under the CLI."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType

from hsearch.index import manifest as manifest_io
from hsearch.index.boilerplate import Boilerplate
from hsearch.index.encoders import Encoder
from hsearch.index.errors import QueryError
from hsearch.index.manifest import Manifest
from hsearch.index.stories import StoryTable

from .collapse import Arranged, Copy, PageRequest, arrange
from .expansion import Expander, ExpansionSettings, QueryPlan, expand_query
from .filters import FACET_FIELDS, Filters
from .fulltext import FullTextSearcher
from .fusion import FusionSettings, Side, fuse, is_latin_query, needs_upper
from .modes import MODES, modes_for
from .query_parser import positive_terms
from .relevance import BACKGROUND_RANK, Floor, apply_floor, model_floor, override
from .semantic import SemanticSearcher
from .snippets import Snippet, make_snippet, mark_all


FacetCounts = dict[str, list[tuple[str, int]]]  # facet field -> (value as stored, live articles), most first


@dataclass(frozen=True)
class SearchSettings:
    """Query-time choices; ``mode=None`` means hybrid when the index has vectors, else bm25.

    ``preload`` is for engines that answer many queries (server, batch,
    eval, benchmarks): it spends start-up time (about 0.5 s for the ONNX
    query encoder, about 1 s for the compiled BM25 kernel when numba is
    installed, field-length tables on the first BM25 query) to make
    every later query faster.  A one-shot ``hsearch query`` leaves it off.
    Vectors are read at the first semantic query either way.
    """

    mode: str | None = None
    fusion: FusionSettings = FusionSettings()
    preload: bool = False
    expansion: ExpansionSettings = ExpansionSettings()


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
    evidence: str | None = None  # why the relevance floor let it through
    copies: list[Copy] = field(default_factory=list)  # the other copies of its story, best first


@dataclass
class ResultPage:
    """One page of results and where it sits in the whole arrangement."""

    hits: list[Hit]
    total: int
    offset: int
    more: bool


@dataclass
class Ranking:
    """A fused ranking before documents are fetched, with both sides' evidence: a plain value.

    ``bm25_upper`` is the BM25 score of a full match of the query (see
    :meth:`FullTextSearcher.reference_score`); it costs a second search, so the
    engine computes it only when its fusion needs it or ``rank(reference=True)``
    asks, and leaves it None otherwise.

    ``lexical`` holds the ids that matched the query's words and ``margin`` the
    relevance floor that applies to this query (None: no floor); ``evidence``
    says, for each id of ``ranked``, why it passed.
    """

    ranked: list[tuple[str, float]]
    bm25: list[tuple[str, float]]
    dense: list[tuple[str, float]]
    terms: set[str]
    latin: bool = False
    bm25_upper: float | None = None
    lexical: set[str] = field(default_factory=set)
    margin: float | None = None
    evidence: dict[str, str] = field(default_factory=dict)
    plan: QueryPlan | None = None  # how the query was expanded (None: not planned)

    def fused(self, settings: FusionSettings) -> list[tuple[str, float]]:
        """Re-fuse the two sides under other settings (fusion studies need no new search, nor an open engine)."""
        upper = 0.0
        if needs_upper(self.bm25, settings.method):
            if self.bm25_upper is None:
                raise ValueError(f"fusing with {settings.method!r} needs the BM25 reference: rank with reference=True")
            upper = self.bm25_upper
        return fuse(Side(self.bm25, upper), Side(self.dense, 1.0), settings, latin=self.latin)

    def passed(self, ranked: list[tuple[str, float]]) -> list[tuple[str, float]]:
        """The hits of ``ranked`` with evidence under this query's floor (recording why)."""
        kept, reasons = apply_floor(ranked, self.lexical, self.dense, self.margin)
        self.evidence.update(reasons)
        return kept


class SearchEngine:
    """One open index.  ``with SearchEngine(path) as engine: engine.search("कुर्स्क")``."""

    def __init__(self, index_dir: Path, settings: SearchSettings = SearchSettings(),
                 encoder: Encoder | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.settings = settings
        self.manifest: Manifest = manifest_io.load(self.index_dir)
        self.fulltext = FullTextSearcher(self.index_dir, length_tables=settings.preload, compiled=settings.preload)
        self.semantic = self._semantic(self.manifest, encoder)
        self._pool: ThreadPoolExecutor | None = None
        self._expander: Expander | None = None
        self._last_plan: QueryPlan | None = None
        self._stories: StoryTable | None = None
        self._boilerplate: Boilerplate | None = None

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
        if self._pool is not None:
            self._pool.shutdown()
        self.fulltext.close()
        if self._expander is not None:
            self._expander.table.close()
            self._expander = None

    @property
    def expander(self) -> Expander:
        """The key table is opened at the first query that needs it (built in memory if it is stale)."""
        if self._expander is None:
            from hsearch.index.keytable import KeyTable

            self._expander = Expander(KeyTable.open(self.index_dir), self.settings.expansion)
        return self._expander

    def plan(self, text: str, *, expand: bool = True) -> QueryPlan:
        """How ``text`` is expanded: Latin words to Devanagari terms, Devanagari near-misses corrected."""
        if not expand or not self.settings.expansion.enabled:
            return QueryPlan(text=text, semantic_text=text)
        if self._last_plan is not None and self._last_plan.text == text:
            return self._last_plan  # the CLI and the server ask again to show it
        words = [(t.text, t.startchar, t.endchar) for t in self.fulltext.analyzer(text, chars=True, mode="query")]
        if not any((w.isascii() and w.isalpha()) or self.fulltext.term_frequency(w) == 0 for w, _, _ in words):
            return QueryPlan(text=text, semantic_text=text)  # every word is a held Devanagari term
        self._last_plan = self.expander.plan(text, words)
        return self._last_plan

    def _bm25_thread(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hsearch-bm25")
        return self._pool

    def refresh(self) -> None:
        """See articles committed since the index was opened."""
        current = manifest_io.load(self.index_dir)
        self.fulltext.refresh()
        if self._expander is not None:  # the key table follows the committed terms
            self._expander.table.close()
            self._expander = None
        self._last_plan = None
        if current.model != self.manifest.model:  # rebuilt with another model (or none)
            self.semantic = self._semantic(current)
        elif self.semantic is not None:
            self.semantic.refresh()
        self.manifest = current
        self._stories = None
        self._boilerplate = None

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
             filters: Filters = Filters(), reference: bool = False,
             min_score: float | None = None, expand: bool = True) -> Ranking:
        """The top ``depth`` ids and scores for ``text`` (what batch runs and evaluation need).

        ``reference`` computes the BM25 reference even where this engine's own
        fusion does not need it, for re-fusing the ranking under other settings.
        ``min_score`` overrides the settings' relevance floor for this query (see :meth:`floor`).
        ``expand=False`` searches the words exactly as typed (no romanized-Hindi
        expansion, no spelling correction).
        """
        chosen = self.resolve_mode(mode)
        filter_query = filters.to_whoosh()
        fusion = self.settings.fusion
        wanted = depth if chosen != "hybrid" else max(depth, fusion.candidates)
        plan = self.plan(text, expand=expand)
        parsed = expand_query(self.fulltext.parse(text), plan.replacements())
        terms = positive_terms(parsed)
        floor = self.floor(min_score)
        latin = is_latin_query(text) and not plan.romanized  # an expanded romanized query has Hindi terms
        bm25: list[tuple[str, float]] = []
        dense: list[tuple[str, float]] = []
        if chosen in ("semantic", "hybrid"):
            assert self.semantic is not None
            allowed = self.fulltext.ids_matching(filter_query) if filter_query is not None else None
            # hybrid: BM25 runs in a thread while the query is embedded (numpy and ONNX release the GIL)
            pending = self._bm25_thread().submit(self.fulltext.search, parsed, wanted, filter_query) \
                if chosen == "hybrid" else None
            dense_depth = max(wanted, BACKGROUND_RANK) if floor is not None else wanted
            dense = [(h.article_id, h.score) for h in self.semantic.search(plan.semantic_text, dense_depth, allowed)]
            bm25 = pending.result() if pending is not None else []
        else:
            bm25 = self.fulltext.search(parsed, wanted, filter_query)
        lexical = {doc for doc, _ in bm25}
        if chosen == "semantic" and floor is not None and terms and not latin:
            # The floor asks which hits match the query's words, even when they do not rank.
            lexical = {doc for doc, _ in self.fulltext.search(parsed, fusion.candidates, filter_query)}
        # a query of made-up Latin words (xyzzyqq) has no more to go on than one of punctuation
        has_terms = bool(terms) and not plan.only_unknown_words
        margin = floor.margin(has_terms=has_terms, lexical_hits=bool(lexical), latin=latin) if floor else None
        ranking = Ranking([], bm25, dense, terms, latin=latin, lexical=lexical, margin=margin, plan=plan)
        if bm25 and chosen == "hybrid" and (reference or needs_upper(bm25, fusion.method)):
            ranking.bm25_upper = self.fulltext.reference_score(parsed, bm25[0])
        if chosen == "bm25":
            ranking.ranked = bm25[:depth]
        elif chosen == "semantic":
            ranking.ranked = ranking.passed(dense)[:depth]
        else:
            ranking.ranked = ranking.passed(ranking.fused(fusion))[:depth]
        return ranking

    def floor(self, min_score: float | None = None) -> Floor | None:
        """The relevance floor in force: ``min_score``, else the settings', else the model's calibrated one.

        A margin of 0 turns the floor off.
        """
        chosen = self.settings.fusion.min_score if min_score is None else min_score
        if chosen is None:
            return model_floor(self.manifest.model)
        return override(chosen) if chosen > 0 else None

    def search(self, text: str, *, mode: str | None = None, k: int = 10, filters: Filters = Filters(),
               min_score: float | None = None, expand: bool = True,
               collapse: bool = True, sort: str = "relevance", offset: int = 0) -> list[Hit]:
        """Ranked hits with stored fields and a highlighted snippet, one per story unless ``collapse=False``."""
        return self.search_page(text, mode=mode, filters=filters, min_score=min_score, expand=expand,
                                page=PageRequest(k=k, offset=offset, sort=sort, collapse=collapse)).hits

    def search_page(self, text: str, *, mode: str | None = None, filters: Filters = Filters(),
                    page: PageRequest = PageRequest(), min_score: float | None = None,
                    expand: bool = True) -> ResultPage:
        """One page of results (see :mod:`hsearch.search.collapse`) and how many the query has."""
        if min_score is not None and not 0.0 <= min_score <= 1.0:
            raise QueryError("the relevance floor ({min_score}) must be between 0 and 1", params=("min_score",))
        ranking = self.rank(text, mode=mode, depth=page.pool_depth(self.settings.fusion.candidates), filters=filters,
                            min_score=min_score, expand=expand)
        return self.page_of(ranking, page)

    def page_of(self, ranking: Ranking, page: PageRequest) -> ResultPage:
        """Collapse, sort and cut ``ranking.ranked``, then fetch the page's documents."""
        arranged: Arranged = arrange(ranking.ranked, page, story_of=self.stories.stories, date_of=self._dates)
        wanted = [doc for entry in arranged.entries for doc in (entry.id, *(c for c, _ in entry.copies))]
        documents = self.fulltext.documents(wanted)
        bm25_at = {doc: (rank, score) for rank, (doc, score) in enumerate(ranking.bm25, start=1)}
        dense_at = {doc: (rank, score) for rank, (doc, score) in enumerate(ranking.dense, start=1)}
        hits: list[Hit] = []
        for entry in arranged.entries:
            doc, score = entry.id, entry.score
            stored = documents.get(doc)
            if stored is None:  # vectors of an article the full text no longer has: verify repairs it
                continue
            hit = Hit(
                id=doc, rank=arranged.offset + len(hits) + 1, score=score, title=stored.get("title", ""),
                date=stored.get("date"), source=stored.get("source", ""),
                category=stored.get("category", ""), url=stored.get("url", ""),
                snippet=make_snippet(self.boilerplate.content(stored.get("body", ""), stored.get("source", "")),
                                     ranking.terms, self.fulltext.analyzer),
                title_marks=mark_all(stored.get("title", ""), ranking.terms, self.fulltext.analyzer),
                copies=[Copy(c, documents[c].get("source", ""), documents[c].get("title", ""), documents[c].get("date"))
                        for c, _ in entry.copies if c in documents],
            )
            if doc in bm25_at:
                hit.bm25_rank, hit.bm25_score = bm25_at[doc]
            if doc in dense_at:
                hit.cosine_rank, hit.cosine = dense_at[doc]
            hit.evidence = ranking.evidence.get(doc)
            hits.append(hit)
        return ResultPage(hits, arranged.total, arranged.offset, arranged.more)

    @property
    def boilerplate(self) -> Boilerplate:
        """The chrome lines learned per source (left out of snippets), read at the first page after a commit."""
        if self._boilerplate is None:
            self._boilerplate = Boilerplate.load(self.index_dir)
        return self._boilerplate

    @property
    def stories(self) -> StoryTable:
        """Article id -> story id, read at the first collapsed search after a commit."""
        if self._stories is None:
            self._stories = StoryTable.load(self.index_dir)
        return self._stories

    def _dates(self, ids: list[str]) -> dict[str, datetime | None]:
        return {doc: stored.get("date") for doc, stored in self.fulltext.documents(list(ids)).items()}

    def similar(self, article_id: str, *, mode: str | None = None, page: PageRequest = PageRequest()) -> ResultPage:
        """Articles like this one, its own story's copies left out (:mod:`hsearch.search.similar`)."""
        from .similar import similar_ranking

        return self.page_of(similar_ranking(self, article_id, mode, page.pool_depth(self.settings.fusion.candidates)),
                            page)

    def article(self, article_id: str) -> dict[str, object] | None:
        return self.fulltext.documents([article_id]).get(article_id)

    def mark(self, text: str, query: str) -> Snippet:
        """``text`` whole, with the words ``query`` matches marked (an opened article, as its snippet was)."""
        return mark_all(text, positive_terms(self.fulltext.parse(query)), self.fulltext.analyzer)

    def facets(self, limit: int | None = None) -> FacetCounts:
        """Each value the filter fields (source, category) take, with its live article count."""
        return {name: self.fulltext.facet_values(name)[:limit] for name in FACET_FIELDS
                if name in self.fulltext.schema}
