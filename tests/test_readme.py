"""Every shell line of the README runs when pasted, in order, against a copy of the seed index.

The lines are read from the README itself, so a line added later is run too:
every line of each fenced ``sh`` block under "## Usage" (and its subsections),
and the ``hsearch`` commands of the other blocks' ``&&`` chains (their
``pip install`` and ``pytest`` parts are what .ci/run runs).  Only a line
whose comment says it is a server ("a server: runs until Ctrl+C"), an install ("an install:",
what .ci/run does) or needs a running Ray cluster ("a running cluster:") is skipped.
The files the Usage lines name (news.jsonl, more.csv, articles/, topics.tsv,
qrels.txt, ids.txt, page.html, saved-pages/, feeds.txt) are made in the working folder, as a user would have
them; feeds.txt names a feed served on 127.0.0.1 for the module.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import REPO, SAMPLE_ARTICLES, SEED_ARTICLE_ID, SEED_COPIES, SEEDS

README = REPO / "README.md"
SERVER_MARK = "a server:"
# Lines that cannot run in a test's temp folder, and why.
SKIPPED = {SERVER_MARK: "a server: runs until stopped (tests/test_server.py and test_browser.py start it)",
           "an install:": "an install: what .ci/run does before the tests",
           "a running cluster:": "needs a Ray cluster someone else runs (tests/test_ray_embedding.py starts its own)"}


def readme_lines(text: str) -> list[str]:
    lines: list[str] = []
    section = ""
    pattern = re.compile(r"^(#{1,6}) ([^\n]+)$|^```sh\n(.*?)^```", flags=re.MULTILINE | re.DOTALL)
    for match in pattern.finditer(text):
        if match.group(1):
            if len(match.group(1)) <= 2:
                section = match.group(2).strip()
            continue
        for line in match.group(3).splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if section == "Usage":
                lines.append(line)
            else:
                lines += [part.strip() for part in line.split("&&") if part.strip().startswith("hsearch ")]
    return lines


LINES = readme_lines(README.read_text(encoding="utf-8"))


def test_the_readme_has_usage_lines_to_run() -> None:
    assert sum(1 for line in LINES if line.startswith("hsearch query")) >= 4, LINES
    assert any(SERVER_MARK in line for line in LINES)


def make_inputs(folder: Path) -> None:
    """The files the Usage lines name, small and real."""
    news = [{"id": "news-kursk", "title": "कुर्स्क में पुनर्निर्माण", "date": "2024-05-02", "source": "दैनिक भास्कर",
             "body": "उत्तर कोरिया कुर्स्क में 5,000 सैन्य निर्माणकर्मी भेजेगा। चुनाव से पहले यह घोषणा हुई।"},
            {"id": "news-vote", "title": "चुनाव आयोग की घोषणा", "date": "2024-03-16", "source": "दैनिक भास्कर",
             "body": "<p>चुनाव आयोग ने लोकसभा <b>चुनाव</b> की तारीखें घोषित कीं।</p>"}]
    (folder / "news.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in news), encoding="utf-8")
    (folder / "more.csv").write_text("ID;Title;Body\nmore-1;किम और पुतिन;किम जोंग-उन ने पुतिन को पूर्ण समर्थन दिया।\n",
                                     encoding="utf-8")
    (folder / "articles" / "sub").mkdir(parents=True)
    (folder / "articles" / "sub" / "rail.txt").write_text("रेल किराया बढ़ा\nभारतीय रेल ने किराया बढ़ाया।\n",
                                                          encoding="utf-8")
    (folder / "topics.tsv").write_text("q1\tकुर्स्क\nq2\tNorth Korea Russia support\n", encoding="utf-8")
    (folder / "qrels.txt").write_text(f"q1 0 {SEED_ARTICLE_ID} 1\nq2 0 {SEED_ARTICLE_ID} 1\n", encoding="utf-8")
    (folder / "ids.txt").write_text("wikinews-6\nwikinews-8\n", encoding="utf-8")
    (folder / "archive.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in news),
                                          encoding="utf-8")
    shutil.copytree(SEEDS, folder / "seeds")


def make_news_inputs(folder: Path, base: str) -> dict[str, object]:
    """page.html, saved-pages/ and feeds.txt (a feed of the site at ``base``); the site's routes."""
    from bench.news_site import article_page, rss_feed, seed_articles

    from bench.news_server import Route

    articles = seed_articles()
    kursk, others = articles[0], articles[1:9]
    (folder / "page.html").write_bytes(article_page(kursk, base="https://samachar.example", others=others))
    (folder / "saved-pages").mkdir()
    for number, article in enumerate(articles[1:3], start=1):
        (folder / "saved-pages" / f"{article.key}.html").write_bytes(
            article_page(article, base="https://samachar.example", others=others, index=number))
    routes: dict[str, object] = {f"/news/{a.key}.html": Route(article_page(a, base=base, others=others, index=i))
                                 for i, a in enumerate(articles[3:5])}
    routes["/feed.xml"] = Route(rss_feed([(a, i) for i, a in enumerate(articles[3:5])], base=base), conditional=True)
    (folder / "feeds.txt").write_text(f"# the feeds I follow\n{base}/feed.xml\n", encoding="utf-8")
    return routes


@pytest.fixture(scope="module")
def workspace(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    from bench.news_server import news_site

    with news_site() as site:
        folder = tmp_path_factory.mktemp("readme")
        make_inputs(folder)
        site.routes.update(make_news_inputs(folder, site.base))  # type: ignore[arg-type]
        yield from _workspace(sample_index, folder)


def _workspace(sample_index: Path, folder: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    index_dir = Path(shutil.copytree(sample_index, folder / "index"))
    scripts = str(Path(sys.executable).parent)  # where pip put the hsearch command
    env = {**os.environ, "PATH": scripts + os.pathsep + os.environ.get("PATH", ""), "HSEARCH_INDEX": str(index_dir),
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "NO_COLOR": "1"}
    yield folder, env


@pytest.mark.slow  # a process per line, some embedding
@pytest.mark.parametrize("line", LINES)
def test_the_readme_line_runs_as_pasted(line: str, workspace: tuple[Path, dict[str, str]]) -> None:
    for mark, why in SKIPPED.items():
        if mark in line:
            pytest.skip(why)
    folder, env = workspace
    run = subprocess.run(["bash", "-c", line], cwd=folder, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"{line}\n{run.stdout}\n{run.stderr}"
    assert "Traceback" not in run.stderr and "Usage:" not in run.stderr, run.stderr
    claim = CLAIMS.get(command_of(line))
    if claim is not None:  # what the line's comment says it shows, on the sample archive
        claim(run.stdout, run.stderr, folder)


# -- what each Usage line's comment says, checked on its output (lines run in README order) -------
SEED_STORY = {SEED_ARTICLE_ID, *(copy["id"] for copy in SEED_COPIES)}


def command_of(line: str) -> str:
    return line.split("  #")[0].strip()


def hit_ids(text: str) -> list[str]:
    """The ids of a text listing, in rank order."""
    return re.findall(r"^ {4}(?:.* · )?id (\S+)$", text, flags=re.MULTILINE)


def json_hits(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def first_is_the_seed_story(out: str, err: str, folder: Path) -> None:
    assert hit_ids(out)[0] in SEED_STORY, out


def kursk_folds_the_copies(out: str, err: str, folder: Path) -> None:
    # the seed story, once, its nine copies folded under it (and, later in the block, the saved Kursk page too)
    hits = [hit for hit in out.split("\n\n") if set(hit_ids(hit)) & SEED_STORY]
    folded = re.search(r"\+ (\d+) more from this story: ", hits[0]) if len(hits) == 1 else None
    assert folded is not None and int(folded.group(1)) >= len(SEED_STORY) - 1, out


def romanized_finds_kursk(out: str, err: str, folder: Path) -> None:
    assert set(hit_ids(out)[:2]) & SEED_STORY and re.search(r"^expanded: kursk -> कुर्स्क", out, flags=re.MULTILINE), out


def every_copy(out: str, err: str, folder: Path) -> None:
    ids = hit_ids(out)  # ten hits: the story's copies, beside news-kursk and the saved page (lines above add them)
    assert len(set(ids) & SEED_STORY) >= len(SEED_STORY) - 2 and "more from this story" not in out, out


def english_finds_the_vaccine_reports(out: str, err: str, folder: Path) -> None:
    top = out.split("\n\n")[:5]
    assert all(re.search(r"id tico19-\d+$", hit, flags=re.MULTILINE) for hit in top), out  # COVID-19 reports
    assert sum("टीक" in hit for hit in top) >= 4, out  # टीका, टीके: vaccines


def russia_but_not_kim(out: str, err: str, folder: Path) -> None:
    ids = hit_ids(out)
    assert len(ids) >= 3 and not set(ids) & SEED_STORY, out
    assert "किम" not in out


def phrase_first(out: str, err: str, folder: Path) -> None:
    first_is_the_seed_story(out, err, folder)
    assert "पूर्ण समर्थन" in out.split("\n\n")[0]


def filtered(out: str, err: str, folder: Path) -> None:
    hits = json_hits(out)
    assert len(hits) >= 5, out
    assert all(h["source"] == "TICO-19" and "2020-03-01" <= str(h["date"])[:10] <= "2020-12-31" for h in hits), hits


def deleted_both(out: str, err: str, folder: Path) -> None:
    assert out.startswith("deleted 2 articles;") and "warning" not in err, (out, err)


def stats_tell_the_archive(out: str, err: str, folder: Path) -> None:
    for needle in ("dates          2020-", "TICO-19 37", "Wikinews (FLORES-200)", "health", "stories ",
                   "copies folded", "segments       full text:"):
        assert needle in out, (needle, out)
    assert re.search(r"^ +vectors: \d+ \(commit \d+, \d+ passages", out, flags=re.MULTILINE), out


def similar_reports(out: str, err: str, folder: Path) -> None:
    ids = hit_ids(out)  # other COVID-19 reports, and then it stops: nothing else is like a report of symptoms
    assert 3 <= len(ids) < 10 and all(i.startswith("tico19-") and i != "tico19-853" for i in ids), out


def newest_first(out: str, err: str, folder: Path) -> None:
    dates = re.findall(r"^    (\d{4}-\d\d-\d\d) · ", out, flags=re.MULTILINE)
    assert len(dates) >= 10 and dates == sorted(dates, reverse=True), out


def second_page(out: str, err: str, folder: Path) -> None:
    assert hit_ids(out) and re.search(r"^results 11-\d+ of \d+", out, flags=re.MULTILINE), out


def the_new_files_are_indexed(out: str, err: str, folder: Path) -> None:
    assert "indexed 4 new articles" in out and f"{SAMPLE_ARTICLES + 4} articles" in out, out


CLAIMS = {
    'hsearch index news.jsonl more.csv articles/': the_new_files_are_indexed,
    'hsearch query "कुर्स्क"': kursk_folds_the_copies,
    'hsearch query "coronavirus vaccine"': english_finds_the_vaccine_reports,
    'hsearch query "kursk putin samarthan" --explain': romanized_finds_kursk,
    "hsearch query 'रूस -किम' --mode bm25": russia_but_not_kim,
    'hsearch query \'+रूस "पूर्ण समर्थन"\' --mode bm25 --explain': phrase_first,
    'hsearch query "वायरस" --date-from 2020-03-01 --date-to 2020-12-31 --source TICO-19 -k 20 --json': filtered,
    "hsearch delete wikinews-1 wikinews-3": deleted_both,
    "hsearch delete --from-file ids.txt": deleted_both,
    "hsearch stats": stats_tell_the_archive,
    'hsearch query "कुर्स्क" --no-collapse': every_copy,
    "hsearch similar tico19-853": similar_reports,
    'hsearch query "वायरस" --sort date': newest_first,
    'hsearch query "वायरस" -k 10 --page 2': second_page,
}


def test_every_claim_is_a_usage_line() -> None:
    """A claim whose line left the README would check nothing."""
    assert set(CLAIMS) <= {command_of(line) for line in LINES}
