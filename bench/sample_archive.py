"""Build the sample archive in ``seeds/`` from the seed story and ``../shared/data``.

    python -m bench.sample_archive --data ../shared/data --out seeds

What it writes (``seeds/ATTRIBUTION.md`` says the same for readers of the data):

* ``wikinews-flores-hi.jsonl``: the 107 Hindi Wikinews articles of FLORES-200 dev
  (as before: real text, real source URL, FLORES's topic), plus an
  **illustrative** ``date`` (FLORES gives none) spread over 2024-01 .. 2025-07,
  a ``category`` folded from FLORES's 30 spellings into 11, FLORES's own topic
  kept in ``flores_topic``, and ``"illustrative": ["date"]`` on every record.
* ``kursk-syndicated.jsonl``: nine **generated** copies of the seed story
  (``bench/syndicate.py``: invented outlets, datelines, footers and small
  edits), each with ``"generated"`` saying so and ``variant`` saying what was done.
* ``tico19-covid-hi.jsonl``: Hindi COVID-19 news text of TICO-19 (CC0), six
  consecutive sentences to an article (the first is the headline), with an
  illustrative date in 2020-2021 and ``"illustrative": ["date", "grouping"]``.

Everything is deterministic: the same data gives the same files.
"""

from __future__ import annotations

import argparse
import json
import zlib
from datetime import date, timedelta
from pathlib import Path

from .syndicate import syndicate

SEED_ID = "000_d92fd9f8a8b58e48"
SEED_DATE = "2025-08-13"  # the day KCNA reported the call (a Wednesday; the Alaska summit was that Friday)
COPIES = 9
# FLORES-200's Wikinews topics, as spelled there, folded into one category each.
CATEGORIES = {
    "crime and law": "crime and law", "crime": "crime and law", "law and crime": "crime and law", "law": "crime and law",
    "sports": "sports", "sport": "sports",
    "politics": "politics", "politics and conflicts": "politics",
    "science and technology": "science", "science": "science", "discovery": "science",
    "disasters and accidents": "disasters", "disaster": "disasters", "accident": "disasters",
    "accidents": "disasters", "tragety": "disasters", "weather": "disasters",
    "health": "health", "disease": "health",
    "environment": "environment", "climate": "environment",
    "television": "entertainment", "culture and entertainment": "entertainment", "entertainment": "entertainment",
    "entertrainment": "entertainment", "culture": "entertainment",
    "economy and business": "business", "business": "business",
    "society": "society", "": "society",
}
# TICO-19 test rows (1-based ids) of news-like COVID-19 text, and which of their six-sentence groups to keep:
# every third of the reports of cases, travel bans and aid; all of the vaccine passage.
TICO_RANGES = ((781, 1260, 3), (1831, 1890, 1))
TICO_SENTENCES = 6


def _illustrative_day(key: str, start: date, days: int) -> str:
    return (start + timedelta(days=zlib.crc32(key.encode("utf-8")) % days)).isoformat()


def wikinews(records: list[dict]) -> list[dict]:
    out = []
    for record in records:
        topic = record.get("flores_topic", record.get("category", ""))
        out.append({
            "id": record["id"], "title": record["title"], "body": record["body"],
            "date": _illustrative_day(record["id"], date(2024, 1, 1), 578),  # to 2025-07-31
            "source": record["source"], "category": CATEGORIES[topic], "url": record["url"],
            "flores_topic": topic, "illustrative": ["date"],
        })
    return out


def kursk_copies(seed_text: str) -> list[dict]:
    title, _, body = seed_text.strip().partition("\n")
    article = {"id": SEED_ID, "title": title.strip(), "body": body.strip(), "date": SEED_DATE}
    copies = []
    for copy in syndicate(article, COPIES):
        copies.append({**copy, "category": "world",
                       "generated": f"a syndicated copy of {SEED_ID} made by bench/syndicate.py: the outlet, "
                                    "dateline, footer, headline and edits are invented",
                       "illustrative": ["source", "date", "category"]})
    return copies


def tico_articles(rows: list[dict]) -> list[dict]:
    by_number = {int(r["id"].rsplit("-", 1)[1]): r for r in rows if r["src"] == "tico19-test"}
    chosen = []
    for first, last, step in TICO_RANGES:
        starts = range(first, last + 1 - TICO_SENTENCES + 1, TICO_SENTENCES)
        chosen += [[by_number[n] for n in range(start, start + TICO_SENTENCES)] for start in starts[::step]]
    out = []
    for group in chosen:
        first_id = group[0]["id"]
        out.append({
            "id": f"tico19-{first_id.rsplit('-', 1)[1]}", "title": group[0]["hi"].strip(),
            "body": " ".join(r["hi"].strip() for r in group[1:]),
            "date": _illustrative_day(first_id, date(2020, 2, 1), 500),
            "source": "TICO-19", "category": "health",
            "tico_rows": [r["id"] for r in group], "illustrative": ["date", "grouping"],
        })
    return out


def write(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="../shared/data")
    parser.add_argument("--out", type=Path, default=Path("seeds"))
    args = parser.parse_args()
    wiki = [json.loads(line) for line in (args.out / "wikinews-flores-hi.jsonl").read_text("utf-8").splitlines() if line]
    write(args.out / "wikinews-flores-hi.jsonl", wikinews(wiki))
    write(args.out / "kursk-syndicated.jsonl", kursk_copies((args.out / f"{SEED_ID}.txt").read_text("utf-8")))
    rows = [json.loads(line) for line in (args.data / "parallel-en-hi-dev.jsonl").read_text("utf-8").splitlines() if line]
    write(args.out / "tico19-covid-hi.jsonl", tico_articles(rows))


if __name__ == "__main__":
    main()
