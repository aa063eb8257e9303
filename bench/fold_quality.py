"""Spelling-variant folds and stemmer guards, A/B on several sets (BM25 only).

    python -m bench.fold_quality --data ../shared/data

Each variant is the analyzer chain with one rule changed; every set is ranked
with the same plain BM25 as :mod:`bench.analyzer_quality` (k1 1.2, b 0.75,
Lucene idf), and per-query nDCG@10 and MRR@10 are compared by the same paired
randomization test.  A "second field" variant scores ``BM25(exact terms) + w *
BM25(folded terms)``, as a lower-weighted folded field in BM25F would (Whoosh
adds the per-field scores), so an exact spelling still ranks first.

Sets:

* ``xquad-hi``: XQuAD Hindi questions over the 240 paragraphs (the dev set
  the analyzer was built on);
* ``flores-lead``: FLORES-200 dev (Wikinews, Wikivoyage, Wikibooks), the
  first sentence of each source article as the query and the article's other
  sentences as the document: real prose, not used to build the analyzer;
* ``headline-variants``: L3Cube Hindi news headlines (7,671, CC BY-NC-SA
  4.0).  For every pair of words that both occur in the headlines and differ
  only by one spelling edit of a kind named in issue 15 (``glide``: word-final
  ए/ये, ई/यी; ``length``: ि/ी, ु/ू; ``candra``: ॉ/ो/ा), up to three headlines
  holding one spelling are queried with the other spelling plus two more
  content words of that headline (seeded), the headline being the answer.
  Attested pairs are not checked by a person: some are two different words
  (दिन/दीन), where a fold "helps" here by a false match; the ``-exact`` rows
  (the same queries with the headline's own spelling) show what folding costs
  when there is nothing to fold.

Writes ``bench/results/fold_quality.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pytrec_eval

from hsearch.index.analysis import (
    ANALYZER_VERSION,
    PROTECTED_WORDS,
    HindiTokenizer,
    _stem,
    normalize,
)

from .analyzer_quality import BM25, TOP_K, lucene_port, paired_p, read_jsonl

RESULTS = Path(__file__).resolve().parent / "results"
Terms = Callable[[str], list[str]]
PROBES_PER_PAIR = 3
SEED = 15

# -- folds under test (on normalized words or stems) -------------------------
_DEVA_BEFORE = r"(?<=[\u0904-\u0939\u0958-\u0961\u093e-\u094c])"
_WORD_END = r"(?=\u0902?(?![\u0900-\u0963\u0971-\u097f]))"
_GLIDE_TO_VOWEL = re.compile(_DEVA_BEFORE + "\u092f([\u0947\u0940])" + _WORD_END)
_VOWEL_LENGTH = str.maketrans({"\u0940": "\u093f", "\u0942": "\u0941", "\u0908": "\u0907", "\u090a": "\u0909"})
_CANDRA_O = str.maketrans({"\u0949": "\u094b", "\u0911": "\u0913"})
_LENGTH_AND_CANDRA = str.maketrans({"\u0940": "\u093f", "\u0942": "\u0941", "\u0908": "\u0907", "\u090a": "\u0909",
                                    "\u0949": "\u094b", "\u0911": "\u0913"})
_LUCENE_FOLD = str.maketrans({
    "\u0940": "\u093f", "\u0942": "\u0941", "\u0908": "\u0907", "\u090a": "\u0909", "\u0948": "\u0947",
    "\u094c": "\u094b", "\u0910": "\u090f", "\u0914": "\u0913", "\u0949": "\u094b", "\u0945": "\u0947",
    "\u0911": "\u0913", "\u090d": "\u090f", "\u0906": "\u0905", "\u094d": None,
})


_VOWEL_TO_GLIDE = re.compile(_DEVA_BEFORE + "([\u090f\u0908])" + _WORD_END)


def glide_to_vowel(word: str) -> str:
    """One direction for every word: -ये -> -ए, -यी -> -ई."""
    return _GLIDE_TO_VOWEL.sub(lambda m: {"\u0947": "\u090f", "\u0940": "\u0908"}[m.group(1)], word)


def vowel_to_glide(word: str) -> str:
    """The other direction for every word: -ए -> -ये, -ई -> -यी."""
    return _VOWEL_TO_GLIDE.sub(lambda m: {"\u090f": "\u092f\u0947", "\u0908": "\u092f\u0940"}[m.group(1)], word)


@dataclass(frozen=True)
class Chain:
    """One analyzer variant: how words are normalized and stemmed, and an optional fold of the stems."""

    key: str
    description: str
    glides: str = "mixed"  # "off" (hi-1), "mixed" (hi-2: by what precedes), "to-vowel", "to-ya"
    min_aksharas: int = 2
    protected: frozenset[str] = PROTECTED_WORDS
    fold: Callable[[str], str] | None = None
    fold_weight: float | None = None  # None: the fold replaces the stem; w: a second field at weight w

    def normalize(self, word: str) -> str:
        text = normalize(word, glides=self.glides == "mixed")
        if self.glides == "to-vowel":
            return glide_to_vowel(text)
        return vowel_to_glide(text) if self.glides == "to-ya" else text


class ChainAnalyzer:
    """Text -> (terms, folded terms) for one :class:`Chain`; caches per word."""

    def __init__(self, chain: Chain, raw_stopwords: list[str]) -> None:
        self.chain = chain
        self.stop = {chain.normalize(w) for w in raw_stopwords}
        self.surface = HindiTokenizer(normalize=False)
        self.cache: dict[str, tuple[str | None, str | None]] = {}

    def word(self, span: str) -> tuple[str | None, str | None]:
        if span not in self.cache:
            chain = self.chain
            term = chain.normalize(span)
            if span[:1].isdigit():
                term = term.replace(",", "")
            if not term or term in self.stop:
                self.cache[span] = (None, None)
            else:
                stemmed = _stem(term, chain.min_aksharas, chain.protected)
                folded = chain.fold(stemmed) if chain.fold else None
                if chain.fold and chain.fold_weight is None:
                    self.cache[span] = (folded, None)
                else:
                    self.cache[span] = (stemmed, folded)
        return self.cache[span]

    def __call__(self, text: str) -> tuple[list[str], list[str]]:
        exact, folded = [], []
        for t in self.surface(text):
            a, b = self.word(t.text)
            if a:
                exact.append(a)
            if b:
                folded.append(b)
        return exact, folded


SHIPPED = "VCg"


def chains() -> list[Chain]:
    hi1 = dict(glides="off", min_aksharas=1, protected=frozenset())
    length = lambda w: w.translate(_VOWEL_LENGTH)  # noqa: E731
    length_candra = lambda w: w.translate(_LENGTH_AND_CANDRA)  # noqa: E731
    lucene = lambda w: w.translate(_LUCENE_FOLD)  # noqa: E731
    return [
        Chain("V0", "hi-1 (as shipped before)", **hi1),
        Chain("S1", "hi-1 + protected unit abbreviations (किमी)", glides="off", min_aksharas=1),
        Chain("S2", "hi-1 + stems keep >= 2 aksharas", glides="off", protected=frozenset()),
        Chain("S3", "hi-1 + S1 + S2 (stem guard)", glides="off"),
        Chain("Ga", "S3 + word-final glide -ये -> -ए everywhere", glides="to-vowel"),
        Chain("Gb", "S3 + word-final glide -ए -> -ये everywhere", glides="to-ya"),
        Chain("Gc", "S3 + glide by context (-ये after a consonant, -ए after a vowel sign)", glides="mixed"),
        Chain("Gc1", "V0 + glide by context only (no stem guard, no protected units)", glides="mixed", min_aksharas=1,
              protected=frozenset()),
        Chain("VLi", "Gc + vowel length folded in place (ी->ि, ू->ु)", fold=length),
        Chain("VL3", "Gc + vowel length, second field w 0.3", fold=length, fold_weight=0.3),
        Chain("VL5", "Gc + vowel length, second field w 0.5", fold=length, fold_weight=0.5),
        Chain("COi", "Gc + candra-o ॉ -> ो in place", fold=lambda w: w.translate(_CANDRA_O)),
        Chain("VCi", "Gc + vowel length and candra-o in place", fold=length_candra),
        Chain("VCg", "Gc + vowel length and candra-o in place, protected units, no akshara guard = hi-2 (shipped)",
              min_aksharas=1, fold=length_candra),
        Chain("VC5", "Gc + vowel length and candra-o, second field w 0.5", fold=length_candra, fold_weight=0.5),
        Chain("LF3", "Gc + Lucene's folds (vowel length, ै/ौ, ॉ, virama), second field w 0.3", fold=lucene,
              fold_weight=0.3),
        Chain("LF5", "Gc + Lucene's folds, second field w 0.5", fold=lucene, fold_weight=0.5),
        Chain("LF10", "Gc + Lucene's folds, second field w 1.0", fold=lucene, fold_weight=1.0),
        Chain("LFi", "Gc + Lucene's folds in place", fold=lucene),
    ]


# -- sets ----------------------------------------------------------------------
@dataclass
class RetrievalSet:
    name: str
    docs: list[tuple[str, str]]  # (id, text)
    queries: list[tuple[str, str, str]]  # (qid, text, relevant id)


def xquad_hi(data: Path) -> RetrievalSet:
    docs = [(r["id"], r["body"]) for r in read_jsonl(data / "xquad-hi-corpus.jsonl")]
    queries = [(r["qid"], r["query_hi"], r["relevant"][0]) for r in read_jsonl(data / "xquad-hi-queries.jsonl")]
    return RetrievalSet("xquad-hi", docs, queries)


def flores_lead(data: Path) -> RetrievalSet:
    by_url: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for r in read_jsonl(data / "parallel-en-hi-dev.jsonl"):
        if r.get("url"):
            by_url[r["url"]].append((int(r["id"].rsplit("-", 1)[1]), r["hi"]))
    docs, queries = [], []
    for n, (url, rows) in enumerate(sorted(by_url.items())):
        rows.sort()
        if len(rows) < 2:
            continue
        doc_id = f"flores-doc-{n}"
        docs.append((doc_id, " ".join(text for _, text in rows[1:])))
        queries.append((f"flores-q-{n}", rows[0][1], doc_id))
    return RetrievalSet("flores-lead", docs, queries)




def _variants_of(word: str) -> dict[str, set[str]]:
    """Spellings one edit away, by kind of edit."""
    out: dict[str, set[str]] = defaultdict(set)
    out["glide"].add(glide_to_vowel(word))
    out["glide"].add(normalize(word))  # -ए -> -ये
    for i, ch in enumerate(word):
        for a, b in (("\u093f", "\u0940"), ("\u0941", "\u0942")):
            if ch in (a, b):
                out["length"].add(word[:i] + (b if ch == a else a) + word[i + 1:])
        if ch == "\u0949":
            out["candra"].update({word[:i] + "\u094b" + word[i + 1:], word[:i] + "\u093e" + word[i + 1:]})
        if ch in ("\u094b", "\u093e"):
            out["candra"].add(word[:i] + "\u0949" + word[i + 1:])
    for kind in out:
        out[kind].discard(word)
    return out


def headline_variants(data: Path, raw_stopwords: list[str]) -> tuple[RetrievalSet, RetrievalSet]:
    rows = read_jsonl(data / "headlines-l3cube.jsonl")
    docs = [(r["id"], r["title"]) for r in rows]
    surface = HindiTokenizer(normalize=False)
    stop = {normalize(w, glides=False) for w in raw_stopwords}
    words_of: list[list[tuple[str, str]]] = []  # per headline: (surface, hi-1 normalized)
    counts: Counter[str] = Counter()
    for _, title in docs:
        ws = [(t.text, normalize(t.text, glides=False)) for t in surface(title)]
        ws = [(s, n) for s, n in ws if re.match(r"[\u0900-\u097f]", n) and n not in stop and len(n) >= 3]
        words_of.append(ws)
        counts.update(n for _, n in ws)
    rng = random.Random(SEED)
    holders: dict[str, list[int]] = defaultdict(list)
    for i, ws in enumerate(words_of):
        for _, n in set(ws):
            holders[n].append(i)
    probes, exact = [], []
    seen_pairs: set[tuple[str, str]] = set()
    for word in sorted(counts):
        for kind, others in _variants_of(word).items():
            for other in sorted(others):
                if counts.get(other, 0) == 0 or (word, other) in seen_pairs:
                    continue
                seen_pairs.add((word, other))
                for i in rng.sample(holders[word], min(PROBES_PER_PAIR, len(holders[word]))):
                    context = [s for s, n in words_of[i] if n != word]
                    if len(context) < 2:
                        continue
                    extra = rng.sample(context, 2)
                    surface_word = next(s for s, n in words_of[i] if n == word)
                    qid = f"{kind}-{len(probes)}"
                    probes.append((qid, " ".join([other, *extra]), docs[i][0]))
                    exact.append((qid, " ".join([surface_word, *extra]), docs[i][0]))
    return RetrievalSet("headline-variants", docs, probes), RetrievalSet("headline-variants-exact", docs, exact)


# -- evaluation ------------------------------------------------------------------
def run_set(analyzer: Callable[[str], tuple[list[str], list[str]]], weight: float | None,
            data: RetrievalSet) -> dict[str, dict[str, float]]:
    analysed = [analyzer(text) for _, text in data.docs]
    exact = BM25([a for a, _ in analysed])
    folded = BM25([b for _, b in analysed]) if weight is not None else None
    run: dict[str, dict[str, float]] = {}
    for qid, text, _ in data.queries:
        qa, qb = analyzer(text)
        scores: dict[int, float] = defaultdict(float)
        for i, s in exact.top(qa, 100):
            scores[i] += s
        if folded is not None:
            for i, s in folded.top(qb, 100):
                scores[i] += weight * s
        best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:TOP_K]
        run[qid] = {data.docs[i][0]: float(TOP_K - r) for r, (i, _) in enumerate(best)}
    qrels = {qid: {rel: 1} for qid, _, rel in data.queries}
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut_10", "recip_rank"})
    per_query = evaluator.evaluate(run)
    for qid, _, _ in data.queries:
        per_query.setdefault(qid, {"ndcg_cut_10": 0.0, "recip_rank": 0.0})
    return per_query


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with the shared evaluation files")
    parser.add_argument("--out", type=Path, default=RESULTS / "fold_quality.md")
    args = parser.parse_args(argv)
    stop_path = Path(__file__).resolve().parents[1] / "index" / "data" / "stopwords-hi.txt"
    raw_stop = [line.split("|", 1)[0].strip() for line in stop_path.read_text("utf-8").splitlines()]
    raw_stop = [w for w in raw_stop if w and not w.startswith("#")]
    probes, exact = headline_variants(args.data, raw_stop)
    sets = [xquad_hi(args.data), flores_lead(args.data), probes, exact]
    variants = chains()
    results: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    for chain in variants:
        analyzer = ChainAnalyzer(chain, raw_stop)
        results[chain.key] = {s.name: run_set(analyzer, chain.fold_weight, s) for s in sets}
        print(chain.key, {s: round(float(np.mean([m["recip_rank"] for m in r.values()])), 4)
                          for s, r in results[chain.key].items()}, file=sys.stderr, flush=True)
    lucene_stop = args.data / "stopwords-hi-lucene.txt"
    if lucene_stop.is_file():
        from .analyzer_quality import _lucene_stopwords

        port = lucene_port(_lucene_stopwords(lucene_stop))
        results["L"] = {s.name: run_set(lambda t: (port(t), []), None, s) for s in sets}
    text = render(results, variants, sets, "python -m bench.fold_quality " + " ".join(sys.argv[1:] if argv is None else argv))
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    summary = {key: {s: {m: float(np.mean([q[m] for q in r.values()])) for m in ("ndcg_cut_10", "recip_rank")}
                     for s, r in per_set.items()} for key, per_set in results.items()}
    args.out.with_suffix(".json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    print(text)
    return 0


def render(results: dict[str, dict[str, dict[str, dict[str, float]]]], variants: list[Chain],
           sets: list[RetrievalSet], command: str) -> str:
    described = {c.key: c.description for c in variants} | {"L": "Lucene HindiAnalyzer, approximate port"}
    kinds = Counter(qid.split("-")[0] for qid, _, _ in sets[2].queries)
    try:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    lines = [
        "# Spelling-variant folds and stemmer guards (BM25 A/B)", "",
        f"- command: `{command}`",
        f"- date: {date.today().isoformat()}; {os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), "
        f"load average {load}; analyzer in the product: {ANALYZER_VERSION}",
        "- ranking: plain BM25 (k1 1.2, b 0.75, Lucene idf) as bench.analyzer_quality; second-field rows add "
        "w x BM25 of the folded terms; measures from pytrec_eval",
        "- p: two-sided paired randomization test (10,000 sign flips) on per-query nDCG@10 against V0 (hi-1) "
        "and against VCg (hi-2, shipped)",
        "- sets: " + "; ".join(f"{s.name} {len(s.docs)} docs / {len(s.queries)} queries" for s in sets),
        "- headline-variants probes by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())),
        "- sources: XQuAD (CC BY-SA 4.0); FLORES-200 dev (CC BY-SA 4.0); L3Cube-IndicNews headlines (CC BY-NC-SA 4.0)",
        "",
    ]
    header = "| row | variant | " + " | ".join(f"{s.name} nDCG@10 | MRR@10 | p vs V0 | p vs VCg" for s in sets) + " |"
    lines += [header, "|---|---|" + "---:|---:|---:|---:|" * len(sets)]
    for key, per_set in results.items():
        cells = []
        for s in sets:
            qids = sorted(per_set[s.name])
            nd = np.array([per_set[s.name][q]["ndcg_cut_10"] for q in qids])
            rr = np.array([per_set[s.name][q]["recip_rank"] for q in qids])
            base = np.array([results["V0"][s.name][q]["ndcg_cut_10"] for q in qids])
            shipped = np.array([results[SHIPPED][s.name][q]["ndcg_cut_10"] for q in qids])
            p0 = "" if key == "V0" else f"{paired_p(nd, base):.3f}"
            pb = "" if key == SHIPPED else f"{paired_p(nd, shipped):.3f}"
            cells.append(f"{nd.mean():.4f} | {rr.mean():.4f} | {p0} | {pb}")
        lines.append(f"| {key} | {described[key]} | " + " | ".join(cells) + " |")
    per_kind = ["", "headline-variants MRR@10 by kind of edit:", "",
                "| row | " + " | ".join(sorted(kinds)) + " |", "|---|" + "---:|" * len(kinds)]
    for key, per_set in results.items():
        by_kind: dict[str, list[float]] = defaultdict(list)
        for qid, m in per_set["headline-variants"].items():
            by_kind[qid.split("-")[0]].append(m["recip_rank"])
        per_kind.append(f"| {key} | " + " | ".join(f"{np.mean(by_kind[k]):.4f}" for k in sorted(kinds)) + " |")
    return "\n".join(lines + per_kind) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
