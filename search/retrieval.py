"""From a query to a ranking: plan the words, search both sides of one snapshot, fuse, apply the floor.

:func:`retrieve` is the one place a query is ranked; the CLI, the server,
``--batch``, evaluation and ``similar`` all come through it (``similar`` with
its own sides, through :func:`combine`).  The result is a :class:`Ranking`, a
frozen value that carries its plan and mode, so whoever shows it needs no
second look at the query.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field

from whoosh import query as wq

from hsearch.index.errors import QueryError
from hsearch.index.romanize import loose_key

from .expansion import QueryPlan, english_zipf, expand_query, stopword_keys
from .fusion import FusionSettings, Side, Weights, fuse, is_latin_query, needs_upper, weigh
from .modes import MODES, modes_for
from .query_parser import positive_terms
from .relevance import (BACKGROUND_RANK, Floor, QueryContext, Signals, WordGroup, apply_floor, background, coverage,
                        judge, model_floor, override)
from .snapshot import Snapshot

Ranked = list[tuple[str, float]]

#: How many of the best candidates a query that nothing cleared offers as "nearest articles".
NEAREST = 3
#: English words at least this common (Zipf scale: the, of, and, is) carry no topic.
FUNCTION_WORD_ZIPF = 6.0


@dataclass(frozen=True)
class Ranking:
    """A ranking before documents are fetched, with both sides' evidence and how the query was read.

    ``ranked`` is what is shown, best first; ``bm25`` and ``dense`` are each
    side's own list.  ``bm25_upper`` is the BM25 score of a full match of the
    query (:meth:`FullTextSearcher.reference_score`), computed only where
    fusion needs it or the caller asked (``reference``).  ``lexical`` holds the
    ids that matched the query's words, ``floor`` the relevance floor in force
    (None: none), ``signals`` what it judged from, ``evidence`` why each id of
    ``ranked`` passed it, and ``nearest`` the best few candidates when none did
    (shown only as "nearest", apart from results).  ``weights`` is how much
    each side counted in hybrid (None in a single-side mode).
    """

    mode: str
    ranked: Ranked
    bm25: Ranked
    dense: Ranked
    terms: frozenset[str]
    plan: QueryPlan
    latin: bool = False
    bm25_upper: float | None = None
    lexical: frozenset[str] = frozenset()
    floor: Floor | None = None
    signals: Signals | None = None
    evidence: Mapping[str, str] = field(default_factory=dict)
    nearest: Ranked = field(default_factory=list)
    weights: Weights | None = None

    @property
    def margin(self) -> float | None:
        """The margin over the background a vector-only hit needed (None: no floor)."""
        if self.floor is None or self.signals is None or self.signals.context.background is None:
            return None
        return self.floor.margin_for(self.signals.context)

    @property
    def no_close_match(self) -> bool:
        """Nothing cleared the floor although the sides found candidates (the edges say so)."""
        return not self.ranked and bool(self.nearest)

    def weights_for(self, settings: FusionSettings) -> Weights:
        """How much each side counts for this query under ``settings``: the vector side by how far its best
        cosine stands above the background, BM25 by how much of the query its best hit covers."""
        context = self.signals.context if self.signals is not None else None
        peak = cover = None
        if context is not None and context.background is not None and self.dense:
            peak = max(0.0, self.dense[0][1] - context.background)
            cover = self.signals.coverage.get(self.bm25[0][0], 0.0) if self.bm25 else 0.0  # type: ignore[union-attr]
        return weigh(settings, latin=self.latin, peak=peak, cover=cover)

    def fused(self, settings: FusionSettings) -> Ranked:
        """The two sides fused under ``settings`` (fusion studies need no new search, nor an open engine)."""
        upper = 0.0
        if needs_upper(self.bm25, settings.method):
            if self.bm25_upper is None:
                raise ValueError(f"fusing with {settings.method!r} needs the BM25 reference: rank with reference=True")
            upper = self.bm25_upper
        return fuse(Side(self.bm25, upper), Side(self.dense, 1.0), settings, latin=self.latin,
                    weights=self.weights_for(settings))

    def passed(self, ranked: Ranked) -> Ranked:
        """The hits of ``ranked`` (another fusion of the sides) that clear this query's floor."""
        if self.signals is None:
            return list(ranked)
        return apply_floor(ranked, dict(self.dense), self.signals, self.floor)[0]


def resolve_mode(snapshot: Snapshot, mode: str | None, default: str | None = None) -> str:
    """The mode a query runs in: the one asked for, else ``default``, else the index's own default."""
    chosen = mode or default or modes_for(snapshot.semantic is not None)[0]
    if chosen not in MODES:
        raise QueryError(f"unknown {{mode}} {chosen!r}; choose one of {', '.join(MODES)}", params=("mode",))
    if chosen != "bm25" and snapshot.semantic is None:
        raise QueryError(
            f"{snapshot.index_dir} has no vectors (built with {{model}} none), so {{mode}} {chosen} cannot run",
            advice="Rebuild it with a model to search by meaning",
            params=("mode", "model"), retry={"mode": "bm25"},
        )
    return chosen


def plan_query(snapshot: Snapshot, text: str, *, expand: bool = True) -> QueryPlan:
    """How ``text`` is expanded: Latin words to Devanagari terms, Devanagari near-misses corrected."""
    if not expand or not snapshot.settings.expansion.enabled:
        return QueryPlan(text=text, semantic_text=text)
    fulltext = snapshot.fulltext
    words = [(t.text, t.startchar, t.endchar) for t in fulltext.analyzer(text, chars=True, mode="query")]
    if not any((w.isascii() and w.isalpha()) or fulltext.term_frequency(w) == 0 for w, _, _ in words):
        return QueryPlan(text=text, semantic_text=text)  # every word is a held Devanagari term
    return snapshot.expander.plan(text, words)


def floor_for(snapshot: Snapshot, fusion: FusionSettings, min_score: float | None = None) -> Floor | None:
    """The relevance floor in force: ``min_score``, else the settings', else the model's calibrated one (0: none)."""
    chosen = fusion.min_score if min_score is None else min_score
    if chosen is None:
        return model_floor(snapshot.manifest.model)
    return override(chosen) if chosen > 0 else None


def retrieve(snapshot: Snapshot, text: str, *, mode: str, depth: int, fusion: FusionSettings,
             filters: object = None, min_score: float | None = None, expand: bool = True,
             reference: bool = False, bm25_thread: Executor | None = None) -> Ranking:
    """The top ``depth`` ids and scores for ``text`` in ``mode`` (already resolved), over ``snapshot``.

    ``filters`` is a :class:`~hsearch.search.filters.Filters`; ``reference``
    computes the BM25 reference even where fusion does not need it (for
    re-fusing under other settings); ``bm25_thread`` runs hybrid's BM25 side
    while the query is embedded (numpy and ONNX release the GIL).
    """
    fulltext, semantic = snapshot.fulltext, snapshot.semantic
    filter_query = filters.to_whoosh() if filters is not None else None  # type: ignore[attr-defined]
    wanted = depth if mode != "hybrid" else max(depth, fusion.candidates)
    plan = plan_query(snapshot, text, expand=expand)
    parsed = expand_query(fulltext.parse(text), plan.replacements())
    terms = frozenset(positive_terms(parsed))
    floor = floor_for(snapshot, fusion, min_score)
    latin = is_latin_query(text) and not plan.romanized  # an expanded romanized query has Hindi terms
    words_for_floor = mode == "semantic" and floor is not None and bool(terms) and not latin
    bm25: Ranked = []
    dense: Ranked = []
    base: float | None = None
    if mode in ("semantic", "hybrid"):
        if semantic is None:
            raise QueryError(f"{snapshot.index_dir} has no vectors", params=("mode",), retry={"mode": "bm25"})
        allowed = fulltext.ids_matching(filter_query) if filter_query is not None else None
        pending = None
        if mode == "hybrid" or words_for_floor:  # BM25 beside the query's embedding and vector search
            pending = bm25_thread.submit(fulltext.search, parsed, wanted if mode == "hybrid" else fusion.candidates,
                                         filter_query) if bm25_thread else None
        vector = semantic.embed(plan.semantic_text) if plan.semantic_text.strip() else None
        if vector is not None:
            if allowed is None:
                found = semantic.search(plan.semantic_text, max(wanted, BACKGROUND_RANK), None, vector)
                dense = [(h.article_id, h.score) for h in found]
                base = background(dense)
            elif floor is not None:  # the background is the whole index's, never the filtered slice's
                found, whole = semantic.search_with_whole(plan.semantic_text, wanted, allowed, BACKGROUND_RANK, vector)
                dense = [(h.article_id, h.score) for h in found]
                base = background([(h.article_id, h.score) for h in whole])
            else:
                dense = [(h.article_id, h.score) for h in semantic.search(plan.semantic_text, wanted, allowed, vector)]
        if mode == "hybrid":
            bm25 = pending.result() if pending is not None else fulltext.search(parsed, wanted, filter_query)
    else:
        bm25 = fulltext.search(parsed, wanted, filter_query)
    lexical = frozenset(doc for doc, _ in bm25)
    if words_for_floor:  # the floor asks which hits match the query's words, even when they do not rank
        matches = pending.result() if pending is not None else fulltext.search(parsed, fusion.candidates, filter_query)
        lexical = frozenset(doc for doc, _ in matches)
    # a query of made-up Latin words (xyzzyqq) has no more to go on than one of punctuation
    has_terms = bool(terms) and not plan.only_unknown_words
    signals = None
    if floor is not None or mode != "bm25":
        groups = word_groups(fulltext, terms, plan)
        shares = coverage(groups, fulltext.matched_terms(terms, sorted(lexical))) if lexical else {}
        context = QueryContext(background=base, has_terms=has_terms, latin=latin, lexical_hits=bool(lexical),
                               groups=len(groups), required=has_required(parsed))
        signals = Signals(context, shares)
    upper = None
    if bm25 and mode == "hybrid" and (reference or needs_upper(bm25, fusion.method)):
        upper = fulltext.reference_score(parsed, bm25[0])
    return combine(mode, bm25, dense, terms, plan, fusion, depth=depth, latin=latin, bm25_upper=upper,
                   lexical=lexical, floor=floor, signals=signals)


def word_groups(fulltext: object, terms: frozenset[str], plan: QueryPlan) -> list[WordGroup]:
    """The query's content words: each with the terms that stand for it (the typed word 1.0, an expansion
    its spelling weight) and its idf (that of its likeliest term the index holds; the word's own when none).

    Function words typed in Latin script (romanized ``ki``, ``ke``, ``par``; English ``the``) are left
    out, as the analyzer leaves out Devanagari stopwords: they say nothing about the topic, even where a
    near spelling of theirs is an index term (``se`` -> असहाय, ``yah`` -> याह).
    """
    groups: list[dict[str, float]] = []
    seen: set[str] = set()
    for word, alternatives in plan.replacements().items():
        members = {t: w for t, w in alternatives if t in terms}
        if word in terms:
            members[word] = 1.0
        if members:
            groups.append(members)
            seen |= set(members)
    groups += [{t: 1.0} for t in sorted(terms - seen)]
    # each term's count and idf read once, whichever groups hold it
    statistics = {t: fulltext.term_statistics(t) for t in {t for members in groups for t in members}}  # type: ignore[attr-defined]
    held = {t: frequency for t, (frequency, _) in statistics.items()}
    idf = {t: weight for t, (_, weight) in statistics.items()}
    out: list[WordGroup] = []
    for members in groups:
        known = sorted((t for t in members if held[t]), key=lambda t: (-members[t], -idf[t]))
        typed = [t for t in members if t.isascii() and t.isalpha()]
        if typed and all(is_function_word(t) for t in typed):
            continue
        out.append((members, idf[known[0]] if known else max(idf[t] for t in members)))
    return out


def has_required(q: wq.Query) -> bool:
    """Whether the query itself says which words must match (``+word``, ``AND``)."""
    if isinstance(q, (wq.And, wq.AndMaybe, wq.Require)):
        return True
    return any(has_required(child) for child in q.children())


def is_function_word(word: str) -> bool:
    """A Latin-script word that is a Hindi stopword romanized (ki, ke, mein) or a very common English one."""
    return loose_key(word) in stopword_keys() or english_zipf(word) >= FUNCTION_WORD_ZIPF


def combine(mode: str, bm25: Ranked, dense: Ranked, terms: frozenset[str], plan: QueryPlan,
            fusion: FusionSettings, *, depth: int, latin: bool = False, bm25_upper: float | None = None,
            lexical: frozenset[str] = frozenset(), floor: Floor | None = None,
            signals: Signals | None = None) -> Ranking:
    """The ranking of ``mode`` from each side's list, fused where hybrid, under the relevance decision.

    BM25 mode is judged too (a long query's weak word matches are not
    evidence), by its word coverage alone.  Hybrid weighs its sides for this
    query (:func:`~hsearch.search.fusion.weigh`); each hit's evidence says how.
    """
    weights = None
    if mode == "hybrid":
        sides = Ranking(mode, [], bm25, dense, terms, plan, latin, bm25_upper, signals=signals)
        weights = sides.weights_for(fusion)
        shown = sides.fused(fusion)
    else:
        shown = bm25 if mode == "bm25" else dense
    if signals is None:
        ranked, evidence = list(shown[:depth]), {}
    else:
        kept, evidence = apply_floor(shown, dict(dense), signals, floor)
        ranked = kept[:depth]
    if weights is not None and bm25 and dense:  # one side alone is shown as it is
        evidence = {doc: f"{reason}; {weights.describe()}" for doc, reason in evidence.items()}
    # a query with something to look for, that nothing answers: its nearest articles, offered as such
    nearest = list(shown[:NEAREST]) if not ranked and signals is not None and signals.context.has_terms else []
    if nearest and signals is not None:
        cosines = dict(dense)
        evidence = {doc: judge(doc, cosines.get(doc), signals, floor).reason for doc, _ in nearest}
    return Ranking(mode, ranked, bm25, dense, terms, plan, latin=latin, bm25_upper=bm25_upper,
                   lexical=lexical, floor=floor, signals=signals, evidence=evidence, nearest=nearest,
                   weights=weights if bm25 and dense else None)
