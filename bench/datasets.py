"""Evaluation sets built from ``../shared/data``, and indexes of them cached on disk.

Each set is a corpus (written as JSONL that ``hsearch index`` reads), topics
and qrels.  Paths are arguments: the files are not part of the repository.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from hsearch.index import manifest
from hsearch.index.atomic import atomic_write_text
from hsearch.index.settings import IndexSettings
from hsearch.index.writer import index_paths
from hsearch.index.writer import IndexRun

CACHE_ENV = "HSEARCH_BENCH_CACHE"


@dataclass(frozen=True)
class EvalSet:
    """A retrieval test: documents, queries and which documents answer each query."""

    name: str
    corpus: list[dict[str, str]]
    topics: list[tuple[str, str]]
    qrels: dict[str, dict[str, int]]
    source: str


def cache_dir() -> Path:
    root = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "hsearch-bench")
    root.mkdir(parents=True, exist_ok=True)
    return root


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def xquad(data: Path, language: str) -> EvalSet:
    """XQuAD Hindi paragraphs; questions in Hindi (``hi``) or English (``en``).

    Only the body is indexed: the ``title`` is the English Wikipedia page name,
    which would hand English questions a match no Hindi news article offers.
    """
    corpus = [{"id": row["id"], "title": "", "body": row["body"]} for row in _jsonl(data / "xquad-hi-corpus.jsonl")]
    queries = _jsonl(data / "xquad-hi-queries.jsonl")
    topics = [(row["qid"], row[f"query_{language}"]) for row in queries]
    qrels = {row["qid"]: {doc: 1 for doc in row["relevant"]} for row in queries}
    return EvalSet(f"xquad-{language}", corpus, topics, qrels, "XQuAD (CC BY-SA 4.0)")


def parallel(data: Path) -> EvalSet:
    """English sentence -> its Hindi translation among all 3,097 Hindi sentences (FLORES-200 dev, TICO-19)."""
    rows = _jsonl(data / "parallel-en-hi-dev.jsonl")
    corpus = [{"id": row["id"], "title": "", "body": row["hi"]} for row in rows]
    topics = [(row["id"], row["en"]) for row in rows]
    qrels = {row["id"]: {row["id"]: 1} for row in rows}
    return EvalSet("parallel-en-hi", corpus, topics, qrels, "FLORES-200 dev (CC BY-SA 4.0), TICO-19 (CC0)")


def all_sets(data: Path) -> list[EvalSet]:
    return [xquad(data, "hi"), xquad(data, "en"), parallel(data)]


def corpus_file(docs: list[dict[str, str]], name: str) -> Path:
    text = "\n".join(json.dumps(doc, ensure_ascii=False) for doc in docs) + "\n"
    digest = hashlib.sha1(text.encode()).hexdigest()[:10]
    path = cache_dir() / f"{name}-{digest}.jsonl"
    if not path.exists():
        atomic_write_text(path, text)
    return path


def cached_index(docs: list[dict[str, str]], name: str, settings: IndexSettings, label: str = "") -> Path:
    """Build the index once; later runs reuse it while the corpus and analyzer are the same."""
    source = corpus_file(docs, name)
    target = cache_dir() / f"index-{source.stem}-{settings.model or 'e5-small'}-{settings.passages.max_tokens}{label}"
    try:
        built = manifest.load(target)
        if built.articles == len(docs):
            return target
    except Exception:  # missing, old analyzer version, half-built: rebuild
        pass
    index_paths(target, [source], settings, IndexRun(rebuild=True))
    return target
