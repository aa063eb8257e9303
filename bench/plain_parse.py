"""Plain words without Whoosh's parser: the same query, and what it saves.

    python -m bench.plain_parse --data ../shared/data

Every question, sentence, romanized line, MIRACL query and headline of the
dev sets is parsed both ways where ``query_parser._plain_words`` takes it
(no quotes, brackets, signs, star or upper-case operator word): the query
must be equal, term for term, to what Whoosh's parser makes of it.  Prints
how many texts take the plain path, how many differ (must be 0) and the
mean milliseconds a parse takes each way (on the same texts, in one run).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .timing import machine_line, machine


def dev_texts(data: Path) -> list[str]:
    texts: list[str] = []
    for line in (data / "xquad-hi-queries.jsonl").open(encoding="utf-8"):
        record = json.loads(line)
        texts += [record["query_hi"], record["query_en"]]
    for line in (data / "parallel-en-hi-dev.jsonl").open(encoding="utf-8"):
        record = json.loads(line)
        texts += [record["en"], record.get("hi", "")]
    for line in (data / "romanized-hi-dev.jsonl").open(encoding="utf-8"):
        record = json.loads(line)
        texts += [record["romanized"], record["native"], " ".join(record["romanized"].split()[:4])]
    texts += [line.split("\t", 1)[1].strip() for line in (data / "miracl-hi-dev-queries.tsv").open(encoding="utf-8")]
    texts += [json.loads(line)["title"] for line in (data / "headlines-l3cube.jsonl").open(encoding="utf-8")]
    return texts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    args = parser.parse_args(argv)

    from hsearch.index.schema import build_schema
    from hsearch.search import query_parser as qp

    parsers = qp.make_parser(build_schema())
    texts = dev_texts(args.data)
    started = machine()
    plain = differ = 0
    whoosh_s = fast_s = 0.0
    for text in texts:
        fast = qp._plain_words(parsers.schema, text)
        if fast is None:
            continue
        plain += 1
        chosen = parsers.text if qp.is_pasted_text(text) else parsers.signs if qp.is_prose(text) else parsers.operators
        began = time.perf_counter()
        slow = qp._exclude_nots(chosen.parse(text))
        whoosh_s += time.perf_counter() - began
        began = time.perf_counter()
        qp._plain_words(parsers.schema, text)
        fast_s += time.perf_counter() - began
        if fast != slow or repr(fast) != repr(slow):
            differ += 1
            print(f"differs: {text!r}\n  plain  {fast!r}\n  whoosh {slow!r}", file=sys.stderr)
    print(f"{len(texts):,} texts, {plain:,} plain, {differ} differ; ms a parse: Whoosh {whoosh_s / plain * 1e3:.3f}, "
          f"plain {fast_s / plain * 1e3:.3f}\nMachine: {machine_line(started)}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
