"""One embed_articles(); writers take an encoder as the engine does; repair reports after, too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hsearch.index import health
from hsearch.index.articles import Article
from hsearch.index.passage_vectors import embed_articles
from hsearch.index.errors import ModelMismatchError
from hsearch.index.settings import IndexSettings
from hsearch.index.vector_segments import open_store
from hsearch.index.writer import IndexWriter, index_paths
from hsearch.search.engine import SearchEngine

from .conftest import REPO
from .test_lifecycle import HashEncoder

RECORDS = [json.loads(line) for line in (REPO / "seeds" / "wikinews-flores-hi.jsonl").read_text(encoding="utf-8")
           .splitlines() if line.strip()][:6]


def _source(tmp_path: Path) -> Path:
    path = tmp_path / "news.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS), encoding="utf-8")
    return path


def test_each_article_gets_its_own_passage_rows() -> None:
    articles = [Article(id="kursk", title="कुर्स्क में पुनर्निर्माण", body="उत्तर कोरिया सैन्य निर्माणकर्मी भेजेगा।"),
                Article(id="empty-body", title="समाचार", body="")]
    rows = embed_articles(HashEncoder(), articles)
    assert [len(r) for r in rows] == [1, 1] and rows[0].shape[1] == HashEncoder.DIM
    assert embed_articles(HashEncoder(), []) == []


def test_a_writer_and_an_engine_take_an_encoder_instead_of_loading_one(tmp_path: Path) -> None:
    target = tmp_path / "ix"
    report = index_paths(target, [_source(tmp_path)], IndexSettings(), encoder=HashEncoder())
    assert report.total_articles == len(RECORDS)
    store = open_store(target)
    assert store.passage_count == report.passages > 0
    with SearchEngine(target, encoder=HashEncoder()) as engine:
        assert engine.manifest.model is not None and engine.manifest.model.kind == HashEncoder.NAME
        top = engine.rank(RECORDS[2]["title"], mode="semantic", depth=1).ranked
        assert top and top[0][0] == RECORDS[2]["id"]


def test_a_writer_refuses_an_encoder_of_another_model(tmp_path: Path) -> None:
    target = tmp_path / "ix"
    index_paths(target, [_source(tmp_path)], IndexSettings(), encoder=HashEncoder())

    class Other(HashEncoder):
        def __init__(self) -> None:
            super().__init__()
            self.spec = type(self.spec)(kind="other", name="other", dim=HashEncoder.DIM)

    with pytest.raises(ModelMismatchError, match="other"):
        with IndexWriter(target, IndexSettings(), encoder=Other()):
            pass


def test_repair_reports_what_was_wrong_and_what_is_left(tmp_path: Path) -> None:
    target = tmp_path / "ix"
    index_paths(target, [_source(tmp_path)], IndexSettings(), encoder=HashEncoder())
    with IndexWriter(target, IndexSettings(), encoder=HashEncoder()) as writer:  # vectors lost, text kept
        writer.delete_vectors([r["id"] for r in RECORDS])
        writer.commit()
    before, after = health.repair(target, encoder=HashEncoder())
    assert sorted(before.missing_vectors) == sorted(r["id"] for r in RECORDS) and not before.healthy
    assert after.healthy and after.articles == len(RECORDS) and after.passages > 0
