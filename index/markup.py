"""HTML in a record's text becomes plain text at ingestion.

Crawled news often carries its markup (``<p>``, ``<br>``, ``&nbsp;``, a
``<script>`` of the page).  Indexed as it is, the tags become search terms,
scripts become "body text" and snippets show angle brackets; so the text is
stripped once, here, and the index stores and shows text only.

The parser is the standard library's :class:`html.parser.HTMLParser`: it is
maintained with CPython, tolerant of the broken markup crawls produce (it never
raises on bad HTML), decodes every HTML5 character reference, and adds no
dependency to a package that installs on machines without a compiler.  A faster
C parser (selectolax, lxml) would only matter at ingestion rates far above what
embedding allows.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Text counts as markup only when it holds a real element, comment or character
# reference: "a < b" or "5<10" in a sentence is left alone.
_ELEMENTS = (
    "a|abbr|article|aside|b|big|blockquote|body|br|caption|center|code|dd|del|div|dl|dt|em|figcaption|"
    "figure|font|footer|h[1-6]|head|header|hr|html|i|iframe|img|ins|li|link|main|meta|nav|noscript|ol|p|"
    "picture|pre|q|s|section|small|source|span|strike|strong|style|sub|sup|svg|table|tbody|td|template|tfoot|"
    "th|thead|time|title|tr|u|ul|video|script"
)
_MARKUP = re.compile(
    rf"</?(?:{_ELEMENTS})(?:\s[^<>]*)?/?>|<!--|&(?:[a-zA-Z][a-zA-Z0-9]{{1,31}}|#[0-9]{{1,7}}|#[xX][0-9a-fA-F]{{1,6}});",
    re.IGNORECASE,
)
# Elements whose content is never text a reader sees.
_HIDDEN = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe", "object"})
# Elements that end a line of text.
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
    "pre", "section", "table", "tr", "ul",
})


def looks_like_html(text: str) -> bool:
    return _MARKUP.search(text) is not None


def html_to_text(text: str) -> str:
    """``text`` without markup: block elements end lines, hidden elements vanish, references decode.

    Text without markup is returned unchanged, so plain articles keep their
    exact text (and their content digests).
    """
    if not looks_like_html(text):
        return text
    parser = _TextExtractor()
    parser.feed(text)
    parser.close()
    return parser.text()


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag in _BLOCKS:
            self._parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self._parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCKS:
            self._parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self._parts.append(data)

    def text(self) -> str:
        lines = ("".join(self._parts)).replace("\xa0", " ").split("\n")
        kept = [" ".join(line.split()) for line in lines]
        return "\n".join(line for line in kept if line)
