"""Read line-based inputs: topic files (``qid<TAB>query``), TREC qrels, lists of ids."""

from __future__ import annotations

from pathlib import Path

from hsearch.index.errors import InputError


def _lines(path: Path) -> list[tuple[int, str]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: invalid UTF-8") from None
    return [(n, line.rstrip("\r")) for n, line in enumerate(text.split("\n"), start=1) if line.strip()]


def read_topics(path: Path) -> list[tuple[str, str]]:
    """``(qid, query)`` pairs in file order."""
    topics = []
    for number, line in _lines(path):
        qid, tab, query = line.partition("\t")
        if not tab or not qid.strip() or not query.strip():
            raise InputError(f"{path}:{number}: expected 'qid<TAB>query', got {line[:60]!r}")
        topics.append((qid.strip(), query.strip()))
    if not topics:
        raise InputError(f"{path}: no topics (expected lines 'qid<TAB>query')")
    return topics


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """TREC qrels ``qid 0 docid relevance`` (whitespace-separated)."""
    qrels: dict[str, dict[str, int]] = {}
    for number, line in _lines(path):
        parts = line.split()
        if len(parts) != 4 or not parts[3].lstrip("-").isdigit():
            raise InputError(f"{path}:{number}: expected 'qid 0 docid relevance', got {line[:60]!r}")
        qid, _, doc, relevance = parts
        qrels.setdefault(qid, {})[doc] = int(relevance)
    if not qrels:
        raise InputError(f"{path}: no judgements")
    return qrels


def read_ids(path: Path) -> list[str]:
    """One article id per line (blank lines ignored)."""
    return [line.strip() for _, line in _lines(path)]
