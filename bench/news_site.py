"""Real Hindi articles (seeds/) wrapped in the chrome of a Hindi news site, as pages and feeds.

The tests of ``hsearch follow`` and ``hsearch index page.html`` and the
extraction benchmark (bench/extraction.py) serve these from 127.0.0.1.  The
chrome is what such sites carry around an article: a menu, a breadcrumb,
share buttons, a "यह भी पढ़ें" box with other headlines inside the article,
an advertisement, a related-articles list, comments, a newsletter box, a
cookie notice, a footer, scripts; the page's metadata is in ``<meta>`` tags,
``<link rel=canonical>`` and JSON-LD, as sites publish it.  :data:`CHROME`
lists the chrome's text, so a measurement can check none of it was kept.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SEED_ARTICLE = SEEDS / "000_d92fd9f8a8b58e48.txt"
WIKINEWS = SEEDS / "wikinews-flores-hi.jsonl"

SITE = "समाचार दर्पण"
MENU = ["होम", "देश", "विदेश", "राज्य", "मनोरंजन", "खेल", "बिज़नेस", "टेक्नोलॉजी", "वीडियो", "फोटो गैलरी"]
# The chrome's text (besides other articles' headlines): none of it may reach a stored body.
CHROME = [
    "सभी अधिकार सुरक्षित", "हमारे बारे में", "संपर्क करें", "गोपनीयता नीति", "विज्ञापन दें",
    "न्यूज़लेटर के लिए साइन अप करें", "इस वेबसाइट पर कुकीज़ का उपयोग होता है", "सहमत हूं",
    "फेसबुक पर शेयर करें", "व्हाट्सऐप पर शेयर करें", "ट्विटर पर शेयर करें", "टिप्पणियां (2)",
    "बहुत अच्छी जानकारी, धन्यवाद", "सरकार को इस पर ध्यान देना चाहिए", "अपनी टिप्पणी लिखें",
    "Related posts", "Loading", "More from author", "ट्रेंडिंग टॉपिक्स", "ताज़ा ख़बरें", "संबंधित ख़बरें",
    "window.dataLayer", "googletag",
]


@dataclass(frozen=True)
class SeedArticle:
    """One real article of seeds/: its headline and paragraphs (each a run of sentences)."""

    key: str
    title: str
    paragraphs: list[str]
    category: str = ""


def seed_articles() -> list[SeedArticle]:
    """The seed story (its own paragraphs, without the chrome it was scraped with) and the Wikinews articles."""
    lines = SEED_ARTICLE.read_text(encoding="utf-8").split("\n")
    title = lines[0].strip()
    body = "\n".join(lines[1:])
    paragraphs = [p.strip() for p in body.split("\n") if p.strip()]
    paragraphs = paragraphs[:paragraphs.index("Related posts")]  # what it was scraped with is chrome
    found = [SeedArticle("kim-putin-kursk", title, paragraphs, "विदेश")]
    for line in WIKINEWS.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        sentences = [s.strip() for s in re.split(r"(?<=[।.!?])\s+", record["body"]) if s.strip()]
        found.append(SeedArticle(record["id"], record["title"], sentences, record.get("category", "")))
    return found


def sentences_of(article: SeedArticle) -> list[str]:
    """The article's sentences: what an extractor must keep."""
    return [s.strip() for p in article.paragraphs for s in re.split(r"(?<=[।.!?])\s+", p) if len(s.strip()) > 15]


def page_url(base: str, article: SeedArticle) -> str:
    return f"{base}/news/{article.key}.html"


def published(index: int) -> datetime:
    return datetime(2025, 8, 13, 6, 30, tzinfo=timezone.utc) - timedelta(hours=index)


def article_page(article: SeedArticle, *, base: str, others: list[SeedArticle], index: int = 0,
                 author: str = "राकेश शर्मा", charset: str = "utf-8", canonical: bool = True) -> bytes:
    """The article's page as a Hindi news site serves it, encoded in ``charset`` (declared in the page)."""
    e = html.escape
    url = page_url(base, article)
    when = published(index)
    related = "".join(f'<li><a href="{page_url(base, o)}">{e(o.title)}</a></li>' for o in others[:4])
    read_also = others[0] if others else None
    body_parts = []
    for number, paragraph in enumerate(article.paragraphs):
        body_parts.append(f"<p>{e(paragraph)}</p>")
        if number == 0 and read_also is not None and len(article.paragraphs) > 2:
            body_parts.append(f'<div class="also-read"><strong>यह भी पढ़ें:</strong> '
                              f'<a href="{page_url(base, read_also)}">{e(read_also.title)}</a></div>')
        if number == 1:
            body_parts.append('<div class="ad-slot"><span>विज्ञापन</span><script>googletag.cmd.push(function(){});'
                              '</script></div>')
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": article.title,
          "datePublished": when.isoformat(), "author": {"@type": "Person", "name": author},
          "publisher": {"@type": "Organization", "name": SITE}, "mainEntityOfPage": url}
    menu = "".join(f'<li><a href="{base}/{i}">{e(item)}</a></li>' for i, item in enumerate(MENU))
    trending = "".join(f'<li><a href="{page_url(base, o)}">{e(o.title[:60])}</a></li>' for o in others[4:8])
    page = f"""<!DOCTYPE html>
<html lang="hi"><head>
<meta charset="{charset}">
<title>{e(article.title)} | {SITE}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{e(article.paragraphs[0][:150])}">
<meta name="author" content="{e(author)}">
<meta property="og:title" content="{e(article.title)}">
<meta property="og:site_name" content="{SITE}">
<meta property="article:published_time" content="{when.isoformat()}">
{f'<link rel="canonical" href="{url}">' if canonical else ''}
<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>
<script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}}</script>
<link rel="stylesheet" href="/static/site.css">
</head><body>
<div class="cookie-notice">इस वेबसाइट पर कुकीज़ का उपयोग होता है। <button>सहमत हूं</button></div>
<header class="site-header"><a class="logo" href="{base}/">{SITE}</a>
<nav class="main-menu"><ul>{menu}</ul></nav></header>
<div class="breadcrumb"><a href="{base}/">होम</a> › <a href="{base}/world">{e(article.category or 'देश')}</a></div>
<main><div class="row"><div class="col-main">
<article class="story">
<h1 class="headline">{e(article.title)}</h1>
<div class="byline">लेखक: <a href="{base}/author/1">{e(author)}</a> | <time datetime="{when.isoformat()}">
{when.strftime('%d %B %Y')}</time></div>
<div class="share"><a href="#">फेसबुक पर शेयर करें</a> <a href="#">व्हाट्सऐप पर शेयर करें</a>
<a href="#">ट्विटर पर शेयर करें</a></div>
<div class="story-body">
{''.join(body_parts)}
</div>
<div class="tags">टैग: <a href="#">{e(article.category or 'समाचार')}</a></div>
</article>
<section class="related-posts"><h3>Related posts</h3><div class="loading">Loading...</div><ul>{related}</ul></section>
<section class="more-author"><h3>More from author</h3><div class="loading">Loading...</div></section>
<section class="comments" id="comments"><h3>टिप्पणियां (2)</h3>
<div class="comment"><b>अमित</b><p>बहुत अच्छी जानकारी, धन्यवाद</p></div>
<div class="comment"><b>सुनीता</b><p>सरकार को इस पर ध्यान देना चाहिए</p></div>
<form><textarea placeholder="अपनी टिप्पणी लिखें"></textarea><button>भेजें</button></form></section>
</div>
<aside class="sidebar"><h3>ट्रेंडिंग टॉपिक्स</h3><ul>{trending}</ul>
<div class="newsletter">न्यूज़लेटर के लिए साइन अप करें <input type="email"></div>
<h3>ताज़ा ख़बरें</h3><ul>{related}</ul></aside>
</div></main>
<footer class="site-footer"><ul><li><a href="#">हमारे बारे में</a></li><li><a href="#">संपर्क करें</a></li>
<li><a href="#">गोपनीयता नीति</a></li><li><a href="#">विज्ञापन दें</a></li></ul>
<p>© 2025 {SITE}। सभी अधिकार सुरक्षित।</p></footer>
<script src="/static/site.js"></script>
</body></html>
"""
    return page.encode(charset, errors="xmlcharrefreplace")


def rss_feed(items: list[tuple[SeedArticle, int]], *, base: str, title: str = SITE) -> bytes:
    """An RSS 2.0 feed of ``(article, index)`` items, newest first, as sites publish them."""
    e = html.escape
    entries = "".join(
        f"<item><title>{e(a.title)}</title><link>{page_url(base, a)}</link>"
        f"<guid isPermaLink=\"false\">{SITE}-{a.key}</guid>"
        f"<pubDate>{format_datetime(published(i))}</pubDate><description>{e(a.paragraphs[0][:120])}</description>"
        f"</item>" for a, i in items)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{e(title)}</title>'
            f"<link>{base}/</link><description>{e(title)} की ताज़ा ख़बरें</description>{entries}</channel></rss>"
            ).encode("utf-8")


def atom_feed(items: list[tuple[SeedArticle, int]], *, base: str, title: str = SITE) -> bytes:
    """The same entries as an Atom feed."""
    e = html.escape
    entries = "".join(
        f"<entry><title>{e(a.title)}</title><link rel=\"alternate\" href=\"{page_url(base, a)}\"/>"
        f"<id>tag:{base.split('//')[-1]},2025:{a.key}</id><updated>{published(i).isoformat()}</updated>"
        f"<summary>{e(a.paragraphs[0][:120])}</summary></entry>" for a, i in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{e(title)}</title><id>{base}/</id><updated>{published(0).isoformat()}</updated>"
            f"{entries}</feed>").encode("utf-8")


SITE_B = "खबर24"
# The second layout's chrome (besides other articles' headlines and teasers).
CHROME_B = ["ब्रेकिंग न्यूज़: शेयर बाजार में तेजी", "आपके लिए", "सबसे ज़्यादा पढ़ी गई", "कॉपीराइट © 2025 खबर24",
            "2 घंटे पहले", "हमसे जुड़ें", "ऐप डाउनलोड करें"]


def card_page(article: SeedArticle, *, base: str, others: list[SeedArticle], index: int = 0) -> bytes:
    """The article on a second kind of site: no <article> element, divs all the way, teaser cards of other
    stories (headline and first lines) under it and beside it, a "ये भी पढ़ें" list at its end, the date in
    a meta line, og:url instead of a canonical link."""
    e = html.escape
    when = published(index)
    cards = "".join(f'<div class="card"><a href="{page_url(base, o)}"><h4>{e(o.title)}</h4></a>'
                    f"<p>{e(o.paragraphs[0][:140])}</p><span>2 घंटे पहले</span></div>" for o in others[:4])
    paragraphs = "".join(f"<p>{e(p)}</p>" for p in article.paragraphs)
    also = f'<p><b>ये भी पढ़ें</b></p><ul><li><a href="{page_url(base, others[0])}">{e(others[0].title)}</a></li></ul>' \
        if others else ""
    page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{e(article.title)} - {SITE_B}</title>
<meta property="og:url" content="{page_url(base, article)}"><meta property="og:site_name" content="{SITE_B}">
<meta property="article:published_time" content="{when.isoformat()}"></head><body>
<div id="top"><div class="menu"><a href="/">होम</a> <a href="/d">देश</a> <a href="/v">विदेश</a> <a href="/k">खेल</a>
<a href="/app">ऐप डाउनलोड करें</a></div><div class="breaking">ब्रेकिंग न्यूज़: शेयर बाजार में तेजी</div></div>
<div class="container"><div class="left"><h1>{e(article.title)}</h1>
<div class="meta">{SITE_B} डेस्क | {when.strftime('%d.%m.%Y')}</div>
<div class="content">{paragraphs}{also}</div>
<div class="more"><h3>आपके लिए</h3>{cards}</div></div>
<div class="right"><h3>सबसे ज़्यादा पढ़ी गई</h3>{cards}</div></div>
<div class="foot">कॉपीराइट © 2025 {SITE_B} | सभी अधिकार सुरक्षित | <a href="/c">हमसे जुड़ें</a></div>
<script>var ads = window.ads || [];</script></body></html>
"""
    return page.encode("utf-8")
