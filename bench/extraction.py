"""Article extraction from news pages, and what following a feed costs.

    python -m bench.extraction                 # about a minute on 2 busy cores

1. **Extraction quality** on every article of ``seeds/`` (the seed story and
   the 107 Wikinews articles: real Hindi text) wrapped in a Hindi news site's
   chrome (:mod:`bench.news_site`), in four forms: UTF-8 with a canonical
   link, without a canonical link, windows-1252 with the Devanagari as
   character references (an old site), and a second site's layout (divs
   only, teaser cards of other stories with their first lines, og:url).  Per extractor: the share of the
   articles' sentences kept (compared with white space and zero-width
   characters folded), the share of the chrome's texts on the page that were
   dropped (menu, share bar, "यह भी पढ़ें" box, advertisement, related and
   trending headlines of other articles, comments, newsletter and cookie
   boxes, footer, scripts), pages whose body holds no chrome at all, and the
   metadata found (headline, date, author, canonical URL).  The extractors:
   hsearch's (trafilatura, :func:`hsearch.index.html_pages.extract_page`),
   trafilatura with its defaults (no ``favor_precision``), and the stdlib
   HTML-to-text stripper hsearch uses for markup inside JSON fields
   (:func:`hsearch.index.markup.html_to_text`), which keeps everything: the
   baseline.
2. **Speed**: pages per second of :func:`extract_page` over the same pages,
   in memory (one process, one core).
3. **Following**: a site on 127.0.0.1 (:mod:`bench.news_server`) with a feed of
   all those articles; the first poll (fetch, extract and index with
   ``--model none``, no per-host pause) and then polls of the unchanged
   feed (one conditional GET answered 304): milliseconds per poll and
   requests per poll.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from .news_site import (CHROME, CHROME_B, SeedArticle, article_page, card_page, page_url, published, rss_feed,
                        seed_articles, sentences_of)
from .timing import machine, machine_line, md_table, summary_ms, versions, write_results

BASE = "https://samachar.example"
FORMS = ("utf-8", "no canonical", "windows-1252", "cards layout")


def normal(text: str) -> str:
    return " ".join(text.replace("\u200b", "").replace("\u200d", "").replace("\xa0", " ").split())


def pages(articles: list[SeedArticle]) -> list[tuple[SeedArticle, str, bytes, list[SeedArticle], bool]]:
    """(article, form, page bytes, the other articles in its chrome, has canonical) for each form."""
    made = []
    for number, article in enumerate(articles):
        others = [o for o in articles if o is not article][number % 50:number % 50 + 8]
        for form, charset, canonical in (("utf-8", "utf-8", True), ("no canonical", "utf-8", False),
                                         ("windows-1252", "windows-1252", True)):
            made.append((article, form, article_page(article, base=BASE, others=others, index=number,
                                                     charset=charset, canonical=canonical), others, canonical))
        made.append((article, "cards layout", card_page(article, base=BASE, others=others, index=number), others,
                     True))
    return made


def chrome_on_page(page: str, others: list[SeedArticle]) -> list[str]:
    """The chrome's texts that the page shows (what an extractor must drop)."""
    import html as html_lib

    shown = normal(html_lib.unescape(page))
    teasers = [normal(o.paragraphs[0][:140]) for o in others[:4]]
    items = [c for c in CHROME + CHROME_B if c in shown] + [normal(o.title) for o in others if normal(o.title) in shown]
    items += [t for t in teasers if t in shown]
    return items + [marker for marker in ("लेखक:", "टैग:") if marker in shown]


def hsearch_extractor(page: bytes) -> dict[str, Any]:
    from hsearch.index.html_pages import PageError, extract_page

    try:
        found = extract_page(page)
    except PageError:
        return {"body": "", "title": "", "date": None, "author": "", "url": ""}
    return {"body": found.body, "title": found.title, "date": found.date, "author": found.author, "url": found.url}


def trafilatura_defaults(page: bytes) -> dict[str, Any]:
    import trafilatura

    from hsearch.index.html_pages import decode_page

    found = trafilatura.bare_extraction(decode_page(page), with_metadata=True, include_comments=False)
    if found is None:
        return {"body": "", "title": "", "date": None, "author": "", "url": ""}
    return {"body": found.text or "", "title": found.title or "", "date": found.date, "author": found.author or "",
            "url": found.url or ""}


def stdlib_stripper(page: bytes) -> dict[str, Any]:
    from hsearch.index.html_pages import decode_page
    from hsearch.index.markup import html_to_text

    return {"body": html_to_text(decode_page(page)), "title": "", "date": None, "author": "", "url": ""}


EXTRACTORS: dict[str, Callable[[bytes], dict[str, Any]]] = {
    "hsearch (trafilatura, favor_precision)": hsearch_extractor,
    "trafilatura defaults": trafilatura_defaults,
    "stdlib html_to_text (baseline)": stdlib_stripper,
}


def quality(made: list[tuple[SeedArticle, str, bytes, list[SeedArticle], bool]],
            extractor: Callable[[bytes], dict[str, Any]]) -> dict[str, Any]:
    kept = total = dropped = chrome_total = clean = title = date = author = author_pages = url = canonical_pages = 0
    by_form: dict[str, list[float]] = {}
    leaky: dict[str, int] = {}
    for number, (article, form, page, others, canonical) in enumerate(made):
        found = extractor(page)
        body = normal(found["body"])
        sentences = [normal(s) for s in sentences_of(article)]
        here = sum(s in body for s in sentences)
        kept += here
        total += len(sentences)
        by_form.setdefault(form, []).append(here / len(sentences) if sentences else 1.0)
        chrome = chrome_on_page(page.decode("utf-8" if form != "windows-1252" else "cp1252"), others)
        assert chrome, (article.key, form)
        left = [c for c in chrome if c in body]
        dropped += len(chrome) - len(left)
        leaky[form] = leaky.get(form, 0) + bool(left)
        chrome_total += len(chrome)
        clean += not left
        title += normal(found["title"]) == normal(article.title)
        when = found["date"]
        date += bool(when) and str(when)[:10] == published(number // len(FORMS)).strftime("%Y-%m-%d")
        if form != "cards layout":  # that layout names no author
            author_pages += 1
            author += found["author"] == "राकेश शर्मा"
        if canonical:
            canonical_pages += 1
            url += found["url"] == page_url(BASE, article)
    count = len(made)
    return {"pages": count, "sentences_kept": kept / total, "chrome_dropped": dropped / chrome_total,
            "pages_without_chrome": clean / count, "title": title / count, "date": date / count,
            "author": author / author_pages, "canonical_url": url / canonical_pages,
            "sentences_kept_by_form": {form: statistics.fmean(v) for form, v in by_form.items()},
            "pages_with_chrome_by_form": {form: n for form, n in leaky.items()}}


def speed(made: list[tuple[SeedArticle, str, bytes, list[SeedArticle], bool]], rounds: int) -> dict[str, Any]:
    from hsearch.index.html_pages import extract_page

    times = []
    for _ in range(rounds):
        for _, _, page, _, _ in made:
            started = time.perf_counter()
            extract_page(page)
            times.append(time.perf_counter() - started)
    return {"pages": len(times), "pages_per_second": len(times) / sum(times), "per_page_ms": summary_ms(times),
            "mean_page_kb": statistics.fmean(len(p) for _, _, p, _, _ in made) / 1024}


def following(articles: list[SeedArticle], polls: int) -> dict[str, Any]:
    from hsearch.index.fetch import FetchSettings
    from hsearch.index.follow import Follower, FollowSettings
    from hsearch.index.settings import IndexSettings

    from .news_server import Route, news_site

    settings = FollowSettings(fetch=FetchSettings(host_delay=0.0), index=IndexSettings(model="none"),
                              commit_every=1000)
    with news_site() as site, tempfile.TemporaryDirectory() as folder:
        for number, article in enumerate(articles):
            site.routes[f"/news/{article.key}.html"] = Route(article_page(
                article, base=site.base, others=articles[1:9], index=number))
        site.routes["/feed.xml"] = Route(rss_feed([(a, i) for i, a in enumerate(articles)], base=site.base),
                                         content_type="application/rss+xml", conditional=True)
        follower = Follower(Path(folder) / "index", settings)
        started = time.perf_counter()
        first = follower.poll([site.base + "/feed.xml"])
        first_seconds = time.perf_counter() - started
        times, requests = [], []
        for _ in range(polls):
            before = len(site.log)
            started = time.perf_counter()
            report = follower.poll([site.base + "/feed.xml"])
            times.append(time.perf_counter() - started)
            requests.append(len(site.log) - before)
            assert report.unchanged == 1 and not report.added
        follower.close()
    return {"feed_entries": len(articles), "first_poll_added": len(first.added), "first_poll_s": first_seconds,
            "first_poll_pages_per_s": len(first.added) / first_seconds,
            "unchanged_poll_ms": summary_ms(times), "requests_per_unchanged_poll": statistics.fmean(requests)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None, help="Only the first N articles (a smoke run).")
    parser.add_argument("--rounds", type=int, default=3, help="Passes over the pages for the speed figure.")
    parser.add_argument("--polls", type=int, default=20, help="Polls of the unchanged feed.")
    parser.add_argument("--out", type=Path, default=None, help="Results folder (default bench/results).")
    args = parser.parse_args(argv)
    articles = seed_articles()[:args.limit]
    made = pages(articles)
    info = machine()
    payload: dict[str, Any] = {"machine": info, "versions": versions("trafilatura", "feedparser", "requests", "lxml"),
                               "articles": len(articles)}
    payload["quality"] = {name: quality(made, extractor) for name, extractor in EXTRACTORS.items()}
    payload["speed"] = speed(made, args.rounds)
    payload["following"] = following(articles, args.polls)
    lines = ["# Article extraction and following feeds", "", f"Machine: {machine_line(info)}.", "",
             f"Command: `python -m bench.extraction{' --limit ' + str(args.limit) if args.limit else ''}`; "
             f"{len(articles)} real articles of seeds/ x {len(FORMS)} forms = {len(made)} pages in a Hindi news site's chrome "
             "(bench/news_site.py).", "", "## Quality", ""]
    rows = [[name, f"{q['sentences_kept']:.4f}", f"{q['chrome_dropped']:.4f}", f"{q['pages_without_chrome']:.4f}",
             f"{q['title']:.3f}", f"{q['date']:.3f}", f"{q['author']:.3f}", f"{q['canonical_url']:.3f}"]
            for name, q in payload["quality"].items()]
    lines += md_table(["extractor", "sentences kept", "chrome dropped", "pages with no chrome", "headline", "date",
                       "author", "canonical URL"], rows)
    lines += ["", "Pages that kept some chrome, by form: " + "; ".join(
        f"{name}: " + ", ".join(f"{form} {n}" for form, n in q["pages_with_chrome_by_form"].items())
        for name, q in payload["quality"].items()) + f" (of {len(articles)} each)."]
    s = payload["speed"]
    f = payload["following"]
    lines += ["", "## Speed", "",
              f"extract_page: {s['pages_per_second']:.1f} pages/s (one core; p50 {s['per_page_ms']['p50_ms']:.1f} ms, "
              f"p95 {s['per_page_ms']['p95_ms']:.1f} ms per page of {s['mean_page_kb']:.1f} KB on average; "
              f"{s['pages']} extractions).", "", "## Following a feed (127.0.0.1, --model none, no per-host pause)", "",
              f"First poll: {f['first_poll_added']} entries fetched, extracted and indexed in {f['first_poll_s']:.1f} s "
              f"({f['first_poll_pages_per_s']:.1f} pages/s). Poll of the unchanged feed: p50 "
              f"{f['unchanged_poll_ms']['p50_ms']:.1f} ms, p95 {f['unchanged_poll_ms']['p95_ms']:.1f} ms, "
              f"{f['requests_per_unchanged_poll']:.0f} request (a 304) per poll, {args.polls} polls.", ""]
    json_path, md_path = write_results("extraction" if not args.limit else f"extraction-{args.limit}", payload,
                                       "\n".join(lines), **({"out_dir": args.out} if args.out else {}))
    print("\n".join(lines))
    print(f"wrote {json_path} and {md_path}")


if __name__ == "__main__":
    main()
