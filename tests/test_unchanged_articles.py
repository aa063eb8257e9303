"""Re-feeding articles the index already holds costs nothing: they are kept, not embedded again.

An archive is fed as yesterday's full dump plus today's articles; only what is
new or changed may be embedded.  "Unchanged" means every stored field is the
same (a corrected date or source is a change even when the text is not) and
the vector side holds vectors of this very text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hsearch.index import manifest as manifest_io
from hsearch.index.settings import IndexSettings
from hsearch.index.writer import IndexRun, IndexWriter, index_paths

from .test_lifecycle import (  # noqa: F401 - fixtures
    BASE, NEW, HashEncoder, assert_consistent, assert_ok, cli, expected, fulltext_ids, hash_encoder, hash_index,
    hash_template, revised, vector_digests, write_jsonl,
)


@pytest.fixture
def encoded(monkeypatch: pytest.MonkeyPatch, hash_encoder: None) -> list[str]:  # noqa: F811
    """Every passage text the hash encoder is asked to embed, in order."""
    seen: list[str] = []
    original = HashEncoder.encode_passages

    def counting(self: HashEncoder, texts):  # type: ignore[no-untyped-def]
        seen.extend(texts)
        return original(self, texts)

    monkeypatch.setattr(HashEncoder, "encode_passages", counting)
    return seen


def test_indexing_the_same_file_again_embeds_nothing_and_says_so(hash_index: Path, tmp_path: Path,  # noqa: F811
                                                                  encoded: list[str]) -> None:
    before = manifest_io.load(hash_index)
    result = assert_ok(cli("index", "--index", hash_index, "-q", write_jsonl(tmp_path / "again.jsonl", BASE)))
    assert "indexed 0 new articles and 0 replaced" in result.output
    assert f"{len(BASE)} unchanged and kept, 0 passages embedded" in result.output
    assert encoded == []
    after = manifest_io.load(hash_index)
    assert (after.articles, after.passages) == (before.articles, before.passages)
    assert fulltext_ids(hash_index) == vector_digests(hash_index) == expected(BASE)
    assert_consistent(hash_index)


def test_yesterdays_dump_plus_todays_articles_embeds_only_todays(hash_index: Path, tmp_path: Path,  # noqa: F811
                                                                 encoded: list[str]) -> None:
    feed = write_jsonl(tmp_path / "dump.jsonl", BASE + NEW)
    report = index_paths(hash_index, [feed], IndexSettings())
    assert (report.added, report.replaced, report.unchanged) == (len(NEW), 0, len(BASE))
    assert report.passages == len(encoded) > 0
    assert all(any(r["title"] in text for r in NEW) or not any(r["title"] in text for r in BASE)
               for text in encoded)  # nothing of yesterday's articles was embedded
    assert fulltext_ids(hash_index) == vector_digests(hash_index) == expected(BASE + NEW)
    assert_consistent(hash_index)


def test_a_changed_body_is_embedded_again_and_a_changed_source_is_stored_again(
        hash_index: Path, tmp_path: Path, encoded: list[str]) -> None:  # noqa: F811
    corrected = revised(BASE[0], "भूकंप के बाद राहत कार्य जारी")
    moved = {**BASE[1], "source": "दैनिक प्रहरी"}
    feed = write_jsonl(tmp_path / "changes.jsonl", [corrected, moved, *BASE[2:]])
    report = index_paths(hash_index, [feed], IndexSettings())
    assert (report.added, report.replaced, report.unchanged) == (0, 2, len(BASE) - 2)
    assert any("राहत कार्य" in text for text in encoded)
    from hsearch.search.engine import SearchEngine, SearchSettings

    with SearchEngine(hash_index, SearchSettings(mode="bm25")) as engine:
        assert engine.article(moved["id"])["source"] == "दैनिक प्रहरी"
    assert fulltext_ids(hash_index) == vector_digests(hash_index) == expected([corrected, moved, *BASE[2:]])
    assert_consistent(hash_index)


def test_an_article_whose_vectors_are_missing_is_not_skipped(hash_index: Path, tmp_path: Path,  # noqa: F811
                                                             encoded: list[str]) -> None:
    """Feeding the articles again heals a vector side that lost some (a write killed between commits)."""
    with IndexWriter(hash_index) as writer:
        writer.delete_vectors([BASE[0]["id"]])
        writer.commit()
    assert BASE[0]["id"] not in vector_digests(hash_index)
    report = index_paths(hash_index, [write_jsonl(tmp_path / "again.jsonl", BASE)], IndexSettings())
    assert (report.replaced, report.unchanged) == (1, len(BASE) - 1)
    assert any(BASE[0]["title"].strip() in text for text in encoded)
    assert vector_digests(hash_index) == expected(BASE)
    assert_consistent(hash_index)


def test_a_rebuild_embeds_everything_again(hash_index: Path, tmp_path: Path, encoded: list[str]) -> None:  # noqa: F811
    report = index_paths(hash_index, [write_jsonl(tmp_path / "again.jsonl", BASE)], IndexSettings(), IndexRun(rebuild=True))
    assert report.unchanged == 0 and report.passages == len(encoded) > 0
    assert_consistent(hash_index)
