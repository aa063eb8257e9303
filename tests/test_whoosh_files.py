"""Whoosh's segment parts are read in place (index/whoosh_files.py), with BytesIO's semantics."""

from __future__ import annotations

import io
import random
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.structfile import BufferFile
from whoosh.qparser import QueryParser

from hsearch.index import layout
from hsearch.index.whoosh_files import ViewFile

from .conftest import SEED_ARTICLE_ID, SEED_ARTICLES


def test_a_view_file_reads_seeks_and_iterates_as_bytesio_does() -> None:
    data = "भारत सरकार\nचुनाव आयोग\n\nकुर्स्क".encode() * 50 + b"x" * 9000 + b"\n" + b"y" * 5000  # lines past a page
    rng = random.Random(3)
    ours, theirs = ViewFile(memoryview(data)), io.BytesIO(data)
    for _ in range(600):
        op = rng.choice(["read", "readline", "seek", "seek_end", "seek_cur"])
        if op == "read":
            size = rng.choice([-1, 0, 1, 7, 100, 5000])
            assert ours.read(size) == theirs.read(size)
        elif op == "readline":
            assert ours.readline() == theirs.readline()
        elif op == "seek":
            at = rng.randrange(len(data) + 10)  # past the end too
            assert ours.seek(at) == theirs.seek(at)
        elif op == "seek_end":
            back = -rng.randrange(min(50, len(data)))
            assert ours.seek(back, io.SEEK_END) == theirs.seek(back, io.SEEK_END)
        else:
            step = rng.randrange(-min(20, theirs.tell()), 20) if theirs.tell() else rng.randrange(20)
            assert ours.seek(step, io.SEEK_CUR) == theirs.seek(step, io.SEEK_CUR)
        assert ours.tell() == theirs.tell()
    ours.seek(0)
    theirs.seek(0)
    assert list(ours) == list(theirs)


def test_a_searcher_reads_the_segment_in_place_and_finds_what_it_held(seed_index: Path) -> None:
    ix = whoosh_index.open_dir(str(layout.fulltext_dir(seed_index)))
    with ix.searcher() as searcher:
        reader = searcher.leaf_searchers()[0][0].reader()
        parts = [f for f in vars(reader._terms).values() if isinstance(f, BufferFile)] + \
            [getattr(reader, "_postfile", None)]
        views = [p for p in parts if isinstance(p, BufferFile)]
        assert views and all(isinstance(p.file, ViewFile) for p in views)
        assert searcher.doc_count() == SEED_ARTICLES
        assert searcher.document(id=SEED_ARTICLE_ID)["title"]  # stored fields come through the view
        assert [hit["id"] for hit in searcher.search(QueryParser("body", ix.schema).parse("कुर्स्क"))][:1] == \
            [SEED_ARTICLE_ID]
