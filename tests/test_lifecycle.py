"""Index lifecycle: add/replace, delete, stats, verify/repair, and crash safety under ``kill -9``.

Most tests use :class:`HashEncoder`, a deterministic stand-in for the embedded
model (a normalized hashed bag of characters), so that both sides of an index
can be built and repaired in milliseconds; the tests marked "real encoder"
use the default e5-small model on a handful of short articles.

The crash tests run the writer in a child process (``CHILD_SCRIPT``), which
stops itself at a chosen point of the commit (hooks on Whoosh's commit and on
the renames that publish the TOC, the vector file and the manifest) and is
then killed with SIGKILL; others kill it after a delay.  After each kill the
index must open, keep every article committed before, show the new batch on
the full-text side either whole or not at all, and be brought back in line by
``hsearch verify --repair``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from hsearch.index import layout, vector_segments
from hsearch.index import manifest as manifest_io
from hsearch.index.analysis import ANALYZER_VERSION
from hsearch.index.articles import Article, content_digest
from hsearch.index.model_spec import ModelSpec
from hsearch.index.settings import IndexSettings
from hsearch.index.vector_segments import open_store
from hsearch.search.request import SearchRequest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
WIKINEWS = REPO / "seeds" / "wikinews-flores-hi.jsonl"
SEED_ARTICLE = REPO / "seeds" / "000_d92fd9f8a8b58e48.txt"
RECORDS: list[dict[str, str]] = [json.loads(line) for line in WIKINEWS.read_text(encoding="utf-8").splitlines()
                                 if line.strip()]


# --------------------------------------------------------------------------
# A fast, deterministic encoder
# --------------------------------------------------------------------------
class HashEncoder:
    """Stand-in for e5: hashed character unigrams and bigrams, L2-normalized."""

    NAME = "hash-test"
    DIM = 64

    def __init__(self, name: str = NAME) -> None:
        self.spec = ModelSpec(kind=self.NAME, name=self.NAME, dim=self.DIM)
        self.delay = float(os.environ.get("HS_ENCODE_DELAY", "0"))  # slows a child down, for timed kills

    @property
    def dim(self) -> int:
        return self.DIM

    @property
    def max_tokens(self) -> int:
        return 512

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.DIM, np.float32)
        for gram in list(text) + [text[i:i + 2] for i in range(len(text) - 1)]:
            v[zlib.crc32(gram.encode("utf-8", "surrogatepass")) % self.DIM] += 1.0
        norm = float(np.linalg.norm(v))
        if norm == 0.0:
            v[0], norm = 1.0, 1.0
        return v / norm

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if self.delay:
            time.sleep(self.delay)
        if not texts:
            return np.zeros((0, self.DIM), np.float32)
        return np.vstack([self._vector(t) for t in texts]).astype(np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def token_count(self, text: str) -> int:
        return len(text.split())


def hash_encoder_patches() -> list[tuple[object, str, object]]:
    """(module, attribute, replacement) for every place that builds an encoder."""
    import hsearch.index.writer
    import hsearch.search.semantic

    real_for_name = hsearch.index.writer.encoder_for_name
    real_for_spec = hsearch.index.writer.encoder_for_spec

    def for_name(name: str):  # type: ignore[no-untyped-def]
        return HashEncoder() if name == HashEncoder.NAME else real_for_name(name)

    def for_spec(spec: ModelSpec, **options: bool):  # type: ignore[no-untyped-def]
        return HashEncoder() if spec.kind == HashEncoder.NAME else real_for_spec(spec, **options)

    return [(hsearch.index.writer, "encoder_for_name", for_name), (hsearch.index.writer, "encoder_for_spec", for_spec),
            (hsearch.search.semantic, "encoder_for_spec", for_spec)]


def install_hash_encoder() -> None:
    """For child processes, which have no monkeypatch fixture."""
    for module, name, value in hash_encoder_patches():
        setattr(module, name, value)


@pytest.fixture
def hash_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    for module, name, value in hash_encoder_patches():
        monkeypatch.setattr(module, name, value)


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------
def write_jsonl(path: Path, records: Sequence[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def revised(record: dict[str, str], note: str = "संशोधित समाचार") -> dict[str, str]:
    """The same article (same id) with a corrected body."""
    return {**record, "body": record["body"] + " " + note}


def cli(*args: object) -> Result:
    from hsearch.search.cli import main

    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)


def assert_ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def assert_clean_failure(result: Result, *needles: str) -> Result:
    """A non-zero exit with a one-line message, never a traceback."""
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output, (needle, result.output)
    return result


def fulltext_ids(index_dir: Path) -> dict[str, str]:
    """id -> content digest, read straight from the Whoosh side."""
    from hsearch.index.schema import read_article_digests

    return read_article_digests(index_dir)


def vector_digests(index_dir: Path) -> dict[str, str]:
    built = manifest_io.load(index_dir)
    assert built.model is not None
    return open_store(index_dir).article_digests()


def digest_of(record: dict[str, str]) -> str:
    return content_digest(Article(id=record["id"], title=record["title"].strip(), body=record["body"].strip()))


def expected(records: Sequence[dict[str, str]]) -> dict[str, str]:
    return {r["id"]: digest_of(r) for r in records}


def bm25_ids(index_dir: Path, text: str, k: int = 200) -> list[str]:
    from hsearch.search.engine import SearchEngine, SearchSettings

    with SearchEngine(index_dir, SearchSettings(mode="bm25")) as engine:
        return [hit.id for hit in engine.search(SearchRequest.of(text, k=k)).hits]


def headline_query(title: str) -> str:
    """A headline as plain words: "7-2" or "जोंग-उन" would read as NOT (see test_properties)."""
    return re.sub(r"[-+\"():*?~^\[\]{}]", " ", title)


def assert_searchable(index_dir: Path, records: Sequence[dict[str, str]]) -> None:
    """Each article is stored and found by a query on its own headline."""
    from hsearch.search.engine import SearchEngine, SearchSettings

    with SearchEngine(index_dir, SearchSettings(mode="bm25")) as engine:
        total = engine.fulltext.doc_count
        for record in records:
            assert engine.article(record["id"]) is not None, record["id"]
            found = [hit.id for hit in engine.search(SearchRequest.of(headline_query(record["title"]), k=max(total, 1), collapse=False)).hits]
            assert record["id"] in found, record["id"]


def assert_consistent(index_dir: Path) -> None:
    """``hsearch verify`` passes, and the manifest's counts are those of the index."""
    result = assert_ok(cli("verify", "--index", index_dir))
    assert "both sides agree" in result.output
    info = json.loads(assert_ok(cli("stats", "--index", index_dir, "--json")).output)
    assert info["articles"] == len(fulltext_ids(index_dir))
    built = manifest_io.load(index_dir)
    if built.model is not None:
        assert info["passages"] == open_store(index_dir).passage_count


def shortest(count: int, skip: int = 0) -> list[dict[str, str]]:
    ranked = sorted(RECORDS, key=lambda r: len(r["title"]) + len(r["body"]))
    return ranked[skip:skip + count]


BASE = RECORDS[:8]          # committed before every crash test
NEW = RECORDS[8:11]         # the batch the killed command adds ...
REPLACED = [revised(BASE[1]), revised(BASE[2])]  # ... and the articles it replaces
BATCH = NEW + REPLACED


@pytest.fixture(scope="module")
def hash_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """BASE indexed with the hash encoder, built once and copied by each test."""
    from hsearch.index.writer import index_paths

    root = tmp_path_factory.mktemp("hash-template")
    with pytest.MonkeyPatch.context() as mp:
        for module, name, value in hash_encoder_patches():
            mp.setattr(module, name, value)
        index_paths(root / "index", [write_jsonl(root / "base.jsonl", BASE)], IndexSettings(model=HashEncoder.NAME))
    return root / "index"


@pytest.fixture
def hash_index(hash_template: Path, tmp_path: Path, hash_encoder: None) -> Path:
    target = tmp_path / "index"
    shutil.copytree(hash_template, target)
    return target


# --------------------------------------------------------------------------
# Add, replace, delete, stats
# --------------------------------------------------------------------------
def test_index_adds_and_replaces_by_id_into_an_existing_index(hash_index: Path, tmp_path: Path) -> None:
    batch = write_jsonl(tmp_path / "batch.jsonl", BATCH)
    result = assert_ok(cli("index", "--index", hash_index, "-q", batch))
    assert "indexed 3 new articles and 2 replaced" in result.output
    assert f"{len(BASE) + len(NEW)} articles" in result.output

    after = expected(BASE) | expected(BATCH)
    assert fulltext_ids(hash_index) == after
    assert vector_digests(hash_index) == after  # replaced articles were re-embedded, not duplicated
    assert_searchable(hash_index, BASE[:1] + BASE[3:] + BATCH)
    # The correction is what is found now; the id was not duplicated.
    assert bm25_ids(hash_index, "संशोधित").count(BASE[1]["id"]) == 1
    assert_consistent(hash_index)


def test_indexing_the_same_file_again_keeps_it_and_adds_nothing(hash_index: Path, tmp_path: Path) -> None:
    again = write_jsonl(tmp_path / "again.jsonl", BASE)
    before = manifest_io.load(hash_index)
    result = assert_ok(cli("index", "--index", hash_index, "-q", again))
    assert f"indexed 0 new articles and 0 replaced ({len(BASE)} unchanged and kept" in result.output
    after = manifest_io.load(hash_index)
    assert (after.articles, after.passages) == (before.articles, before.passages)
    assert fulltext_ids(hash_index) == expected(BASE)


def test_a_txt_article_edited_and_indexed_again_is_replaced(hash_index: Path, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    article = folder / SEED_ARTICLE.name
    shutil.copy(SEED_ARTICLE, article)
    assert "indexed 1 new" in assert_ok(cli("index", "--index", hash_index, "-q", folder)).output
    article.write_text(SEED_ARTICLE.read_text(encoding="utf-8") + "\nअद्यतन: बातचीत का ब्योरा जारी।\n",
                       encoding="utf-8")
    assert "indexed 0 new articles and 1 replaced" in assert_ok(cli("index", "--index", hash_index, "-q", folder)).output
    assert bm25_ids(hash_index, "ब्योरा") == [article.stem]
    assert len(fulltext_ids(hash_index)) == len(BASE) + 1
    assert_consistent(hash_index)


def test_delete_withdraws_articles_from_both_sides(hash_index: Path) -> None:
    gone = [BASE[0]["id"], BASE[5]["id"]]
    result = assert_ok(cli("delete", "--index", hash_index, *gone))
    assert f"deleted 2 articles; {len(BASE) - 2} remain" in result.output
    remaining = expected([r for r in BASE if r["id"] not in gone])
    assert fulltext_ids(hash_index) == remaining
    assert vector_digests(hash_index) == remaining
    for record in (BASE[0], BASE[5]):
        assert record["id"] not in bm25_ids(hash_index, headline_query(record["title"]))
    from hsearch.search.engine import SearchEngine, SearchSettings

    with SearchEngine(hash_index, SearchSettings(mode="semantic")) as engine:
        hits = engine.search(SearchRequest.of(BASE[0]["title"], k=50)).hits
    assert hits and not {h.id for h in hits} & set(gone)
    assert_consistent(hash_index)


def test_delete_from_file_and_unknown_ids(hash_index: Path, tmp_path: Path) -> None:
    ids = tmp_path / "withdrawn.txt"
    ids.write_text(f"{BASE[3]['id']}\n\n  {BASE[4]['id']}  \nno-such-article\n", encoding="utf-8")
    result = assert_ok(cli("delete", "--index", hash_index, "--from-file", ids, BASE[6]["id"]))
    assert "no article with id 'no-such-article'" in result.output
    assert f"deleted 3 articles; {len(BASE) - 3} remain" in result.output
    remaining = expected([r for r in BASE if r["id"] not in {BASE[3]["id"], BASE[4]["id"], BASE[6]["id"]}])
    assert fulltext_ids(hash_index) == remaining == vector_digests(hash_index)
    assert_consistent(hash_index)
    assert_clean_failure(cli("delete", "--index", hash_index), "give article ids")


def test_stats_reports_counts_model_analyzer_sizes_and_last_update(hash_index: Path, tmp_path: Path) -> None:
    info = json.loads(assert_ok(cli("stats", "--index", hash_index, "--json")).output)
    assert info["articles"] == len(BASE)
    assert info["passages"] == open_store(hash_index).passage_count > 0
    assert HashEncoder.NAME in info["model"] and f"{HashEncoder.DIM} dims" in info["model"]
    assert info["analyzer"] == ANALYZER_VERSION
    assert info["bytes"]["fulltext"] > 0 and info["bytes"]["vectors"] > 0 and info["bytes"]["manifest"] > 0
    created, updated = datetime.fromisoformat(info["created"]), datetime.fromisoformat(info["updated"])
    assert updated >= created

    assert_ok(cli("index", "--index", hash_index, "-q", write_jsonl(tmp_path / "b.jsonl", NEW)))
    later = json.loads(assert_ok(cli("stats", "--index", hash_index, "--json")).output)
    assert later["articles"] == len(BASE) + len(NEW)
    assert later["passages"] > info["passages"]
    assert later["bytes"]["vectors"] > info["bytes"]["vectors"]
    assert later["created"] == info["created"]
    assert datetime.fromisoformat(later["updated"]) >= updated

    text = assert_ok(cli("stats", "--index", hash_index)).output
    for label in ("articles", "passages", "model", "analyzer", "updated", "size fulltext", "size vectors"):
        assert label in text
    assert f"articles       {len(BASE) + len(NEW)}" in text


def test_stats_of_a_full_text_only_index(tmp_path: Path) -> None:
    target = tmp_path / "ft"
    assert_ok(cli("index", "--index", target, "--model", "none", "-q", write_jsonl(tmp_path / "a.jsonl", BASE[:3])))
    info = json.loads(assert_ok(cli("stats", "--index", target, "--json")).output)
    assert (info["articles"], info["passages"], info["model"]) == (3, 0, "none")
    assert "vectors" not in info["bytes"]
    assert_consistent(target)


def test_commands_on_a_missing_index_say_how_to_build_one(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    for args in (("stats",), ("verify",), ("verify", "--repair"), ("delete", "x"), ("query", "पुतिन")):
        assert_clean_failure(cli(*args, "--index", missing), "no hsearch index", "hsearch index")
    assert not (missing / "manifest.json").exists()


# --------------------------------------------------------------------------
# verify and verify --repair on indexes damaged for real
# --------------------------------------------------------------------------
def repair(index_dir: Path) -> str:
    result = assert_ok(cli("verify", "--repair", "--index", index_dir))
    assert "both sides agree" in result.output
    return result.output


def vector_files(index_dir: Path) -> dict[str, bytes]:
    """Every file of the current vector generation, by name."""
    return {p.name: p.read_bytes() for p in sorted(vector_segments.vectors_path(index_dir).iterdir())}


def test_verify_and_repair_a_deleted_vector_generation(hash_index: Path) -> None:
    shutil.rmtree(vector_segments.vectors_path(hash_index))  # the manifest names a generation that is gone
    result = assert_clean_failure(cli("verify", "--index", hash_index), "verify --repair")
    assert "names vector segment s000001, but" in result.output and "is missing" in result.output
    output = repair(hash_index)
    assert "is missing" in output
    assert "repaired" in output
    assert vector_digests(hash_index) == expected(BASE)
    assert_consistent(hash_index)


def test_verify_and_repair_a_vector_file_from_an_older_state(hash_index: Path, tmp_path: Path) -> None:
    old = tmp_path / "vectors-before"
    shutil.copytree(layout.vectors_dir(hash_index), old)
    old_segments = json.loads(layout.manifest_path(hash_index).read_text(encoding="utf-8"))["segments"]
    assert_ok(cli("index", "--index", hash_index, "-q", write_jsonl(tmp_path / "b.jsonl", BATCH)))
    assert_ok(cli("delete", "--index", hash_index, BASE[7]["id"]))
    shutil.rmtree(layout.vectors_dir(hash_index))
    shutil.copytree(old, layout.vectors_dir(hash_index))  # the vector side goes back in time
    data = json.loads(layout.manifest_path(hash_index).read_text(encoding="utf-8"))
    data["segments"] = old_segments
    layout.manifest_path(hash_index).write_text(json.dumps(data), encoding="utf-8")

    result = assert_clean_failure(cli("verify", "--index", hash_index), "inconsistent")
    assert "3 articles in the full text without vectors" in result.output
    assert "2 articles with vectors of an older text" in result.output
    assert "1 article with vectors but no full text" in result.output
    for record in NEW + REPLACED + [BASE[7]]:
        assert record["id"] in result.output

    output = repair(hash_index)
    assert "repaired" in output and "3 articles in the full text without vectors" in output
    after = {**expected(BASE[:7]), **expected(BATCH)}
    assert fulltext_ids(hash_index) == after
    assert vector_digests(hash_index) == after
    assert_consistent(hash_index)
    assert_searchable(hash_index, BASE[:1] + BASE[3:7] + BATCH)


def test_repair_drops_vectors_of_an_article_removed_from_the_full_text_only(hash_index: Path) -> None:
    from whoosh import index as whoosh_index

    from hsearch.search.engine import SearchEngine, SearchSettings

    victim = BASE[4]
    ix = whoosh_index.open_dir(str(layout.fulltext_dir(hash_index)))
    writer = ix.writer()
    writer.delete_by_term("id", victim["id"])
    writer.commit()
    passages_before = open_store(hash_index).passage_count

    # Searching still works and never shows the half-deleted article.
    with SearchEngine(hash_index, SearchSettings(mode="semantic")) as engine:
        hits = engine.search(SearchRequest.of(victim["title"], k=20)).hits
    assert hits and victim["id"] not in {h.id for h in hits}

    result = assert_clean_failure(cli("verify", "--index", hash_index))
    assert f"1 article with vectors but no full text: {victim['id']}" in result.output
    output = repair(hash_index)
    assert "1 article with vectors but no full text" in output
    assert victim["id"] not in vector_digests(hash_index)
    assert open_store(hash_index).passage_count < passages_before
    assert_consistent(hash_index)


def test_repair_rebuilds_a_vector_file_that_does_not_open(hash_index: Path) -> None:
    path = vector_segments.vectors_path(hash_index) / "vectors.npy"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])  # truncated mid-write by a foreign tool
    result = assert_clean_failure(cli("verify", "--index", hash_index), "problem: vector file")
    output = repair(hash_index)
    assert "problem: vector file" in output
    assert vector_digests(hash_index) == expected(BASE)
    assert_consistent(hash_index)
    assert result.output  # the problem was reported before the repair too


def test_a_damaged_vector_file_stops_semantic_queries_with_advice_and_loses_nothing(hash_index: Path,
                                                                                    tmp_path: Path) -> None:
    path = vector_segments.vectors_path(hash_index) / "ids.npy"
    path.write_bytes(b"not a numpy file, written over by another program" * 4)  # foreign, same size or not
    before = fulltext_ids(hash_index)
    assert_clean_failure(cli("query", "समाचार", "--index", hash_index, "--mode", "hybrid"),
                         "cannot be read", "hsearch verify --repair")
    assert_ok(cli("query", "समाचार", "--index", hash_index, "--mode", "bm25"))
    extra = write_jsonl(tmp_path / "extra.jsonl", [revised(BASE[0]) | {"id": "extra-1"}])
    assert_clean_failure(cli("index", extra, "--index", hash_index), "cannot be read", "hsearch verify --repair")
    assert fulltext_ids(hash_index) == before  # the refused write added nothing


def test_a_damaged_full_text_side_is_reported_and_not_repaired_from_vectors(hash_index: Path) -> None:
    for toc in layout.fulltext_dir(hash_index).glob("*.toc"):
        toc.unlink()
    assert_clean_failure(cli("verify", "--index", hash_index), "problem: full-text index does not open")
    assert_clean_failure(cli("verify", "--repair", "--index", hash_index), "hsearch index --rebuild")
    assert vector_segments.vectors_path(hash_index).exists()  # the vectors were not thrown away


def test_repair_of_a_healthy_index_changes_nothing(hash_index: Path) -> None:
    before, generation = vector_files(hash_index), manifest_io.load(hash_index).vector_generation
    output = repair(hash_index)
    assert output.startswith("ok:")
    assert manifest_io.load(hash_index).vector_generation == generation
    assert vector_files(hash_index) == before


# --------------------------------------------------------------------------
# The real default encoder (e5-small) on a handful of short articles
# --------------------------------------------------------------------------
E5_BASE = shortest(3)
E5_NEW = shortest(2, skip=3)


@pytest.fixture(scope="module")
def e5_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hsearch.index.writer import index_paths

    root = tmp_path_factory.mktemp("e5-template")
    index_paths(root / "index", [write_jsonl(root / "base.jsonl", E5_BASE)], IndexSettings())
    return root / "index"


@pytest.fixture
def e5_index(e5_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "index"
    shutil.copytree(e5_template, target)
    return target


def semantic_ids(index_dir: Path, text: str, k: int = 10) -> list[str]:
    """Semantic hits for the first words of ``text`` (a short query keeps e5 quick)."""
    from hsearch.search.engine import SearchEngine, SearchSettings

    with SearchEngine(index_dir, SearchSettings(mode="semantic")) as engine:
        return [h.id for h in engine.search(SearchRequest.of(" ".join(text.split()[:6]), k=k)).hits]


def test_real_encoder_delete_and_repair_keep_both_sides_equal(e5_index: Path) -> None:
    """Real encoder: delete from both sides; repair a lost vector file by re-embedding."""
    info = json.loads(assert_ok(cli("stats", "--index", e5_index, "--json")).output)
    assert "e5-small" in info["model"] and info["articles"] == len(E5_BASE)
    target = E5_BASE[0]
    assert semantic_ids(e5_index, target["title"], k=1) == [target["id"]]

    assert "deleted 1 article; 2 remain" in assert_ok(cli("delete", "--index", e5_index, target["id"])).output
    remaining = expected(E5_BASE[1:])
    assert fulltext_ids(e5_index) == remaining == vector_digests(e5_index)
    assert target["id"] not in semantic_ids(e5_index, target["title"])

    shutil.rmtree(vector_segments.vectors_path(e5_index))
    output = repair(e5_index)
    assert "is missing" in output and "repaired" in output
    assert vector_digests(e5_index) == remaining
    survivor = E5_BASE[1]
    assert semantic_ids(e5_index, survivor["title"], k=1) == [survivor["id"]]
    assert_consistent(e5_index)


# --------------------------------------------------------------------------
# Crash safety: SIGKILL at chosen points of the commit, and after delays
# --------------------------------------------------------------------------
CHILD_SCRIPT = r'''
"""A writer that stops at HS_PAUSE_AT and waits there to be killed."""
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, os.environ["HS_TESTS"])
import whoosh.writing

import test_lifecycle
from hsearch.index import health, keytable, vector_segments
from hsearch.index.segment_policy import MergePolicy
from hsearch.index.settings import IndexSettings
from hsearch.index.writer import IndexRun, IndexWriter, delete_ids, index_paths

if os.environ.get("HS_ENCODER") == "hash":
    test_lifecycle.install_hash_encoder()
PAUSE_AT = os.environ.get("HS_PAUSE_AT", "")
MARK = Path(os.environ["HS_MARK"])
RENAME = os.rename  # before it is hooked
seen = []


def reached(point):
    seen.append(point)
    if point == PAUSE_AT:
        MARK.with_name("paused.tmp").write_text(" ".join(seen))
        RENAME(MARK.with_name("paused.tmp"), MARK)  # the parent sees the mark whole
        while True:  # the parent kills us here
            time.sleep(60)


def wrap(owner, name, label):
    real = getattr(owner, name)

    def hooked(*args, **kwargs):
        reached(f"before-{label}")
        result = real(*args, **kwargs)
        reached(f"after-{label}")
        return result

    setattr(owner, name, hooked)


def wrap_rename(name):
    real = getattr(os, name)

    def hooked(src, dst, *args, **kwargs):
        target = os.path.basename(dst)
        target = "toc" if target.endswith(".toc") else target
        target = "vector-segment" if re.fullmatch(r"s\d+", target) else target
        target = "vector-merge" if re.fullmatch(r"s\d+m\d+", target) else target
        target = "tombstone" if re.fullmatch(r".+\.del\d+\.npy", target) else target
        target = "stories-delta" if re.fullmatch(r"stories\.d\d+\.npz", target) else target
        reached(f"before-rename:{target}")
        real(src, dst, *args, **kwargs)
        reached(f"after-rename:{target}")

    setattr(os, name, hooked)


wrap(whoosh.writing.SegmentWriter, "commit", "whoosh-commit")
wrap(IndexWriter, "add", "add")
wrap(IndexWriter, "embed", "embed")
wrap(vector_segments, "retire", "remove-old-files")
wrap(keytable, "update", "keys-update")
wrap_rename("replace")
wrap_rename("rename")

index_dir = Path(os.environ["HS_INDEX"])
Path(os.environ["HS_STARTED"]).touch()
action = os.environ["HS_ACTION"]
if action == "index":
    index_paths(index_dir, [Path(os.environ["HS_SOURCE"])],
                IndexSettings(model=os.environ.get("HS_MODEL") or None,
                              batch_size=int(os.environ.get("HS_BATCH", "64")),
                              merge=MergePolicy(max_segments=int(os.environ.get("HS_MAX_SEGMENTS") or 0) or None)),
                IndexRun(rebuild=os.environ.get("HS_REBUILD") == "1"))
elif action == "delete":
    delete_ids(index_dir, os.environ["HS_IDS"].split(","))
elif action == "repair":
    health.repair(index_dir)
reached("done")
'''


class Child:
    """The writer process under test."""

    def __init__(self, tmp_path: Path, index_dir: Path, action: str, *, pause_at: str = "",
                 encoder: str = "hash", **env: str) -> None:
        script = tmp_path / "child_writer.py"
        script.write_text(CHILD_SCRIPT, encoding="utf-8")
        self.mark = tmp_path / "paused"
        self.started = tmp_path / "started"
        for path in (self.mark, self.started):
            path.unlink(missing_ok=True)
        environment = {**os.environ, "HS_TESTS": str(TESTS), "HS_INDEX": str(index_dir), "HS_ACTION": action,
                       "HS_PAUSE_AT": pause_at, "HS_MARK": str(self.mark), "HS_STARTED": str(self.started),
                       "HS_ENCODER": encoder, **env}
        self.process = subprocess.Popen([sys.executable, str(script)], env=environment, cwd=str(REPO),
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.pid = self.process.pid

    def wait_for(self, flag: Path, limit: float = 180.0) -> None:
        """Block until the child has created ``flag`` (a safety limit only, not a timing check)."""
        deadline = time.monotonic() + limit
        while not flag.exists():
            if self.process.poll() is not None:
                _, err = self.process.communicate()
                pytest.fail(f"the child ended (rc {self.process.returncode}) before {flag.name}:\n{err.decode()}")
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"the child never reached {flag.name}")
            time.sleep(0.01)

    def pause_then_kill(self) -> str:
        self.wait_for(self.mark)
        self.kill()
        return self.mark.read_text()

    def kill(self) -> int | None:
        """SIGKILL; returns the exit status, or None when the child had already finished."""
        finished = self.process.poll()
        if finished is None:
            os.kill(self.pid, signal.SIGKILL)
        self.process.communicate()
        return None if finished is not None else self.process.returncode


def check_after_crash(index_dir: Path, before: dict[str, str], after: dict[str, str],
                      kept: Sequence[dict[str, str]]) -> dict[str, str]:
    """The invariants of a killed write; returns the full-text state it found."""
    from hsearch.search.engine import SearchEngine, SearchSettings

    with SearchEngine(index_dir, SearchSettings(mode="bm25")) as engine:  # the index opens
        assert engine.fulltext.doc_count >= len(kept)
    state = fulltext_ids(index_dir)
    assert state in (before, after), "the full-text side shows part of a batch"
    assert_searchable(index_dir, kept)  # nothing committed before was lost

    verdict = cli("verify", "--index", index_dir)
    assert verdict.exception is None or isinstance(verdict.exception, SystemExit), repr(verdict.exception)
    repaired = assert_ok(cli("verify", "--repair", "--index", index_dir))
    assert "both sides agree" in repaired.output and "still inconsistent" not in repaired.output
    assert fulltext_ids(index_dir) == state  # repair never touches the full text
    assert_consistent(index_dir)
    assert_searchable(index_dir, kept)
    if manifest_io.load(index_dir).model is None:
        return state
    assert vector_digests(index_dir) == state
    if kept:
        with SearchEngine(index_dir, SearchSettings(mode="semantic")) as engine:
            hits = {h.id for h in engine.search(SearchRequest.of(" ".join(kept[0]["title"].split()[:6]), k=50)).hits}
        assert kept[0]["id"] in hits and hits <= set(state)
    return state


COMMIT_POINTS = [
    "before-add",                      # reading done, nothing written yet
    "after-embed",                     # vectors computed in memory, Whoosh segment being written
    "before-rename:vector-segment",    # the batch's vector segment written under a temporary name
    "after-rename:vector-segment",     # new segment in place, named by no manifest yet
    "before-whoosh-commit",            # every document added, nothing committed
    "before-rename:toc",               # Whoosh segment files and its new TOC written, not yet renamed
    "after-rename:toc",                # Whoosh committed (old segments not yet cleaned up)
    "after-whoosh-commit",             # full text committed, the manifest still names the old vectors
    "before-rename:manifest.json",     # new manifest written under a temporary name
    "after-rename:manifest.json",      # everything committed, files of older commits not yet deleted
    "after-remove-old-files",          # files only older commits named deleted, lock not yet released
    "before-keys-update",              # derived key table not yet brought up to date
    "after-keys-update",               # key table updated in place (one transaction), stories not yet written
    "before-rename:stories.npz",       # derived story clusters written under a temporary name
]
BEFORE_THE_FULL_TEXT_COMMIT = ("before-add", "after-embed", "before-rename:vector-segment",
                               "after-rename:vector-segment", "before-rename:tombstone", "after-rename:tombstone",
                               "before-rename:vector-merge", "after-rename:vector-merge",
                               "before-whoosh-commit", "before-rename:toc")


@pytest.mark.slow
@pytest.mark.parametrize("point", COMMIT_POINTS)
def test_kill_9_at_each_point_of_index(point: str, hash_index: Path, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "batch.jsonl", BATCH)
    before = expected(BASE)
    after = before | expected(BATCH)

    child = Child(tmp_path, hash_index, "index", pause_at=point, HS_SOURCE=str(source))
    seen = child.pause_then_kill()
    assert seen.split()[-1] == point
    rerun = tmp_path / "rerun"
    shutil.copytree(hash_index, rerun)

    state = check_after_crash(hash_index, before, after, kept=BASE[:1] + BASE[3:])
    if point in BEFORE_THE_FULL_TEXT_COMMIT:
        assert state == before
    else:
        assert state == after

    # Or, instead of a repair: the killed writer's lock does not block the next writer, and
    # running the same command again completes the batch.
    result = assert_ok(cli("index", "--index", rerun, source))
    assert f"cleared a stale lock left by PID {child.pid}" in result.output
    assert fulltext_ids(rerun) == after == vector_digests(rerun)
    assert_consistent(rerun)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["before-rename:tombstone", "after-rename:tombstone", "before-whoosh-commit",
                                   "after-whoosh-commit", "after-rename:manifest.json", "after-remove-old-files"])
def test_kill_9_during_delete(point: str, hash_index: Path, tmp_path: Path) -> None:
    gone = [BASE[0]["id"], BASE[6]["id"]]
    before = expected(BASE)
    after = expected([r for r in BASE if r["id"] not in gone])
    child = Child(tmp_path, hash_index, "delete", pause_at=point, HS_IDS=",".join(gone))
    child.pause_then_kill()
    state = check_after_crash(hash_index, before, after, kept=[r for r in BASE if r["id"] not in gone])
    assert state == (before if point in BEFORE_THE_FULL_TEXT_COMMIT else after)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["before-rename:vector-segment", "before-rename:vector-merge",
                                   "after-rename:vector-merge", "after-whoosh-commit", "after-rename:manifest.json",
                                   "after-remove-old-files"])
def test_kill_9_during_a_merge(point: str, hash_index: Path, tmp_path: Path) -> None:
    """A commit that adds a segment, replaces two articles (tombstones) and merges every segment into one."""
    source = write_jsonl(tmp_path / "batch.jsonl", BATCH)
    before = expected(BASE)
    after = before | expected(BATCH)
    child = Child(tmp_path, hash_index, "index", pause_at=point, HS_SOURCE=str(source), HS_MAX_SEGMENTS="1")
    seen = child.pause_then_kill()
    assert "after-rename:vector-segment" in seen or point == "before-rename:vector-segment"
    state = check_after_crash(hash_index, before, after, kept=BASE[:1] + BASE[3:])
    assert state == (before if point in BEFORE_THE_FULL_TEXT_COMMIT else after)
    if point == "after-remove-old-files":
        assert len(manifest_io.load(hash_index).segments) == 1  # the merge was committed whole


@pytest.mark.slow
@pytest.mark.parametrize("point", ["before-whoosh-commit", "after-whoosh-commit"])
def test_kill_9_during_a_rebuild(point: str, hash_index: Path, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "rebuild.jsonl", BASE[:4] + NEW)
    before = expected(BASE)
    after = expected(BASE[:4] + NEW)
    child = Child(tmp_path, hash_index, "index", pause_at=point, HS_SOURCE=str(source), HS_REBUILD="1")
    child.pause_then_kill()
    state = check_after_crash(hash_index, before, after, kept=BASE[:4])
    assert state == (before if point == "before-whoosh-commit" else after)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["before-add", "before-whoosh-commit", "after-whoosh-commit"])
def test_kill_9_during_the_first_build(point: str, tmp_path: Path, hash_encoder: None) -> None:
    """No index before: after the kill there is none, an empty one, or the whole batch."""
    from hsearch.index.writer import index_paths

    target = tmp_path / "fresh"
    source = write_jsonl(tmp_path / "first.jsonl", BASE[:3])
    child = Child(tmp_path, target, "index", pause_at=point, HS_SOURCE=str(source), HS_MODEL=HashEncoder.NAME)
    child.pause_then_kill()
    state = fulltext_ids(target) if manifest_io.exists(target) else None
    assert state in (None, {}, expected(BASE[:3])), state
    if state is not None:
        check_after_crash(target, {}, expected(BASE[:3]), kept=[])
    # Running the command again finishes the job.
    index_paths(target, [source], IndexSettings(model=None if state is not None else HashEncoder.NAME))
    assert fulltext_ids(target) == expected(BASE[:3]) == vector_digests(target)
    assert_consistent(target)


@pytest.mark.slow
def test_kill_9_during_repair_leaves_it_repairable(hash_index: Path, tmp_path: Path) -> None:
    shutil.rmtree(vector_segments.vectors_path(hash_index))
    child = Child(tmp_path, hash_index, "repair", pause_at="before-rename:vector-segment")
    child.pause_then_kill()
    assert not vector_segments.vectors_path(hash_index).exists()
    check_after_crash(hash_index, expected(BASE), expected(BASE), kept=BASE)


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.1, 0.25, 0.45, 0.7, 1.0])
def test_kill_9_after_a_delay(delay: float, hash_index: Path, tmp_path: Path) -> None:
    """Killed wherever it happens to be: reading, embedding, writing segments or committing."""
    batch = RECORDS[20:44] + [revised(r) for r in BASE[:2]]
    source = write_jsonl(tmp_path / "big-batch.jsonl", batch)
    before = expected(BASE)
    after = before | expected(batch)
    child = Child(tmp_path, hash_index, "index", HS_SOURCE=str(source), HS_BATCH="3", HS_ENCODE_DELAY="0.04")
    child.wait_for(child.started)
    time.sleep(delay)
    child.kill()
    state = check_after_crash(hash_index, before, after, kept=BASE[2:])
    assert state in (before, after)


@pytest.mark.slow
def test_kill_9_with_the_real_encoder_between_the_two_commits(e5_index: Path, tmp_path: Path) -> None:
    """Real encoder: full text committed, vectors not; repair embeds the new articles for real."""
    source = write_jsonl(tmp_path / "new.jsonl", E5_NEW)
    child = Child(tmp_path, e5_index, "index", pause_at="after-whoosh-commit", encoder="e5",
                  HS_SOURCE=str(source))
    child.pause_then_kill()
    assert set(fulltext_ids(e5_index)) == {r["id"] for r in E5_BASE + E5_NEW}
    assert set(vector_digests(e5_index)) == {r["id"] for r in E5_BASE}

    verdict = assert_clean_failure(cli("verify", "--index", e5_index), "inconsistent")
    assert "2 articles in the full text without vectors" in verdict.output
    state = check_after_crash(e5_index, expected(E5_BASE), expected(E5_BASE + E5_NEW), kept=E5_BASE)
    assert state == expected(E5_BASE + E5_NEW)
    for record in E5_NEW:
        assert semantic_ids(e5_index, record["title"], k=1) == [record["id"]]


# --------------------------------------------------------------------------
# The command itself, ``python -m search.cli index``, killed after a delay
# --------------------------------------------------------------------------
def test_python_dash_m_search_cli_runs_the_cli() -> None:
    completed = subprocess.run([sys.executable, "-m", "hsearch", "--help"], cwd=str(REPO),
                               capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    assert "Search Hindi news" in completed.stdout


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.4, 0.9, 1.3, 1.8])
def test_kill_9_of_the_hsearch_index_command(delay: float, tmp_path: Path) -> None:
    """A full-text-only index: the whole CLI process, from start-up to exit, killed somewhere."""
    from hsearch.index.writer import index_paths

    target = tmp_path / "index"
    index_paths(target, [write_jsonl(tmp_path / "base.jsonl", BASE)], IndexSettings(model="none"))
    copies = [{**r, "id": f"{r['id']}-copy{k}", "body": f"{r['body']} प्रति {k}"} for k in range(3) for r in RECORDS]
    batch = RECORDS[20:] + copies + [revised(r) for r in BASE[:2]]
    source = write_jsonl(tmp_path / "batch.jsonl", batch)
    process = subprocess.Popen([sys.executable, "-m", "hsearch", "index", "--index", str(target), "-q",
                                str(source)], cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(delay)
    if process.poll() is None:
        process.kill()
    _, err = process.communicate()
    assert process.returncode in (0, -signal.SIGKILL), err.decode()
    before, after = expected(BASE), expected(BASE) | expected(batch)
    state = check_after_crash(target, before, after, kept=BASE[2:])
    assert manifest_io.load(target).articles == len(state)
    result = assert_ok(cli("index", "--index", target, source))
    assert fulltext_ids(target) == after
    assert_consistent(target)
    done = re.search(r"indexed (\d+) new articles? and (\d+) replaced \((?:(\d+) unchanged and kept, )?", result.output)
    assert done and int(done[1]) + int(done[2]) + int(done[3] or 0) == len(batch), result.output
