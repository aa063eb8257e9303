"""How often real text is read as operator syntax, before and after issue 15's rule.

    python -m bench.query_syntax --data ../shared/data

Every L3Cube Hindi news headline (7,671), every 6-word piece of them (from
every third word), every English sentence of the parallel set (3,097) and
every MIRACL Hindi question (350) is parsed the way a
query is, by the parser before issue 15 (a ``+``/``-`` starting a word, any
upper-case AND/OR/NOT) and by the current one
(:mod:`hsearch.search.query_parser`); a text "uses operators" when its parsed
query holds a NOT, AND NOT, AND, AND MAYBE or REQUIRE.  None of these texts
was written as a query with operators, so every such parse is a misreading.
Writes ``bench/results/query_syntax.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from datetime import date
from pathlib import Path

from whoosh import query as wq
from whoosh.qparser import MultifieldParser, OrGroup, plugins

from hsearch.index.schema import build_schema
from hsearch.search import query_parser

RESULTS = Path(__file__).resolve().parent / "results"
OPERATOR_QUERIES = (wq.Not, wq.AndNot, wq.And, wq.AndMaybe, wq.Require)


def before_issue_15(schema):  # type: ignore[no-untyped-def]
    """The parser as it was: + or - at a word start, AND/OR/NOT anywhere."""
    parser = MultifieldParser(list(query_parser.SEARCH_FIELDS), schema, group=OrGroup)
    for plugin in (plugins.FieldsPlugin, plugins.WildcardPlugin, plugins.RangePlugin, plugins.BoostPlugin,
                   plugins.GtLtPlugin):
        parser.remove_plugin_class(plugin)
    parser.add_plugin(plugins.PlusMinusPlugin(plusexpr=r"(?:^|(?<=[\s(]))\+(?=\S)",
                                              minusexpr=r"(?:^|(?<=[\s(]))-(?=\S)"))
    return parser


def uses_operators(q: wq.Query) -> bool:
    if isinstance(q, OPERATOR_QUERIES):
        return True
    return any(uses_operators(child) for child in q.children())


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    args = parser.parse_args()
    texts = {
        "L3Cube headlines (hi)": [r["title"] for r in _jsonl(args.data / "headlines-l3cube.jsonl")],
        "parallel set, English side": [r["en"] for r in _jsonl(args.data / "parallel-en-hi-dev.jsonl")],
        "MIRACL questions (hi)": [line.split("\t", 1)[1] for line in
                                  (args.data / "miracl-hi-dev-queries.tsv").read_text("utf-8").splitlines() if "\t" in line],
    }
    # Short pieces of the same headlines, where the length rule does not apply and only the
    # shape rules (a sign starts a word of letters that does not end in a sign) keep text as text.
    windows = []
    for title in texts["L3Cube headlines (hi)"]:
        words = title.split()
        windows += [" ".join(words[i:i + query_parser.MAX_OPERATOR_WORDS])
                    for i in range(0, max(1, len(words) - 2), 3)]
    texts["6-word pieces of the headlines"] = windows
    schema = build_schema()
    old, new = before_issue_15(schema), query_parser.make_parser(schema)
    rows, examples = [], []
    for name, items in texts.items():
        before = after = 0
        for text in items:
            try:
                was = uses_operators(old.parse(text))
            except Exception:  # the old parse() fell back to plain words on errors
                was = False
            now = uses_operators(query_parser.parse(new, text))
            before += was
            after += now
            if was and len(examples) < 12 and not now:
                examples.append((name, text))
            if now:
                examples.append((name + " (still)", text))
        rows.append((name, len(items), before, after))
    lines = ["# Natural text read as operator syntax", "",
             f"`python -m bench.query_syntax --data {args.data}` on {date.today().isoformat()}, "
             f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}).", "",
             "| texts | count | parsed with operators before | after |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {n} | {b} | {a} |" for name, n, b, a in rows]
    lines += ["", "Examples misread before (and any still read with operators):", ""]
    lines += [f"- {name}: `{text[:140]}`" for name, text in examples[:30]]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "query_syntax.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
