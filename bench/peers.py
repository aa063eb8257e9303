"""Engine adapters: hsearch and its peers behind one small interface, on the same articles.

Each adapter is built from a list of :class:`hsearch.index.articles.Article` (or an
hsearch index folder) and answers ``search(query, k) -> [article id, ...]``,
best first.  The benchmarks time only ``search``; building is timed
separately (``build_seconds``).

* ``hsearch bm25|semantic|hybrid`` -- :meth:`hsearch.search.engine.SearchEngine.rank`
  (ids and scores, what ``--batch`` and evaluation use); ``hsearch ... +docs``
  adds what ``hsearch query`` prints (stored fields and a highlighted snippet,
  :meth:`SearchEngine.search`).
* ``hsearch vectors`` -- the vector side alone, given the query's embedding:
  ``engine.semantic.store.search(vector, k)`` (its FAISS call, grouping passages
  by article); paired with the FAISS peer.
* ``bm25s`` (Lù 2024; scipy-sparse eager BM25) -- ``hi``: documents and queries
  are the hsearch analyzer's terms (``hsearch.index.analysis.analyze``: normalization,
  Devanagari tokenizer, stopwords, stemmer), given pre-tokenized; ``default``:
  ``bm25s.tokenize`` as it comes (``\\w\\w+`` regex, English stopwords).
  bm25s has no fields: headline and body are one text.
* ``tantivy`` (tantivy-py, Rust) -- ``hi``: headline and body fields with the
  ``whitespace`` tokenizer over pre-analysed text, queries built as a
  boolean OR of term queries, headline boosted x2 as in hsearch; ``default``:
  tantivy's ``default`` tokenizer and ``parse_query_lenient`` over both
  fields, headline boosted x2.  In RAM, one segment after commit.
* ``faiss flat`` -- ``faiss.IndexFlatIP`` over exactly the passage vectors of
  the hsearch index; the query's embedding is given (the encoder is
  hsearch's), and hits are grouped by article with the same depth rule as
  hsearch (``max(4k, 64)`` passages).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hsearch.index.analysis import analyze
from hsearch.index.articles import Article
from hsearch.search.request import SearchRequest

TITLE_BOOST = 2.0  # as index.schema.TITLE_BOOST


@dataclass
class Adapter:
    """A named ``search(query, k) -> ids`` with the time its index took to build."""

    name: str
    search: Callable[[object, int], list[str]]
    build_seconds: float = 0.0
    takes: str = "text"  # "text" or "vector": what ``search`` is given
    note: str = ""


# --------------------------------------------------------------------------
# hsearch


def hsearch_adapters(engine, modes: Sequence[str],  # type: ignore[no-untyped-def]
                     docs: bool = False) -> list[Adapter]:
    """``engine``: an open :class:`hsearch.search.engine.SearchEngine`."""
    adapters = []
    for mode in modes:
        def rank(query: object, k: int, mode: str = mode) -> list[str]:
            return [doc for doc, _ in engine.rank(str(query), mode=mode, depth=k).ranked]

        adapters.append(Adapter(f"hsearch {mode}", rank))
        if docs:
            def full(query: object, k: int, mode: str = mode) -> list[str]:
                return [hit.id for hit in engine.search(SearchRequest.of(str(query), mode=mode, k=k)).hits]

            adapters.append(Adapter(f"hsearch {mode} +docs", full))
    return adapters


def hsearch_bm25_paths(index_dir: Path) -> list[Adapter]:
    """The other ways hsearch can score BM25, for before/after figures in one run.

    ``hsearch bm25 (numpy kernel)``: the array scorer with the numpy kernel (what
    a one-shot ``hsearch query`` uses); ``hsearch bm25 (Whoosh exhaustive)``:
    Whoosh's own matchers scoring every match, the reference the array scorer
    equals (field lengths in memory).  Both after parsing, like
    ``SearchEngine.rank`` in bm25 mode.
    """
    from hsearch.search.fulltext import FullTextSearcher

    searcher = FullTextSearcher(index_dir, length_tables=True)

    def fast(query: object, k: int) -> list[str]:
        return [doc for doc, _ in searcher.search(searcher.parse(str(query)), k)]

    def exhaustive(query: object, k: int) -> list[str]:
        return [doc for doc, _ in searcher.exhaustive(searcher.parse(str(query)))[:k]]

    return [Adapter("hsearch bm25 (numpy kernel)", fast), Adapter("hsearch bm25 (Whoosh exhaustive)", exhaustive)]


def hsearch_encoder(engine) -> Adapter:  # type: ignore[no-untyped-def]
    """Encoding the query alone (the part of ``hsearch semantic`` that is not search)."""

    def encode(query: object, k: int) -> list[str]:
        engine.semantic.embed(str(query))
        return []

    return Adapter("hsearch query encoding", encode)


def hsearch_vectors(engine) -> Adapter:  # type: ignore[no-untyped-def]
    store = engine.semantic.store

    def search(vector: object, k: int) -> list[str]:
        return [hit.article_id for hit in store.search(np.asarray(vector), k)]

    return Adapter(f"hsearch vectors ({store.ann})", search, takes="vector")


# --------------------------------------------------------------------------
# bm25s


def analyzed_texts(articles: Sequence[Article]) -> tuple[list[list[str]], list[list[str]]]:
    """(title terms, body terms) of every article through the hsearch analyzer."""
    return [analyze(a.title) for a in articles], [analyze(a.body) for a in articles]


def bm25s_adapter(articles: Sequence[Article], tokenization: str,
                  analyzed: tuple[list[list[str]], list[list[str]]] | None = None,
                  path: Path | None = None) -> Adapter:
    import bm25s

    ids = [a.id for a in articles]
    began = time.perf_counter()
    retriever = bm25s.BM25()  # Lucene variant, k1 1.5, b 0.75 (its defaults)
    if tokenization == "hi":
        titles, bodies = analyzed if analyzed is not None else analyzed_texts(articles)
        retriever.index([t + b for t, b in zip(titles, bodies)], show_progress=False)
        vocab = retriever.vocab_dict

        def terms(text: str) -> list[str]:
            return [t for t in analyze(text) if t in vocab]
    else:
        corpus = bm25s.tokenize([f"{a.title}\n{a.body}" for a in articles], show_progress=False,
                                return_ids=False)
        retriever.index(corpus, show_progress=False)
        vocab = retriever.vocab_dict

        def terms(text: str) -> list[str]:
            tokens = bm25s.tokenize([text], show_progress=False, return_ids=False)[0]
            return [t for t in tokens if t in vocab]
    if path is not None:
        retriever.save(str(path))
    build = time.perf_counter() - began

    def search(query: object, k: int) -> list[str]:
        query_terms = terms(str(query))
        if not query_terms:
            return []
        docs, scores = retriever.retrieve([query_terms], k=min(k, len(ids)), show_progress=False,
                                          n_threads=1)
        return [ids[int(d)] for d, s in zip(docs[0], scores[0]) if s > 0]

    return Adapter(f"bm25s ({tokenization})", search, build,
                   note="hsearch analyzer terms, pre-tokenized" if tokenization == "hi" else "bm25s.tokenize defaults")


# --------------------------------------------------------------------------
# tantivy


def tantivy_adapter(articles: Sequence[Article], tokenization: str,
                    analyzed: tuple[list[list[str]], list[list[str]]] | None = None,
                    path: Path | None = None) -> Adapter:
    import tantivy

    tokenizer = "whitespace" if tokenization == "hi" else "default"
    began = time.perf_counter()
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=False, tokenizer_name=tokenizer)
    builder.add_text_field("body", stored=False, tokenizer_name=tokenizer)
    schema = builder.build()
    index = tantivy.Index(schema, path=str(path)) if path is not None else tantivy.Index(schema)
    writer = index.writer()
    if tokenization == "hi":
        titles, bodies = analyzed if analyzed is not None else analyzed_texts(articles)
        for a, t, b in zip(articles, titles, bodies):
            writer.add_document(tantivy.Document(id=a.id, title=" ".join(t), body=" ".join(b)))
    else:
        for a in articles:
            writer.add_document(tantivy.Document(id=a.id, title=a.title, body=a.body))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    build = time.perf_counter() - began

    def query_of(text: str):  # type: ignore[no-untyped-def]
        if tokenization == "hi":
            clauses = []
            for term in dict.fromkeys(analyze(text)):
                clauses.append((tantivy.Occur.Should, tantivy.Query.boost_query(
                    tantivy.Query.term_query(schema, "title", term), TITLE_BOOST)))
                clauses.append((tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", term)))
            return tantivy.Query.boolean_query(clauses) if clauses else None
        query, _errors = index.parse_query_lenient(text, ["title", "body"], field_boosts={"title": TITLE_BOOST})
        return query

    def search(query: object, k: int) -> list[str]:
        q = query_of(str(query))
        if q is None:
            return []
        hits = searcher.search(q, limit=k, count=False).hits
        return [searcher.doc(address)["id"][0] for _score, address in hits]

    return Adapter(f"tantivy ({tokenization})", search, build,
                   note="whitespace tokenizer over hsearch analyzer terms" if tokenization == "hi"
                   else "tantivy default tokenizer, lenient query parser")


# --------------------------------------------------------------------------
# FAISS


def faiss_flat_adapter(engine) -> Adapter:  # type: ignore[no-untyped-def]
    """``IndexFlatIP`` over the hsearch index's own passage vectors (copied out of its store)."""
    import faiss

    store = engine.semantic.store
    began = time.perf_counter()
    vectors = np.ascontiguousarray(store.all_vectors())
    row_ids = store.row_owners().tolist()
    owners = np.asarray(sorted(set(row_ids)))
    position = {owner: i for i, owner in enumerate(owners.tolist())}
    row_owner = np.asarray([position[o] for o in row_ids], dtype=np.int64)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    build = time.perf_counter() - began

    def search(vector: object, k: int) -> list[str]:
        depth = min(flat.ntotal, max(4 * k, 64))
        _scores, rows = flat.search(np.asarray(vector, np.float32).reshape(1, -1), depth)
        found = row_owner[rows[0][rows[0] >= 0]]
        _, first = np.unique(found, return_index=True)  # best passage of each article
        return owners[found[np.sort(first)][:k]].tolist()

    return Adapter("faiss IndexFlatIP", search, build, takes="vector",
                   note=f"{flat.ntotal} passages, exact inner product")


TEXT_PEERS = ("bm25s (hi)", "bm25s (default)", "tantivy (hi)", "tantivy (default)")


def text_peers(articles: Sequence[Article], analyzed: tuple[list[list[str]], list[list[str]]] | None = None,
               names: Sequence[str] = TEXT_PEERS, path: Path | None = None) -> tuple[list[Adapter], float]:
    """The full-text peers on these articles, and the seconds the hsearch analyzer took for the ``hi`` ones.

    With ``path``, each peer writes its index into a folder below it (to measure its size).
    """
    analysis_seconds = 0.0
    if analyzed is None and any("(hi)" in n for n in names):
        began = time.perf_counter()
        analyzed = analyzed_texts(articles)
        analysis_seconds = time.perf_counter() - began
    def folder(name: str) -> Path | None:
        if path is None:
            return None
        target = path / name.replace(" ", "-").replace("(", "").replace(")", "")
        target.mkdir(parents=True, exist_ok=True)
        return target

    makers = {
        "bm25s (hi)": lambda: bm25s_adapter(articles, "hi", analyzed, folder("bm25s (hi)")),
        "bm25s (default)": lambda: bm25s_adapter(articles, "default", path=folder("bm25s (default)")),
        "tantivy (hi)": lambda: tantivy_adapter(articles, "hi", analyzed, folder("tantivy (hi)")),
        "tantivy (default)": lambda: tantivy_adapter(articles, "default", path=folder("tantivy (default)")),
    }
    return [makers[name]() for name in names], analysis_seconds
