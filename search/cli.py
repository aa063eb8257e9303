"""``hsearch``: a thin command line over :mod:`index` and :mod:`hsearch.search.engine`."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from hsearch.index.errors import HsearchError
from hsearch.index.settings import ANN_KINDS, IndexSettings

from .cli_options import (CLI_WORDS, filter_options, fusion_options, fusion_settings, index_option, json_option,
                          mode_option, resolve_index, wait_option)

MAX_ISSUES_SHOWN = 20


class HsearchGroup(click.Group):
    """Turns library errors into one-line messages in the CLI's words instead of tracebacks.

    Only :class:`HsearchError`: anything else is a bug and keeps its traceback.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except HsearchError as exc:
            raise click.ClickException(exc.words(CLI_WORDS)) from None


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


@click.group(cls=HsearchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hsearch")
def main() -> None:
    """Search Hindi news: full text, multilingual embeddings, and both fused."""


@main.command("index")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@index_option
@click.option("--model", default=None,
              help="Encoder for the vector side: e5-small (default, embedded), labse, any "
                   "sentence-transformers name or folder, or none (full text only). Fixed when the index is built.")
@click.option("--ann", type=click.Choice(ANN_KINDS), default="auto", show_default=True,
              help="Vector search: exact (flat), approximate (ivf), or chosen by size (auto).")
@click.option("--rebuild", is_flag=True, help="Replace the whole index with these sources.")
@click.option("--strict", is_flag=True, help="Stop at the first bad record instead of skipping it.")
@wait_option()
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no per-record warnings.")
@click.option("--commit-every", type=click.IntRange(min=1), default=None, metavar="N",
              help="Commit after every N articles (default: every few minutes of work). A killed build "
                   "keeps what it committed; the same command again skips it and carries on.")
@click.option("--ray", "ray_address", is_flag=False, flag_value="local", default=None, metavar="[ADDRESS]",
              help="Embed on Ray actors: 'auto' or HOST:PORT joins a running cluster; no value (last, or "
                   "before another option) starts a private one on this machine (needs hsearch[ray]).")
@click.option("--ray-actors", type=click.IntRange(min=1), default=None, metavar="N",
              help="Encoder actors on the cluster (default: one per CPU).")
@click.option("--ray-gpus-per-actor", type=click.FloatRange(min=0), default=0.0, metavar="G",
              help="GPUs Ray gives each actor (sentence-transformers models then run on them).")
def index_command(sources: tuple[Path, ...], index_dir: Path | None, model: str | None, ann: str,
                  rebuild: bool, strict: bool, wait: bool, quiet: bool, commit_every: int | None,
                  ray_address: str | None, ray_actors: int | None, ray_gpus_per_actor: float) -> None:
    """Add (or replace, by id) the articles in SOURCES: .jsonl, .csv, folders of .txt."""
    from hsearch.index.checkpoints import CommitPolicy
    from hsearch.index.writer import IndexReport, index_paths

    target = resolve_index(index_dir)
    settings = IndexSettings(model=model, ann=ann)
    embedder = None
    if ray_address is None and (ray_actors is not None or ray_gpus_per_actor):
        raise click.UsageError("--ray-actors and --ray-gpus-per-actor go with --ray [ADDRESS]")
    if ray_address is not None:
        from hsearch.index.ray_embedding import RaySettings, ray_embedder

        embedder = ray_embedder(RaySettings(address=ray_address, actors=ray_actors,
                                            gpus_per_actor=ray_gpus_per_actor), settings.passages)
    report = IndexReport()
    try:
        index_paths(target, list(sources), settings, strict=strict, rebuild=rebuild, wait=wait,
                    progress=None if quiet else _progress_bar, commits=CommitPolicy(every_articles=commit_every),
                    embedder=embedder, report=report)
    except KeyboardInterrupt:
        if report.commits:  # what the commits so far made safe, and how to go on
            again = "the same command without --rebuild" if rebuild else "the same command"
            click.echo(f"interrupted: {report.committed} articles of this run were committed; "
                       f"run {again} again to carry on", err=True)
        raise
    if not quiet:
        for issue in report.issues[:MAX_ISSUES_SHOWN]:
            click.echo(f"warning: {issue}", err=True)
        if len(report.issues) > MAX_ISSUES_SHOWN:
            click.echo(f"warning: … and {len(report.issues) - MAX_ISSUES_SHOWN} more", err=True)
        if report.stale_lock_pid:
            click.echo(f"note: cleared a stale lock left by PID {report.stale_lock_pid}", err=True)
    click.echo(
        f"indexed {report.added} new and {report.replaced} replaced articles "
        f"({report.unchanged} unchanged and kept, {report.passages} passages embedded, "
        f"{report.ingest.skipped} records skipped); "
        f"{report.total_articles} articles in {target}"
    )


def _progress_bar(total: int, unchanged: int = 0) -> Callable[[int], None]:
    from tqdm import tqdm

    bar = tqdm(total=total, initial=unchanged, unit="article", file=sys.stderr, disable=None, leave=False)
    if unchanged:  # a resumed build starts where the last commit left it
        bar.set_postfix_str(f"{unchanged} unchanged, skipped")

    def advance(count: int) -> None:
        bar.update(count)
        if bar.n >= total:
            bar.close()

    if unchanged >= total:
        bar.close()

    return advance


@main.command("query")
@click.argument("text", required=False)
@index_option
@click.option("-k", "--limit", "limit", type=click.IntRange(min=1), default=None,
              help="Number of results (default 10; 100 per topic with --batch).")
@mode_option(help="Ranking: hybrid (default when the index has vectors), bm25 or semantic.")
@json_option(help="One JSON object per result (per line).")
@click.option("--explain", is_flag=True, help="Show each result's BM25 and cosine scores and ranks.")
@filter_options
@click.option("--batch", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Run every 'qid<TAB>query' line of this file in one process.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "trec"]), default=None,
              help="Output format (--batch defaults to trec).")
@click.option("--tag", default="hsearch", show_default=True, help="Run tag in TREC output.")
@fusion_options
def query_command(text: str | None, index_dir: Path | None, limit: int | None, mode: str | None,
                  as_json: bool, explain: bool, date_from: str | None, date_to: str | None,
                  source: str | None, category: str | None, batch: Path | None, fmt: str | None,
                  tag: str, fusion: str | None, weight: float | None, latin_weight: float | None) -> None:
    """Search the index for TEXT (Hindi or English)."""
    from .engine import SearchEngine, SearchSettings
    from .filters import Filters
    from .cli_output import render_hits
    from .serialize import hit_to_dict, to_json, trec_lines
    from .topics import read_topics

    if (text is None) == (batch is None):
        raise click.UsageError("give either a query TEXT or --batch TOPICS.tsv")
    filters = Filters.parse(date_from=date_from, date_to=date_to, source=source, category=category)
    # A batch answers many queries: worth the start-up cost of the faster query path.
    settings = SearchSettings(mode=mode, fusion=fusion_settings(fusion, weight, latin_weight),
                              preload=batch is not None)
    fmt = fmt or ("json" if as_json else "trec" if batch else "text")
    with SearchEngine(resolve_index(index_dir), settings) as engine:
        if batch is not None:
            depth = limit or 100
            for qid, topic in read_topics(batch):
                if fmt == "trec":
                    ranked = engine.rank(topic, mode=mode, depth=depth, filters=filters).ranked
                    lines = trec_lines(qid, ranked, tag)
                    if lines:
                        click.echo("\n".join(lines))
                else:
                    hits = engine.search(topic, mode=mode, k=depth, filters=filters)
                    for hit in hits:
                        click.echo(to_json({"qid": qid, **hit_to_dict(hit)}) if fmt == "json"
                                   else f"{qid}\t{hit.rank}\t{hit.id}\t{hit.title}")
            return
        assert text is not None
        hits = engine.search(text, mode=mode, k=limit or 10, filters=filters)
        if fmt == "json":
            for hit in hits:
                click.echo(to_json(hit_to_dict(hit)))
        elif fmt == "trec":
            click.echo("\n".join(trec_lines("q", [(h.id, h.score) for h in hits], tag)))
        elif not hits:
            click.echo("no results" + (" (filters are on: try without them)" if filters.active else ""))
        else:
            click.echo(render_hits(hits, color=stdout_is_terminal(), explain=explain))


@main.command("delete")
@click.argument("ids", nargs=-1)
@index_option
@click.option("--from-file", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Read ids to delete from this file, one per line.")
@wait_option()
def delete_command(ids: tuple[str, ...], index_dir: Path | None, from_file: Path | None, wait: bool) -> None:
    """Withdraw articles by id from the full-text and the vector side."""
    from hsearch.index.writer import delete_ids

    from .topics import read_ids

    wanted = list(ids)
    if from_file is not None:
        wanted += read_ids(from_file)
    if not wanted:
        raise click.UsageError("give article ids, or --from-file FILE")
    missing, manifest = delete_ids(resolve_index(index_dir), wanted, wait=wait)
    for article_id in missing:
        click.echo(f"warning: no article with id {article_id!r}", err=True)
    click.echo(f"deleted {len(set(wanted)) - len(missing)} articles; {manifest.articles} remain")


@main.command("stats")
@index_option
@json_option()
def stats_command(index_dir: Path | None, as_json: bool) -> None:
    """Articles, passages, model, analyzer version and sizes on disk."""
    from hsearch.index.health import stats

    from .serialize import to_json

    info = stats(resolve_index(index_dir))
    if as_json:
        click.echo(to_json(info))
        return
    sizes = info.pop("bytes")
    for key, value in info.items():
        click.echo(f"{key:<14} {value}")
    assert isinstance(sizes, dict)
    for role, size in sizes.items():
        click.echo(f"{'size ' + role:<14} {size / 1e6:.2f} MB")


@main.command("verify")
@index_option
@click.option("--repair", is_flag=True, help="Re-embed missing or stale articles and drop orphan vectors.")
@wait_option(help="With --repair: wait for another writer instead of failing.")
def verify_command(index_dir: Path | None, repair: bool, wait: bool) -> None:
    """Check that both sides open and hold exactly the same articles."""
    from hsearch.index import health

    target = resolve_index(index_dir)
    report, after = health.repair(target, wait=wait) if repair else (health.verify(target), None)
    findings = [
        (report.missing_vectors, "in the full text without vectors"),
        (report.stale_vectors, "with vectors of an older text"),
        (report.orphan_vectors, "with vectors but no full text"),
    ]
    for problem in report.problems:
        click.echo(f"problem: {problem}")
    for ids, what in findings:
        if ids:
            shown = ", ".join(ids[:10]) + (" …" if len(ids) > 10 else "")
            click.echo(f"{len(ids)} articles {what}: {shown}")
    if report.healthy:
        click.echo(f"ok: {report.articles} articles, {report.passages} passages; both sides agree")
    elif after is not None:
        click.echo(f"repaired: {after.articles} articles, {after.passages} passages; "
                   f"{'both sides agree' if after.healthy else 'still inconsistent'}")
        if not after.healthy:
            raise click.ClickException("repair did not bring the index in line; rebuild it with hsearch index --rebuild")
    else:
        raise click.ClickException("the index is inconsistent; run hsearch verify --repair")


@main.command("eval")
@index_option
@click.option("--topics", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Queries, 'qid<TAB>query' per line.")
@click.option("--qrels", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Judgements, TREC format 'qid 0 docid relevance'.")
@mode_option(multiple=True, help="Modes to compare (default: every mode the index supports).")
@json_option()
@fusion_options
def eval_command(index_dir: Path | None, topics: Path, qrels: Path, modes: tuple[str, ...], as_json: bool,
                 fusion: str | None, weight: float | None, latin_weight: float | None) -> None:
    """nDCG@10, MRR@10, Recall@10 and Recall@100 per mode, side by side."""
    from .engine import SearchEngine, SearchSettings
    from .evaluation import MEASURES, RUN_DEPTH, evaluate, run_topics
    from .modes import modes_for
    from .serialize import to_json
    from .topics import read_qrels, read_topics

    queries, judgements = read_topics(topics), read_qrels(qrels)
    settings = SearchSettings(fusion=fusion_settings(fusion, weight, latin_weight), preload=True)
    table: dict[str, dict[str, float]] = {}
    with SearchEngine(resolve_index(index_dir), settings) as engine:
        chosen = list(modes) or modes_for(engine.semantic is not None)
        for mode in chosen:
            engine.resolve_mode(mode)
            run = run_topics(lambda q, m=mode: engine.rank(q, mode=m, depth=RUN_DEPTH).ranked, queries)
            table[mode] = evaluate(run, judgements)
    if as_json:
        click.echo(to_json({"queries": len(queries), "modes": table}))
        return
    labels = list(MEASURES)
    click.echo(f"{'mode':<10}" + "".join(f"{label:>12}" for label in labels))
    for mode, scores in table.items():
        click.echo(f"{mode:<10}" + "".join(f"{scores[label]:>12.4f}" for label in labels))


@main.command("serve")
@index_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port to listen on.")
def serve_command(index_dir: Path | None, host: str, port: int) -> None:
    """Serve the search page at / and the JSON API at /api/ with one index open and warm."""
    from .server import serve

    serve(resolve_index(index_dir), host=host, port=port)


if __name__ == "__main__":
    main()
