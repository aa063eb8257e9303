"""Retrieval quality of the Hindi analyzer and of each of its parts.

Ranks a corpus with BM25 (k1=1.2, b=0.75; Lucene's idf) once per analyzer
variant and scores the rankings with pytrec_eval, so each piece of
``hsearch.index.analysis`` (normalization, stopwords, stemmer) is worth a number, next
to two plain baselines and an approximate port of Lucene's HindiAnalyzer.

    python -m bench.analyzer_quality \
        --corpus /work/shared/data/xquad-hi-corpus.jsonl \
        --queries /work/shared/data/xquad-hi-queries.jsonl

Corpus rows: ``{id, body}``; query rows: ``{qid, query_hi, relevant}``.
Writes a markdown table to ``bench/results/analyzer_quality.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytrec_eval

from hsearch.index.analysis import (
    ANALYZER_VERSION,
    STOPWORDS,
    HindiStemFilter,
    HindiTokenizer,
    analyze,
    tokenize,
)
from whoosh.analysis import Analyzer, StopFilter

Tokenize = Callable[[str], list[str]]

K1 = 1.2
B = 0.75
TOP_K = 10
PERMUTATIONS = 10_000


# --------------------------------------------------------------------------
# BM25
# --------------------------------------------------------------------------
class BM25:
    """Plain Okapi BM25 over pre-tokenized documents.

    idf = ln(1 + (N - df + 0.5) / (df + 0.5)) as in Lucene (never negative);
    each distinct query term counts once.
    """

    def __init__(self, docs: Sequence[list[str]], k1: float = K1, b: float = B) -> None:
        self.n_docs = len(docs)
        lengths = np.array([len(d) for d in docs], dtype=np.float64)
        avgdl = float(lengths.mean()) if len(docs) else 0.0
        norm = k1 * (1.0 - b + b * lengths / avgdl) if avgdl else np.full(len(docs), k1)
        postings: dict[str, list[tuple[int, int]]] = {}
        for i, doc in enumerate(docs):
            for term, tf in Counter(doc).items():
                postings.setdefault(term, []).append((i, tf))
        self.vocab_size = len(postings)
        # Per term: the documents that hold it and their precomputed weights.
        self.index: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, plist in postings.items():
            ids = np.array([i for i, _ in plist], dtype=np.int64)
            tfs = np.array([tf for _, tf in plist], dtype=np.float64)
            df = len(plist)
            idf = math.log(1.0 + (self.n_docs - df + 0.5) / (df + 0.5))
            self.index[term] = (ids, idf * tfs * (k1 + 1.0) / (tfs + norm[ids]))

    def top(self, query: list[str], k: int) -> list[tuple[int, float]]:
        """The k best (doc index, score) pairs with score > 0, best first.

        Ties break on corpus order so the ranking is deterministic.
        """
        scores = np.zeros(self.n_docs)
        for term in set(query):
            hit = self.index.get(term)
            if hit is not None:
                scores[hit[0]] += hit[1]
        order = np.lexsort((np.arange(self.n_docs), -scores))[:k]
        return [(int(i), float(scores[i])) for i in order if scores[i] > 0.0]


# --------------------------------------------------------------------------
# Analyzer variants
# --------------------------------------------------------------------------
_WORD_RE = re.compile(r"\w+")


def regex_w(text: str) -> list[str]:
    """Baseline (a): Python's ``\\w+`` on lower-cased text.

    ``\\w`` does not match Devanagari vowel signs or virama, so this cuts
    most Hindi words apart (राष्ट्रपति -> र, ष, ट, रपत).
    """
    return _WORD_RE.findall(text.lower())


def _terms(analyzer: Analyzer) -> Tokenize:
    return lambda text: [t.text for t in analyzer(text)]


# An approximate port of Lucene's HindiAnalyzer (StandardTokenizer,
# LowerCaseFilter, DecimalDigitFilter, IndicNormalizationFilter,
# HindiNormalizationFilter, StopFilter, HindiStemFilter) for comparison.
# Tokenizing uses hsearch's surface tokenizer and NFC stands in for
# IndicNormalizer; the HindiNormalizer and HindiStemmer rules are Lucene's.
_LUCENE_NORM = str.maketrans(
    {
        "\u0901": "\u0902", "\u093c": None, "\u0929": "\u0928", "\u0931": "\u0930",
        "\u0934": "\u0933", "\u0958": "\u0915", "\u0959": "\u0916", "\u095a": "\u0917",
        "\u095b": "\u091c", "\u095c": "\u0921", "\u095d": "\u0922", "\u095e": "\u092b",
        "\u095f": "\u092f", "\u200d": None, "\u200c": None, "\u094d": None,
        "\u0945": "\u0947", "\u0946": "\u0947", "\u0949": "\u094b", "\u094a": "\u094b",
        "\u090d": "\u090f", "\u090e": "\u090f", "\u0911": "\u0913", "\u0912": "\u0913",
        "\u0972": "\u0905", "\u0906": "\u0905", "\u0908": "\u0907", "\u090a": "\u0909",
        "\u0960": "\u090b", "\u0961": "\u090c", "\u0910": "\u090f", "\u0914": "\u0913",
        "\u0940": "\u093f", "\u0942": "\u0941", "\u0944": "\u0943", "\u0963": "\u0962",
        "\u0948": "\u0947", "\u094c": "\u094b",
    }
    | {chr(0x0966 + d): str(d) for d in range(10)}
)
_LUCENE_SUFFIXES: tuple[tuple[str, ...], ...] = (
    ("ाएंगी", "ाएंगे", "ाऊंगी", "ाऊंगा", "ाइयाँ", "ाइयों", "ाइयां"),
    ("ाएगी", "ाएगा", "ाओगी", "ाओगे", "एंगी", "ेंगी", "एंगे", "ेंगे", "ूंगी", "ूंगा",
     "ातीं", "नाओं", "नाएं", "ताओं", "ताएं", "ियाँ", "ियों", "ियां"),
    ("ाकर", "ाइए", "ाईं", "ाया", "ेगी", "ेगा", "ोगी", "ोगे", "ाने", "ाना", "ाते",
     "ाती", "ाता", "तीं", "ाओं", "ाएं", "ुओं", "ुएं", "ुआं"),
    ("कर", "ाओ", "िए", "ाई", "ाए", "ने", "नी", "ना", "ते", "ीं", "ती", "ता", "ाँ",
     "ां", "ों", "ें"),
    ("ो", "े", "ू", "ु", "ी", "ि", "ा"),
)


def _lucene_normalize(word: str) -> str:
    # dead n -> bindu first, then the one-character folds (virama deleted)
    return word.lower().replace("\u0928\u094d", "\u0902").translate(_LUCENE_NORM)


def _lucene_stem(word: str) -> str:
    for group in _LUCENE_SUFFIXES:
        size = len(group[0])
        if len(word) > size + 1 and word.endswith(group):
            return word[:-size]
    return word


def _lucene_stopwords(path: Path) -> frozenset[str]:
    words = (line.split("|", 1)[0].strip() for line in path.read_text("utf-8").splitlines())
    return frozenset(w for w in words if w and not w.startswith("#"))


def lucene_port(stopwords: frozenset[str]) -> Tokenize:
    """Lucene's Hindi chain: fold (incl. virama, long vowels), stop, stem."""
    surface = HindiTokenizer(normalize=False)

    def run(text: str) -> list[str]:
        out = []
        for t in surface(unicodedata.normalize("NFC", text)):
            term = _lucene_normalize(t.text)
            if term and term not in stopwords:
                out.append(_lucene_stem(term))
        return out

    return run


@dataclass(frozen=True)
class Variant:
    key: str
    description: str
    fn: Tokenize


def variants(lucene_stopwords: Path | None) -> list[Variant]:
    """The analyzers compared, from plainest to full, then Lucene's."""
    stop = StopFilter(stoplist=STOPWORDS, minsize=1)
    out = [
        Variant("a", "`\\w+` regex, lower-cased", regex_w),
        Variant("b0", "Devanagari tokenizer, surface forms (no normalization)",
                _terms(HindiTokenizer(normalize=False))),
        Variant("b", "`tokenize`: Devanagari tokenizer + normalization", tokenize),
        Variant("c1", "`tokenize` + stopwords (no stemmer)", _terms(HindiTokenizer() | stop)),
        Variant("c2", "`tokenize` + stemmer (no stopwords)",
                _terms(HindiTokenizer() | HindiStemFilter())),
        Variant("c", f"`analyze` (full chain, {ANALYZER_VERSION})", analyze),
    ]
    if lucene_stopwords is not None:
        out.append(Variant("L", "Lucene HindiAnalyzer, approximate port",
                           lucene_port(_lucene_stopwords(lucene_stopwords))))
    return out


# --------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------
@dataclass
class Result:
    variant: Variant
    vocab: int
    per_query: dict[str, dict[str, float]]

    def mean(self, measure: str) -> float:
        return float(np.mean([m[measure] for m in self.per_query.values()]))


def evaluate(
    variant: Variant,
    docs: list[dict],
    queries: list[dict],
    evaluator: pytrec_eval.RelevanceEvaluator,
) -> Result:
    """BM25 top-10 for every query, measured by pytrec_eval."""
    bm25 = BM25([variant.fn(d["body"]) for d in docs])
    run: dict[str, dict[str, float]] = {}
    for q in queries:
        hits = bm25.top(variant.fn(q["query_hi"]), TOP_K)
        # Scores handed to trec_eval are rank-based so that its own tie
        # breaking (by doc id) cannot reorder our ranking.
        run[q["qid"]] = {docs[i]["id"]: float(TOP_K - r) for r, (i, _) in enumerate(hits)}
    per_query = evaluator.evaluate(run)
    for q in queries:  # queries with no hit at all score 0
        per_query.setdefault(q["qid"], {"ndcg_cut_10": 0.0, "recip_rank": 0.0, "recall_10": 0.0})
    return Result(variant, bm25.vocab_size, per_query)


def paired_p(a: np.ndarray, b: np.ndarray, rounds: int = PERMUTATIONS, seed: int = 0) -> float:
    """Two-sided paired randomization (sign-flip) test on per-query scores."""
    diff = a - b
    observed = abs(diff.mean())
    if observed == 0.0:
        return 1.0
    rng = np.random.default_rng(seed)
    signs = rng.choice((-1.0, 1.0), size=(rounds, diff.size))
    extreme = np.count_nonzero(np.abs((signs * diff).mean(axis=1)) >= observed - 1e-12)
    return (extreme + 1) / (rounds + 1)


def render(results: list[Result], baseline: str, n_docs: int, n_queries: int) -> str:
    """The markdown report: provenance lines, then one table row per variant."""
    base = next(r for r in results if r.variant.key == baseline)
    qids = sorted(base.per_query)

    def ndcg_of(r: Result) -> np.ndarray:
        return np.array([r.per_query[q]["ndcg_cut_10"] for q in qids])

    base_ndcg = ndcg_of(base)
    lucene = next((r for r in results if r.variant.key == "L"), None)
    command = "python -m bench.analyzer_quality " + " ".join(sys.argv[1:])
    lines = [
        "# Analyzer quality: BM25 on XQuAD Hindi",
        "",
        f"- command: `{command}`",
        f"- date: {dt.date.today().isoformat()}; nproc: {os.cpu_count()}; "
        f"python {platform.python_version()}; analyzer {ANALYZER_VERSION}",
        f"- data: {n_docs} paragraphs (`body`), {n_queries} queries (`query_hi`), one relevant "
        "paragraph each; XQuAD (google-deepmind/xquad), CC BY-SA 4.0",
        f"- ranking: BM25 k1={K1}, b={B}, Lucene idf, distinct query terms, top {TOP_K}; "
        "measures from pytrec_eval (`ndcg_cut_10`, `recip_rank` on the top-10 run = MRR@10, "
        "`recall_10`)",
        f"- p: two-sided paired randomization test ({PERMUTATIONS} sign flips) on per-query "
        f"nDCG@10 against row {baseline} (and row L); queries share paragraphs (about 5 per "
        "paragraph), so treat small p-values with some caution",
        "- vocabulary: distinct terms in the indexed paragraphs",
        "",
        "| row | analyzer | vocabulary | nDCG@10 | MRR@10 | R@10 | Δ nDCG@10 vs "
        f"{baseline} | p vs {baseline} | p vs L |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ndcg = ndcg_of(r)
        same = r.variant.key == baseline
        delta = "" if same else f"{ndcg.mean() - base_ndcg.mean():+.4f}"
        p = "" if same else f"{paired_p(ndcg, base_ndcg):.3f}"
        p_lucene = ""
        if lucene is not None and r is not lucene:
            p_lucene = f"{paired_p(ndcg, ndcg_of(lucene)):.3f}"
        lines.append(
            f"| {r.variant.key} | {r.variant.description} | {r.vocab} | "
            f"{r.mean('ndcg_cut_10'):.4f} | {r.mean('recip_rank'):.4f} | "
            f"{r.mean('recall_10'):.4f} | {delta} | {p} | {p_lucene} |"
        )
    return "\n".join(lines) + "\n"


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument(
        "--lucene-stopwords", type=Path,
        default=Path("/work/shared/data/stopwords-hi-lucene.txt"),
        help="Lucene's stopwords.txt for the Lucene row (skipped if missing)",
    )
    parser.add_argument(
        "--out", type=Path,
        default=Path(__file__).resolve().parent / "results" / "analyzer_quality.md",
    )
    args = parser.parse_args(argv)

    docs = read_jsonl(args.corpus)
    queries = read_jsonl(args.queries)
    qrels = {q["qid"]: {rel: 1 for rel in q["relevant"]} for q in queries}
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut_10", "recip_rank", "recall_10"})
    lucene = args.lucene_stopwords if args.lucene_stopwords.is_file() else None

    results = [evaluate(v, docs, queries, evaluator) for v in variants(lucene)]
    table = render(results, "b", len(docs), len(queries))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table, encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
