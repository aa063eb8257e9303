"""Syndicated copies of real articles, made the way Hindi outlets reprint a wire story.

No syndicated Hindi set ships with the project, so the story-cluster tests and
``bench/stories.py`` make one from real text (the seed story, FLORES Wikinews
articles, XQuAD paragraphs).  Copy ``n`` of an article is drawn by its own
random generator, seeded with ``(seed, article id, n)``, and applies, as
outlets do:

* **headline**: a new one: an outlet's kicker before the original
  ("बड़ी ख़बर:"), the lead sentence cut to a dozen words, or the original with
  a word swapped for a synonym;
* **paragraphs**: the lead is kept; each later paragraph is dropped with
  probability ``drop`` (at most half of them go), and two neighbours are
  swapped with probability ``swap``;
* **edits**: one to three sentences are edited: a synonym swap (कहा/बताया,
  बातचीत/वार्ता ...), or a trailing clause (the last 40% or less) cut at its last comma;
* **dateline and footer**: the outlet's city and agency credit in front
  ("नई दिल्ली, 14 अगस्त (भाषा)।") and its boilerplate at the end;
* **date and source**: the outlet's name; a date 0-2 days after the original.

Each copy records what was done to it in ``variant`` (documentation, and the
bench's table of which edits a threshold still catches).  Bodies without
blank-line paragraphs (FLORES, XQuAD) are cut into paragraphs of one or two
sentences first.
"""

from __future__ import annotations

import random
import re
import zlib
from datetime import datetime, timedelta

OUTLETS: tuple[tuple[str, str, str], ...] = (
    # (source, dateline city, footer)
    ("दैनिक प्रहरी", "नई दिल्ली", "(इनपुट: एजेंसी) ताज़ा ख़बरों के लिए दैनिक प्रहरी का ऐप डाउनलोड करें।"),
    ("जनवाणी", "लखनऊ", "यह ख़बर समाचार एजेंसी से ली गई है, जनवाणी ने इसे संपादित नहीं किया है।"),
    ("नव संवाद", "भोपाल", "नव संवाद को फ़ेसबुक और ट्विटर पर फ़ॉलो करें।"),
    ("राष्ट्र पत्रिका", "जयपुर", "(राष्ट्र पत्रिका डेस्क) देश-दुनिया की ख़बरें पढ़ते रहें।"),
    ("प्रभात संदेश", "पटना", "अस्वीकरण: यह सिंडिकेटेड फ़ीड से प्रकाशित ख़बर है।"),
    ("लोक ख़बर", "मुंबई", "लोक ख़बर के व्हाट्सऐप चैनल से जुड़ें।"),
    ("सत्य समाचार", "चंडीगढ़", "(एजेंसी इनपुट के साथ) सत्य समाचार ब्यूरो"),
    ("दिल्ली दर्शन", "नई दिल्ली", "दिल्ली दर्शन: हर ख़बर, सबसे पहले।"),
    ("समाचार दर्पण", "रांची", "समाचार दर्पण के न्यूज़लेटर के लिए साइन अप करें।"),
    ("भारत टाइम्स डिजिटल", "अहमदाबाद", "भारत टाइम्स डिजिटल पर पढ़ें देश-विदेश की हर बड़ी ख़बर।"),
)
AGENCIES = ("भाषा", "आईएएनएस", "यूएनआई", "एजेंसी")
KICKERS = ("बड़ी ख़बर:", "ताज़ा:", "विदेश:", "अहम ख़बर:", "अपडेट:")
MONTHS = ("जनवरी", "फ़रवरी", "मार्च", "अप्रैल", "मई", "जून", "जुलाई", "अगस्त", "सितंबर", "अक्टूबर", "नवंबर", "दिसंबर")
# Words an editor swaps without changing the story (both directions apply).
SYNONYMS = {
    "कहा": "बताया", "बातचीत": "वार्ता", "समर्थन": "सहयोग", "जानकारी": "सूचना", "पहली": "प्रथम",
    "सरकार": "शासन", "मुलाकात": "भेंट", "तारीफ": "प्रशंसा", "भविष्य": "आगे", "हमेशा": "सदा",
    "वैज्ञानिकों": "शोधकर्ताओं", "लोगों": "नागरिकों", "देश": "राष्ट्र", "शहर": "नगर", "घोषणा": "ऐलान",
}
_REVERSE = {v: k for k, v in SYNONYMS.items()}
_SENTENCE_END = re.compile(r"(?<=[।?!.])\s+")  # FLORES's Hindi sometimes ends a sentence with "."


def paragraphs(body: str) -> list[str]:
    """Blank-line paragraphs, or sentences in pairs when the body has none."""
    parts = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
    if len(parts) > 1:
        return parts
    sentences = [s for s in _SENTENCE_END.split(body.strip()) if s]
    return [" ".join(sentences[i:i + 2]) for i in range(0, len(sentences), 2)] or [body.strip()]


def _swap_word(text: str, rng: random.Random) -> tuple[str, bool]:
    words = text.split(" ")
    spots = [i for i, w in enumerate(words) if w in SYNONYMS or w in _REVERSE]
    if not spots:
        return text, False
    i = rng.choice(spots)
    words[i] = SYNONYMS.get(words[i]) or _REVERSE[words[i]]
    return " ".join(words), True


def _edit_sentence(paragraph: str, rng: random.Random) -> tuple[str, str]:
    sentences = [s for s in _SENTENCE_END.split(paragraph) if s]
    if not sentences:
        return paragraph, ""
    i = rng.randrange(len(sentences))
    edited, swapped = _swap_word(sentences[i], rng)
    what = "synonym"
    cut = sentences[i].rfind(",")
    if not swapped and cut > 0.6 * len(sentences[i]):  # an editor trims a trailing clause, not the sentence
        edited = sentences[i][:cut].rstrip() + "।"
        what = "clause cut"
    elif not swapped:
        return paragraph, ""
    sentences[i] = edited
    return " ".join(sentences), what


def syndicated_copy(article: dict, n: int, *, seed: int = 17, drop: float = 0.3, swap: float = 0.3) -> dict:
    """Copy ``n`` of ``article`` (``id, title, body`` and optional ``date``) as one outlet prints it."""
    rng = random.Random(zlib.crc32(f"{seed}:{article['id']}:{n}".encode("utf-8")))
    source, city, footer = OUTLETS[n % len(OUTLETS)]
    done: list[str] = []
    parts = paragraphs(article["body"])
    lead, rest = parts[0], parts[1:]
    droppable = [i for i in range(len(rest)) if rng.random() < drop][: len(rest) // 2]
    rest = [p for i, p in enumerate(rest) if i not in droppable]
    if droppable:
        done.append(f"dropped {len(droppable)} of {len(parts)} paragraphs")
    if len(rest) >= 2 and rng.random() < swap:
        i = rng.randrange(len(rest) - 1)
        rest[i], rest[i + 1] = rest[i + 1], rest[i]
        done.append("swapped two paragraphs")
    parts = [lead, *rest]
    edits = 0
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(parts))
        parts[i], what = _edit_sentence(parts[i], rng)
        edits += bool(what)
    if edits:
        done.append(f"edited {edits} sentences")
    base = article.get("date")
    date = (datetime.fromisoformat(base) if base else datetime(2025, 8, 13)) + timedelta(days=rng.randint(0, 2))
    dateline = f"{city}, {date.day} {MONTHS[date.month - 1]} ({rng.choice(AGENCIES)})।"
    parts[0] = f"{dateline} {parts[0]}"
    parts.append(footer)
    done.append("dateline and footer")
    title = article["title"]
    style = rng.randrange(3)
    if style == 0:
        title = f"{rng.choice(KICKERS)} {title}"
    elif style == 1:
        title = " ".join(lead.split()[:12]).rstrip("।,")
    else:
        title = _swap_word(title, rng)[0]
    done.append(("kicker", "lead as headline", "headline word swapped")[style])
    return {
        "id": f"{article['id']}~{n}", "title": title, "body": "\n\n".join(parts),
        "date": date.date().isoformat(), "source": source, "variant": "; ".join(done),
    }


def syndicate(article: dict, copies: int, *, seed: int = 17) -> list[dict]:
    """``copies`` different outlets' versions of ``article``."""
    return [syndicated_copy(article, n, seed=seed) for n in range(1, copies + 1)]
