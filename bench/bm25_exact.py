"""Check that hsearch's fast BM25 path ranks exactly as exhaustive Whoosh scoring does.

    python -m bench.bm25_exact --size 100000 --data ../shared/data

``FullTextSearcher.search`` scores over the segments' scoring sidecars
(:mod:`hsearch.search.array_scorer`).  This runs every benchmark query, and
operator variants of them (``+must``, ``-not``, ``AND``, ``OR``/``NOT``, a
quoted phrase) built from each query's own words, at k = 1, 10 and 100, and
compares with Whoosh scoring every matching document (``optimize=False``, no
pruning, its own matchers).  The array scorer's paths are each checked
whatever the segment sizes: the dense one (a score for every document), which
must equal Whoosh's, and the candidate ones (MaxScore with numpy, and compiled
by numba as engines run it), which must equal the dense one to the bit (same
ids, same floats), as must the default choice between them.  A result differs when the number of hits differs,
a score differs beyond float tolerance (relative 1e-9: sums of several terms
may be added in another order than Whoosh's matcher tree adds them), or an id
differs at a rank whose score is not tied with a neighbour's.  It is a
correctness check on corpora too big for the test suite, not a timing.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from . import corpus as bench_corpus

KS = (1, 10, 100)
TOLERANCE = 1e-9


def variants(text: str, words: list[str]) -> list[tuple[str, str]]:
    """``(kind, query)``: the query as typed and operator forms built from its first analysed words."""
    out = [("plain", text)]
    if len(words) >= 2:
        a, b = words[0], words[1]
        rest = " ".join(words[2:5])
        out += [("+must", f"+{a} {b} {rest}".strip()), ("-not", f"{a} {rest} -{b}".strip()),
                ("AND", f"{a} AND {b}"), ("OR/NOT", f"{a} OR {rest or a} NOT {b}"),
                ("AND NOT", f"{a} AND NOT {b}"), ("phrase", f'"{a} {b}" {rest}'.strip())]
    return out


def same(fast: list[tuple[str, float]], exhaustive: list[tuple[str, float]], k: int) -> bool:
    """``fast`` equals the first ``k`` of ``exhaustive`` (every match), but where scores tie to float precision.

    A tie is looked for in the whole exhaustive list, so a tie cut by the k-th place counts as one.
    """
    if len(fast) != len(exhaustive[:k]):
        return False
    for i, ((fid, fs), (eid, es)) in enumerate(zip(fast, exhaustive)):
        if not math.isclose(fs, es, rel_tol=TOLERANCE, abs_tol=1e-12):
            return False
        if fid != eid:
            tied = any(math.isclose(es, exhaustive[j][1], rel_tol=TOLERANCE)
                       for j in (i - 1, i + 1) if 0 <= j < len(exhaustive))
            if not tied:
                return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10000, help="articles (a cached bench index; built if missing)")
    parser.add_argument("--data", type=Path, default=None, help="../shared/data; without it the corpus is built from seeds/")
    parser.add_argument("--seed", type=int, default=bench_corpus.DEFAULT_SEED)
    parser.add_argument("--vectors", choices=("none", "reuse", "real"), default="none",
                        help="which cached bench index (the full-text side is the same whatever its vectors)")
    parser.add_argument("--queries", type=int, default=None, help="only the first N benchmark queries")
    parser.add_argument("--index", type=Path, default=None,
                        help="check this index instead of the cached bench index of --size (a copy, say)")
    args = parser.parse_args(argv)

    from hsearch.search import array_scorer
    from hsearch.search.fulltext import FullTextSearcher

    if args.index is not None:
        index_dir = args.index
    else:
        index_dir, _ = bench_corpus.bench_index(args.size, args.data, args.seed, vectors=args.vectors)
    queries = bench_corpus.load_queries(args.data, seed=args.seed)[: args.queries]
    differences = checked = unlike_dense = 0
    by_kind: dict[str, int] = {}
    began = time.perf_counter()
    fulltext = FullTextSearcher(index_dir)  # the numpy kernel, as a one-shot query scores
    compiled = FullTextSearcher(index_dir, compiled=True)  # numba's kernels where installed, as engines score
    if not fulltext._arrays.complete:
        print("warning: some segments have no scoring sidecar; they are scored through Whoosh", file=sys.stderr)

    def ranked(searcher: FullTextSearcher, parsed: object, k: int, *, dense: bool) -> list[tuple[str, float]]:
        """One path whatever the segment sizes: a score for every document, or the candidates only."""
        array_scorer.PATH = "dense" if dense else "candidates"
        try:
            return searcher.search(parsed, k)  # type: ignore[arg-type]
        finally:
            array_scorer.PATH = None

    for query in queries:
        words = list(dict.fromkeys(t.text for t in fulltext.analyzer(query.text, mode="query")))
        for kind, text in variants(query.text, words):
            parsed = fulltext.parse(text)
            exhaustive = fulltext.exhaustive(parsed, limit=max(KS) + 1)  # every match scored; ids of the best read
            for k in KS:
                dense = ranked(fulltext, parsed, k, dense=True)
                paths = {"default": fulltext.search(parsed, k), "candidates (numpy)": ranked(fulltext, parsed, k, dense=False),
                         "candidates (compiled)": ranked(compiled, parsed, k, dense=False)}
                for name, found in paths.items():
                    if found != dense:
                        unlike_dense += 1
                        print(f"k={k} {kind} {query.qid} {text!r}: {name} {found[:3]} dense {dense[:3]}")
                checked += 1
                by_kind[kind] = by_kind.get(kind, 0) + 1
                if not same(dense, exhaustive, k):
                    differences += 1
                    print(f"k={k} {kind} {query.qid} {text!r}: fast {dense[:3]} exhaustive {exhaustive[:3]}")
    kinds = ", ".join(f"{kind} {n // len(KS)}" for kind, n in by_kind.items())
    print(f"{args.size:,} articles, {len(queries)} queries ({kinds}) at k={','.join(map(str, KS))}: "
          f"{checked} rankings checked, {differences} differences, {unlike_dense} paths unlike the dense one to the bit "
          f"({time.perf_counter() - began:.0f} s)")
    return 1 if differences or unlike_dense else 0


if __name__ == "__main__":
    sys.exit(main())
