"""Whoosh's internals behind one door: the version it was checked against, fixes installed on demand,
commit generations opened exactly, and segment readers shared only while their deletions are the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import scoring

from hsearch.index import layout, whoosh_compat
from hsearch.index.writer import delete_ids

from .conftest import SEED_ARTICLE_ID, copy_of


def test_the_checked_releases_are_accepted_and_others_refused_with_what_to_install() -> None:
    assert whoosh_compat.check_version("2.7.5") == "2.7.5"
    assert whoosh_compat.check_version() == whoosh_compat.check_version(None)  # the installed one passes
    for other in ("2.8.0", "3.0", "2.6.9", "nightly"):
        with pytest.raises(whoosh_compat.WhooshVersionError) as refused:
            whoosh_compat.check_version(other)
        assert f"whoosh-reloaded {other} is installed" in str(refused.value)
        assert "pip install 'whoosh-reloaded>=2.7,<2.8'" in str(refused.value)


def test_install_puts_the_fixes_in_place_once() -> None:
    whoosh_compat.install()
    whoosh_compat.install()
    assert whoosh_compat.installed()


def test_a_searcher_at_an_old_generation_sees_that_commit_and_a_gone_one_says_so(seed_index: Path,
                                                                                 tmp_path: Path) -> None:
    index_dir = copy_of(seed_index, tmp_path)
    ix = whoosh_compat.open_dir(layout.fulltext_dir(index_dir))
    before = ix.latest_generation()
    searcher, generation = whoosh_compat.searcher_at(ix, None, scoring.BM25F())
    assert generation == before and searcher.document_number(id=SEED_ARTICLE_ID) is not None
    delete_ids(index_dir, [SEED_ARTICLE_ID])
    later, generation = whoosh_compat.searcher_at(ix, None, scoring.BM25F(), reuse=searcher)
    assert generation > before and later.document_number(id=SEED_ARTICLE_ID) is None
    with pytest.raises(whoosh_compat.GenerationGone):  # Whoosh removed the old commit's table of contents
        whoosh_compat.searcher_at(ix, before, scoring.BM25F())


def test_a_reader_is_shared_only_while_its_segments_deletions_are_unchanged(seed_index: Path,
                                                                            tmp_path: Path) -> None:
    index_dir = copy_of(seed_index, tmp_path)
    ix = whoosh_compat.open_dir(layout.fulltext_dir(index_dir))
    first, _ = whoosh_compat.searcher_at(ix, None, scoring.BM25F())
    articles = first.doc_count()
    same, _ = whoosh_compat.searcher_at(ix, None, scoring.BM25F(), reuse=first)
    assert [r for r, _ in same.reader().leaf_readers()] == [r for r, _ in first.reader().leaf_readers()]
    delete_ids(index_dir, [SEED_ARTICLE_ID])  # a deletion in the same segment: Whoosh's refresh reused its reader
    after, _ = whoosh_compat.searcher_at(ix, None, scoring.BM25F(), reuse=same)
    assert after.document_number(id=SEED_ARTICLE_ID) is None
    assert after.doc_count() == articles - 1
