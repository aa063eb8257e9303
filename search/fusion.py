"""Merge a BM25 ranking and a cosine ranking into one.

Plain functions over ``[(id, score)]`` lists, no I/O, so every pitfall is
testable without an index:

* a side that returns nothing leaves the other side's ranking unchanged;
* a side whose scores cannot be spread (one hit, or all equal) is not
  stretched to 1.0: it is scaled by the side's ``upper`` reference instead
  (for cosine 1.0, so a lone 0.003 stays 0.003; for BM25 the score of a match
  on every query word, so a lone hit on one common word of five stays small
  while a lone exact match on a rare name keeps its full weight);
* ties are broken by the best single-side rank, then by id, so output is
  deterministic.

Reciprocal rank fusion follows Cormack, Clarke & Buettcher (SIGIR 2009):
``score(d) = sum_i 2 w_i / (k + rank_i(d))`` with ``k = 60``, where
``w_dense = weight`` and ``w_bm25 = 1 - weight``; the factor 2 makes the
default ``weight = 0.5`` exactly the paper's unweighted ``sum_i 1 / (k + rank_i)``.

How much each side counts is decided per query (:func:`weigh`): the vector
side by how far its best cosine stands above the query's background (the
cosine of its 50th article: a peaked side has found something), the BM25 side
by how much of the query's idf mass its best hit covers (a romanized word's
transliteration counts at its spelling weight, the expansion's confidence; an
English word over Hindi text covers nothing, so script needs no rule of its
own).  The semantic share is ``peak / (peak + bm25_trust * cover)``, one
parameter chosen from the curve of ``bench.relevance_study``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from hsearch.index.errors import SettingsError
from hsearch.index.scripts import devanagari_letter_count

from .relevance import check_min_score

RRF_K = 60
FUSION_METHODS = ("rrf", "minmax", "zscore", "bounded")


class Side(NamedTuple):
    """One retriever's ranking, best first, with the score a perfect match reaches."""

    ranked: Sequence[tuple[str, float]]
    upper: float = 1.0


@dataclass(frozen=True)
class FusionSettings:
    """How hybrid mode merges the two sides.

    ``weight`` is the semantic side's share in linear methods and its RRF
    weight relative to BM25's ``1 - weight``; ``latin_weight`` replaces it for
    queries written in Latin script, which have little to match in Hindi text.
    ``bm25_trust`` weighs the two sides per query (:func:`weigh`); None fixes
    them at ``weight`` / ``latin_weight`` (as ``--weight`` asks), which also
    serve an index too small for a background.
    ``min_score`` is the relevance floor (:mod:`hsearch.search.relevance`): how
    far above the query's background cosine a hit found only by the vector
    side must be; None uses the floor calibrated for the index's model, 0
    turns the floor off.
    """

    # Chosen by bench/quality.py's fusion study (bench/results/quality.md): the
    # best mean nDCG@10 over XQuAD Hindi, XQuAD English and EN->HI sentences.
    method: str = "minmax"
    weight: float = 0.5
    latin_weight: float = 0.8
    # bench/results/relevance.md, curve `bm25_trust`: at 0.1 hybrid is at or above its better side on every dev
    # set and within 0.004 of the curve's best on each; bench/results/quality.md: the best per-query mean nDCG@10.
    bm25_trust: float | None = 0.1
    rrf_k: int = RRF_K
    candidates: int = 100
    min_score: float | None = None

    def __post_init__(self) -> None:
        if self.method not in FUSION_METHODS:
            raise SettingsError(f"unknown {{fusion}} method {self.method!r}; choose one of "
                                f"{', '.join(FUSION_METHODS)}", params=("fusion",))
        for name in ("weight", "latin_weight"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise SettingsError(f"{{{name}}} must be between 0 and 1", params=(name,))
        if self.bm25_trust is not None and self.bm25_trust < 0:
            raise SettingsError("{bm25_trust} must be at least 0", params=("bm25_trust",))
        check_min_score(self.min_score, SettingsError)


@dataclass(frozen=True)
class Weights:
    """How much each side counted for one query, and what that was read from.

    ``peak``: the vector side's best cosine above the query's background;
    ``cover``: the share of the query's idf mass BM25's best hit covers (None
    where the weights were fixed).
    """

    semantic: float
    peak: float | None = None
    cover: float | None = None

    @property
    def bm25(self) -> float:
        return 1.0 - self.semantic

    def describe(self) -> str:
        """What ``--explain`` and the JSON say about the fusion of this query."""
        head = f"fused bm25 {self.bm25:.2f} / semantic {self.semantic:.2f}"
        if self.peak is None or self.cover is None:
            return head + " (fixed weights)"
        return head + f" (best cosine {self.peak:.3f} above background; best word match covers {self.cover:.0%})"


def weigh(settings: FusionSettings, *, latin: bool = False, peak: float | None = None,
          cover: float | None = None) -> Weights:
    """The semantic side's share for one query: ``peak / (peak + bm25_trust * cover)``.

    ``peak`` is how far the vector side's best cosine stands above the
    query's background, ``cover`` the share of the query's idf mass BM25's
    best hit covers.  Fixed weights (``weight``, or ``latin_weight`` for a
    Latin-script query) where the settings ask for them, where there is no
    background (``peak`` None) or where neither side offers anything.
    """
    fixed = Weights(settings.latin_weight if latin else settings.weight)
    if settings.bm25_trust is None or peak is None or cover is None:
        return fixed
    lexical = settings.bm25_trust * cover
    if peak + lexical <= 0:
        return fixed
    return Weights(peak / (peak + lexical), peak, cover)


def _bounded(ranked: Sequence[tuple[str, float]], upper: float) -> dict[str, float]:
    scale = upper if upper > 0 else 1.0
    return {doc: max(0.0, min(1.0, score / scale)) for doc, score in ranked}


def needs_upper(ranked: Sequence[tuple[str, float]], method: str) -> bool:
    """Whether fusing with ``method`` will read the side's ``upper`` (it can cost a search); RRF never does."""
    if not ranked or method == "rrf":
        return False
    scores = [score for _, score in ranked]
    return method == "bounded" or max(scores) - min(scores) <= 1e-12


def normalize(side: Side, method: str) -> dict[str, float]:
    """Scores of one side on a common scale, best near 1, worst near 0."""
    ranked = side.ranked
    if not ranked:
        return {}
    if needs_upper(ranked, method):
        return _bounded(ranked, side.upper)
    scores = [score for _, score in ranked]
    low, high = min(scores), max(scores)
    if method == "minmax":
        return {doc: (score - low) / (high - low) for doc, score in ranked}
    if method == "zscore":
        mean = sum(scores) / len(scores)
        std = math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores))
        # Squash z into (0, 1) so that a missing document (0) ranks below any hit.
        return {doc: 1.0 / (1.0 + math.exp(-(score - mean) / std)) for doc, score in ranked}
    raise ValueError(f"unknown normalization {method!r}")


def _ranks(side: Side) -> dict[str, int]:
    return {doc: rank for rank, (doc, _) in enumerate(side.ranked, start=1)}


def fuse(bm25: Side, dense: Side, settings: FusionSettings, *, latin: bool = False,
         weights: Weights | None = None) -> list[tuple[str, float]]:
    """The fused ranking over the union of both sides, best first (``weights``: this query's, see :func:`weigh`;
    None: the settings' fixed ones)."""
    weight = (weights or weigh(settings, latin=latin)).semantic
    if not bm25.ranked or not dense.ranked:
        only = dense if not bm25.ranked else bm25
        return [(doc, float(score)) for doc, score in only.ranked]
    bm25_ranks, dense_ranks = _ranks(bm25), _ranks(dense)
    if settings.method == "rrf":
        fused = {doc: 0.0 for doc in bm25_ranks.keys() | dense_ranks.keys()}
        for ranks, w in ((bm25_ranks, 1.0 - weight), (dense_ranks, weight)):
            for doc, rank in ranks.items():
                fused[doc] += 2.0 * w / (settings.rrf_k + rank)
    else:
        bm25_norm = normalize(bm25, settings.method)
        dense_norm = normalize(dense, settings.method)
        fused = {
            doc: (1.0 - weight) * bm25_norm.get(doc, 0.0) + weight * dense_norm.get(doc, 0.0)
            for doc in bm25_norm.keys() | dense_norm.keys()
        }
    worst = len(bm25.ranked) + len(dense.ranked) + 1

    def order(item: tuple[str, float]) -> tuple[float, int, str]:
        doc, score = item
        best_rank = min(bm25_ranks.get(doc, worst), dense_ranks.get(doc, worst))
        return (-score, best_rank, doc)

    return sorted(fused.items(), key=order)


def is_latin_query(text: str) -> bool:
    """True when most letters are Latin: such a query has little for BM25 to match in Hindi."""
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    devanagari = devanagari_letter_count(text)
    return latin > 0 and latin >= 2 * devanagari
