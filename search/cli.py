"""``hsearch``: a thin command line over :mod:`index` and :mod:`hsearch.search.engine`."""

from __future__ import annotations

import io
import logging
import os
import signal
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import click

from hsearch.index.errors import HsearchError, IndexInterrupted, QueryError
from hsearch.index.wording import counted, plural
from hsearch.index.settings import ANN_KINDS, IndexSettings

from .cli_options import (CLI_WORDS, check_fusion_applies, filter_options, fusion_options, fusion_settings,
                          index_option, json_option, min_score_option, mode_option, page_options, resolve_index,
                          wait_option)
from .cli_shards import verify_shards

MAX_ISSUES_SHOWN = 20


INTERRUPTED_STATUS = 128 + signal.SIGINT  # what a shell reports for a command stopped by Ctrl-C
CLOSED_PIPE_STATUS = 128 + signal.SIGPIPE  # ... and for one whose reader went away (`| head -1`)


class HsearchGroup(click.Group):
    """Turns library errors into one-line messages in the CLI's words instead of tracebacks.

    Only :class:`HsearchError`: anything else is a bug and keeps its traceback.
    A closed pipe (``hsearch query ... | head -1``) ends quietly, and Ctrl-C
    ends with the statuses a shell gives any command so stopped (141, 130).
    """

    def invoke(self, ctx: click.Context) -> Any:
        _show_library_warnings()
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a reader that left shows here, not in the interpreter's exit
            return result
        except IndexInterrupted as exc:  # says what of the run was written
            click.echo(f"Error: {exc.words(CLI_WORDS)}", err=True)
            _forget_interrupt()
            ctx.exit(INTERRUPTED_STATUS)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            _forget_interrupt()
            ctx.exit(INTERRUPTED_STATUS)
        except BrokenPipeError:
            _silence_stdout()
            ctx.exit(CLOSED_PIPE_STATUS)
        except HsearchError as exc:
            raise click.ClickException(exc.words(CLI_WORDS)) from None


class _Process:
    """``ctx.obj`` of a command line that is the ``hsearch`` process itself (:func:`run`), not run by a caller."""


PROCESS = _Process()


def run() -> None:
    """The ``hsearch`` command (the console script and ``python -m hsearch``): :data:`main`, owning the process.

    A read-only one-shot command then ends the process once its output is out
    (:func:`_end_process`); called as ``main`` (``CliRunner``, a program), every
    command returns.
    """
    main(obj=PROCESS)


def _end_process() -> None:
    """End a read-only command's own process now that its output is written, without tearing down what it read.

    A one-shot query at a million articles holds FAISS's fast-scan codes (357
    MB), the query encoder and the mapped index; Python freeing them piece by
    piece before the kernel reclaims the whole address space took 0.06 s of a
    0.6 s cold query (bench/notes/issue-23.md, "Sixth session").  Nothing is
    left to write: output is flushed here (a reader that left raises
    BrokenPipeError, which :class:`HsearchGroup` ends with 141, as at any
    flush).  Only when the command line is the process (:func:`run`).
    """
    if click.get_current_context().find_root().obj is not PROCESS:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _forget_interrupt() -> None:
    """Make the Ctrl-C just handled end the process with :data:`INTERRUPTED_STATUS`, as handled.

    A handled Ctrl-C sometimes still ended the process killed by SIGINT after
    its exit code was chosen, each time after the interrupt had landed in code
    run by ``eval``/``exec`` of a string (the story sketcher's first import of
    datasketch evaluates strings in numpy.f2py).  The reading that fits: CPython
    (3.11) records an interrupt that leaves such an evaluation as unhandled even
    when a caller catches it, and the next evaluated string clears the record.  Without this, 14 of 40 indexing
    runs interrupted in their first 0.3 s ended by SIGINT instead of 130; with
    it, none of 120 did (bench/notes/issue-23.md, "Noticed: a flaky Ctrl-C test").
    """
    exec("")  # noqa: S102 - a constant empty string: the evaluation itself is what resets the record


class _WarningLine(logging.Handler):
    """The library's warnings, one ``hsearch: ...`` line each on standard error (looked up at each line)."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"hsearch: {record.getMessage()}", err=True)


def _show_library_warnings() -> None:
    """The library logs through ``hsearch.*`` loggers; a command shows their warnings, once each."""
    logger = logging.getLogger("hsearch")
    if not any(isinstance(handler, _WarningLine) for handler in logger.handlers):
        logger.addHandler(_WarningLine(logging.WARNING))


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so what is still buffered does not fail again at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):  # not a real file (a test runner's capture)
        pass


def _waiting_note(target: Path) -> Callable[[int | None], None]:
    """What ``--wait`` says, once, when another writer holds the index."""
    def say(pid: int | None) -> None:
        who = f"PID {pid}" if pid else "another process"
        click.echo(f"waiting for {who}, which is writing to {target} …", err=True)

    return say


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


@click.group(cls=HsearchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hsearch")
@index_option
def main(index_dir: Path | None) -> None:
    """Search Hindi news: full text, multilingual embeddings, and both fused.

    --index goes before the command or after it (hsearch --index DIR query ..., or hsearch query --index DIR ...).
    """


@main.command("index")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@index_option
@click.option("--model", default=None,
              help="Encoder for the vector side: e5-small (default, embedded), labse, any "
                   "sentence-transformers name or folder, or none (full text only). Fixed when the index is built.")
@click.option("--ann", type=click.Choice(ANN_KINDS), default="auto", show_default=True,
              help="Vector search, re-ranked with exact cosines: by segment size (auto), exact (flat), every 4-bit "
                   "fast-scan code (pq4) or IVF lists of them (ivfpq4), every 8-bit code (sq8), approximate (ivf, hnsw).")
@click.option("--rebuild", is_flag=True, help="Replace the whole index with these sources.")
@click.option("--strict", is_flag=True, help="Stop at the first bad record instead of skipping it.")
@wait_option()
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no per-record warnings.")
@click.option("--csv-delimiter", default=None, metavar="CHAR",
              help="CSV field separator (default: found from each header line among , ; tab |).")
@click.option("--commit-every", type=click.IntRange(min=1), default=None, metavar="N",
              help="Commit after every N articles (default: every few minutes of work). A killed build "
                   "keeps what it committed; the same command again skips it and carries on.")
@click.option("--procs", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
              help="Full-text writer processes: 2 or more index a large file that much faster on as many cores "
                   "(each commit then adds N segments).")
@click.option("--ray", "ray_address", is_flag=False, flag_value="local", default=None, metavar="[ADDRESS]",
              help="Embed on Ray actors: 'auto' or HOST:PORT joins a running cluster; no value (last, or "
                   "before another option) starts a private one on this machine (needs hsearch[ray]).")
@click.option("--ray-actors", type=click.IntRange(min=1), default=None, metavar="N",
              help="Encoder actors on the cluster (default: one per CPU).")
@click.option("--ray-gpus-per-actor", type=click.FloatRange(min=0), default=0.0, metavar="G",
              help="GPUs Ray gives each actor (sentence-transformers models then run on them).")
@click.option("--shards", type=click.IntRange(min=1), default=None, metavar="N",
              help="Create a sharded index of N shards (articles routed by their id); a sharded index is added "
                   "to without it.")
def index_command(sources: tuple[Path, ...], index_dir: Path | None, model: str | None, ann: str,
                  rebuild: bool, strict: bool, wait: bool, quiet: bool, csv_delimiter: str | None,
                  commit_every: int | None, procs: int, ray_address: str | None, ray_actors: int | None,
                  ray_gpus_per_actor: float, shards: int | None) -> None:
    """Add (or replace, by id) the articles in SOURCES: .jsonl, .csv (also gzipped), folders, - for JSONL on stdin."""
    from hsearch.index.checkpoints import CommitPolicy
    from hsearch.index.writer import IndexReport, IndexRun, index_paths

    target = resolve_index(index_dir)
    settings = IndexSettings(model=model, ann=ann, procs=procs)
    if csv_delimiter is not None and len(csv_delimiter.replace("\\t", "\t")) != 1:
        raise click.BadParameter("give one character (or \\t for tab)", param_hint="--csv-delimiter")
    embedder = None
    if ray_address is None and (ray_actors is not None or ray_gpus_per_actor):
        raise click.UsageError("--ray-actors and --ray-gpus-per-actor go with --ray [ADDRESS]")
    if ray_address is not None:
        from hsearch.index.ray_embedding import RaySettings, ray_embedder

        embedder = ray_embedder(RaySettings(address=ray_address, actors=ray_actors,
                                            gpus_per_actor=ray_gpus_per_actor), settings.passages)
    report = IndexReport()
    from hsearch.index.shards import index_sharded, is_sharded

    write = partial(index_sharded, shards=shards) if shards is not None or is_sharded(target) else index_paths
    run = IndexRun(strict=strict, rebuild=rebuild, wait=wait, commits=CommitPolicy(every_articles=commit_every),
                   csv_delimiter=csv_delimiter.replace("\\t", "\t") if csv_delimiter else None)
    write(target, list(sources), settings, run, progress=None if quiet else _progress_bar, embedder=embedder,
          report=report, on_wait=_waiting_note(target))
    if not quiet:
        for issue in report.issues[:MAX_ISSUES_SHOWN]:
            click.echo(f"warning: {issue}", err=True)
        if len(report.issues) > MAX_ISSUES_SHOWN:
            click.echo(f"warning: … and {len(report.issues) - MAX_ISSUES_SHOWN} more", err=True)
        if report.stale_lock_pid:
            click.echo(f"note: cleared a stale lock left by PID {report.stale_lock_pid}", err=True)
    kept = f"{report.unchanged} unchanged and kept, " if report.unchanged else ""
    skipped = counted(report.ingest.skipped, "record") + (
        f" and {counted(report.ingest.files_skipped, 'file')}" if report.ingest.files_skipped else "")
    click.echo(
        f"indexed {counted(report.added, 'new article')} and {report.replaced} replaced "
        f"({kept}{counted(report.passages, 'passage')} embedded, {skipped} skipped); "
        f"{counted(report.total_articles, 'article')} in {target}"
    )


def _progress_bar(total: int) -> Callable[[int], None]:
    """Articles done of ``total``: written, or (a resumed build) found unchanged and skipped."""
    from tqdm import tqdm

    bar = tqdm(total=total, unit="article", file=sys.stderr, disable=None, leave=False)

    def advance(count: int) -> None:
        bar.update(count)
        if bar.n >= total:
            bar.close()

    return advance


@main.command("query")
@click.argument("text", required=False)
@index_option
@click.option("-k", "--limit", "limit", type=click.IntRange(min=1), default=None,
              help="Number of results (default 10; 100 per topic with --batch).")
@mode_option(help="Ranking: hybrid (default when the index has vectors), bm25 or semantic.")
@json_option(help="Same as --format json: one JSON object per result (per line). 'score' orders the results: "
                  "in hybrid mode it is fused per query by min-max scaling, so 0.0 is the weakest candidate of "
                  "the query, not a non-match; 'bm25' and 'cosine' hold each side's raw score and rank.")
@click.option("--explain", is_flag=True, help="Show each result's BM25 and cosine scores and ranks.")
@filter_options
@click.option("--batch", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Run every 'qid<TAB>query' line of this file in one process.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "trec"]), default=None,
              help="Output format (--batch defaults to trec).")
@click.option("--tag", default="hsearch", show_default=True, help="Run tag in TREC output.")
@fusion_options
@min_score_option
@click.option("--no-expand", is_flag=True,
              help="Search the words exactly as typed: no romanized-Hindi expansion, no spelling correction.")
@page_options
def query_command(text: str | None, index_dir: Path | None, limit: int | None, mode: str | None,
                  as_json: bool, explain: bool, date_from: str | None, date_to: str | None,
                  source: str | None, category: str | None, batch: Path | None, fmt: str | None,
                  tag: str, fusion: str | None, weight: float | None, latin_weight: float | None,
                  min_score: float | None, no_expand: bool, no_collapse: bool, sort: str, offset: int | None,
                  page: int | None) -> None:
    """Search the index for TEXT (Hindi or English).

    \b
    Operators: "a phrase", +must, -not, AND/OR/NOT, read only where unmistakable:
    in queries of at most 6 words outside quotes; + and - only at the start of a
    word that does not end in a hyphen (तहरीक -ए- तालिबान, --, -x- are text);
    AND/OR/NOT in upper case and not in English prose. Hits that match none of the
    query's words are shown only above the relevance floor (see --min-score).
    """
    from .filters import Filters
    from .vector_prefetch import VectorPrefetch

    if (text is None) == (batch is None):
        raise click.UsageError("give either a query TEXT or --batch TOPICS.tsv")
    if text is not None and not text.strip():
        raise QueryError("the query is empty: type a word or two")
    if as_json and fmt not in (None, "json"):
        raise click.UsageError(f"--json means --format json; it contradicts --format {fmt}: give one of them")
    check_fusion_applies([mode] if mode else [], fusion=fusion, weight=weight, latin_weight=latin_weight)
    filters = Filters.parse(date_from=date_from, date_to=date_to, source=source, category=category)
    # One query: its vectors are read on the second core while the engine's modules are imported.
    index = resolve_index(index_dir)
    prefetched = VectorPrefetch.for_query(index, mode) if batch is None else None

    from .collapse import PageRequest
    from .engine import SearchSettings
    from .engine_choice import open_engine
    from .cli_output import expansion_lines, no_close_match_text, render_hits
    from .request import SearchRequest
    from .topics import read_topics

    # A batch answers many queries: worth the start-up cost of the faster query path.
    settings = SearchSettings(mode=mode, fusion=fusion_settings(fusion, weight, latin_weight, min_score),
                              preload=batch is not None)
    fmt = fmt or ("json" if as_json else "trec" if batch else "text")
    if fmt != "text":  # pydantic's import is a tenth of a one-shot query: only data output needs it
        from .serialize import hit_to_dict, to_json, trec_lines
    with open_engine(index, settings, prefetched=prefetched) as engine:
        if batch is not None:
            depth = limit or 100
            for qid, topic in read_topics(batch):
                if fmt == "trec":
                    ranked = engine.rank(topic, mode=mode, depth=depth, filters=filters, expand=not no_expand).ranked
                    lines = trec_lines(qid, ranked, tag)
                    if lines:
                        click.echo("\n".join(lines))
                else:
                    found = engine.search(SearchRequest(topic, mode=mode, filters=filters, expand=not no_expand,
                                                        page=PageRequest(k=depth, sort=sort, collapse=not no_collapse)))
                    for hit in found.hits:
                        click.echo(to_json({"qid": qid, **hit_to_dict(hit)}) if fmt == "json"
                                   else f"{qid}\t{hit.rank}\t{hit.id}\t{hit.title}")
            _end_process()
            return
        if text is None:
            raise click.UsageError("give either a query TEXT or --batch TOPICS.tsv")
        request = PageRequest.of_page(page, offset, limit or 10, sort=sort, collapse=not no_collapse)
        result = engine.search(SearchRequest(text, mode=mode, filters=filters, page=request, expand=not no_expand))
    hits, plan = result.hits, result.ranking.plan
    if plan.corrected_text and fmt != "trec":  # on stderr when stdout is data
        click.echo(f"showing results for: {plan.corrected_text}  (search instead for exactly what you typed: "
                   f"hsearch query --no-expand {_shell_quote(text)})", err=fmt == "json")
    if explain and fmt == "text":
        click.echo("\n".join(expansion_lines(plan)))
    if fmt == "json":
        if result.no_close_match:  # stdout is data: results only
            click.echo(f"no close match for {text!r}: no results", err=True)
        for hit in hits:
            click.echo(to_json(hit_to_dict(hit)))
    elif fmt == "trec":
        click.echo("\n".join(trec_lines("q", [(h.id, h.score) for h in hits], tag)))
    elif not hits and result.total:
        click.echo(f"no results past the {result.total} this query has (--offset {request.offset})")
    elif result.no_close_match:
        click.echo(no_close_match_text(text, result.nearest, color=stdout_is_terminal(), explain=explain,
                                       filtered=filters.active))
    elif not hits:
        click.echo("no results" + (" (filters are on: try without them)" if filters.active else ""))
    else:
        click.echo(render_hits(hits, color=stdout_is_terminal(), explain=explain))
        _page_footer(result, request)
    _end_process()


def _page_footer(result: Any, request: Any) -> None:
    """Where this page sits, and the option that shows the next one."""
    if result.offset or result.more:
        ending = f"; next: --offset {result.offset + request.k}" if result.more else ""
        click.echo(f"\nresults {result.offset + 1}-{result.offset + len(result.hits)} of {result.total}{ending}")


@main.command("similar")
@click.argument("article_id")
@index_option
@click.option("-k", "--limit", "limit", type=click.IntRange(min=1), default=10, show_default=True,
              help="Number of results.")
@mode_option(help="Which side finds them: hybrid (default with vectors), bm25 (key terms) or semantic.")
@json_option(help="One JSON object per result (per line).")
@page_options
def similar_command(article_id: str, index_dir: Path | None, limit: int, mode: str | None, as_json: bool,
                    no_collapse: bool, sort: str, offset: int | None, page: int | None) -> None:
    """Articles like ARTICLE_ID (its own story's copies left out)."""
    from .collapse import PageRequest
    from .engine import SearchEngine
    from .cli_output import render_hits
    from .serialize import hit_to_dict, to_json

    request = PageRequest.of_page(page, offset, limit, sort=sort, collapse=not no_collapse)
    with SearchEngine(resolve_index(index_dir)) as engine:
        result = engine.similar(article_id, mode=mode, page=request)
    if as_json:
        for hit in result.hits:
            click.echo(to_json(hit_to_dict(hit)))
    elif not result.hits:
        click.echo("no similar articles" if not result.offset else "no more similar articles")
    else:
        click.echo(render_hits(result.hits, color=stdout_is_terminal(), explain=False))
        _page_footer(result, request)


MISSING_IDS_SHOWN = 5


def missing_ids_line(missing: list[str]) -> str:
    """One line for the ids a delete did not find, however many: the first few, then how many more."""
    if len(missing) == 1:
        return f"no article with id {missing[0]!r}"
    shown = ", ".join(repr(i) for i in missing[:MISSING_IDS_SHOWN])
    rest = f" … and {len(missing) - MISSING_IDS_SHOWN} more" if len(missing) > MISSING_IDS_SHOWN else ""
    return f"{len(missing)} ids are not in the index: {shown}{rest}"


def _shell_quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


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
    target = resolve_index(index_dir)
    from hsearch.index.shards import delete_sharded, is_sharded

    remove = delete_sharded if is_sharded(target) else delete_ids
    missing, manifest = remove(target, wanted, wait=wait, on_wait=_waiting_note(target))
    if missing:
        click.echo(f"warning: {missing_ids_line(missing)}", err=True)
    click.echo(f"deleted {counted(len(set(wanted)) - len(missing), 'article')}; "
               f"{manifest.articles} {plural('remains', manifest.articles)}")


@main.command("stats")
@index_option
@json_option()
def stats_command(index_dir: Path | None, as_json: bool) -> None:
    """Articles, dates, sources, categories, stories, segments, model, sizes; when the index last changed."""
    from hsearch.index.shards import statistics_of

    from .serialize import to_json
    from .stats_output import stats_lines

    info = statistics_of(resolve_index(index_dir))
    click.echo(to_json(info) if as_json else "\n".join(stats_lines(info)))


@main.command("merge")
@index_option
@click.option("--max-segments", type=click.IntRange(min=1), default=None,
              help="Merge the vector segments down to this many (default: the merges the tiered policy asks for).")
@wait_option()
def merge_command(index_dir: Path | None, max_segments: int | None, wait: bool) -> None:
    """Merge small vector segments and purge deleted rows (commits merge only small ones; run this from cron)."""
    from hsearch.index.vector_segments import force_merge, merge_pending

    target = resolve_index(index_dir)
    done = (force_merge(target, wait=wait, max_segments=max_segments) if max_segments is not None
            else merge_pending(target, wait=wait))
    click.echo(f"{counted(done['merged'], 'merge')}: {done['segments_before']} vector segments -> "
               f"{done['segments_after']} ({counted(done['passages'], 'passage')})")


@main.command("verify")
@index_option
@click.option("--repair", is_flag=True,
              help="Re-embed missing or stale articles, drop orphan vectors, rebuild scoring sidecars.")
@wait_option(help="With --repair: wait for another writer instead of failing.")
def verify_command(index_dir: Path | None, repair: bool, wait: bool) -> None:
    """Check that both sides open and hold exactly the same articles."""
    from hsearch.index import health
    from hsearch.index.errors import Remedy

    target = resolve_index(index_dir)
    from hsearch.index.shards import is_sharded

    if is_sharded(target):
        return verify_shards(target, repair=repair, wait=wait, on_wait=_waiting_note(target))
    report, after = (health.repair(target, wait=wait, on_wait=_waiting_note(target)) if repair
                     else (health.verify(target), None))
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
            click.echo(f"{counted(len(ids), 'article')} {what}: {shown}")
    if report.healthy:
        click.echo(f"ok: {counted(report.articles, 'article')}, {counted(report.passages, 'passage')}; "
                   "both sides agree")
    elif after is not None:
        click.echo(f"repaired: {counted(after.articles, 'article')}, {counted(after.passages, 'passage')}; "
                   f"{'both sides agree' if after.healthy else 'still inconsistent'}")
        if not after.healthy:
            raise click.ClickException("repair did not bring the index in line. "
                                       + CLI_WORDS.remedy(Remedy("rebuild", str(target))))
    elif report.fulltext_unreadable:  # the record itself: --repair cannot help, only the sources can
        raise click.ClickException("the full text cannot be repaired. " + CLI_WORDS.remedy(Remedy("rebuild", str(target))))
    else:
        raise click.ClickException("the index is inconsistent. " + CLI_WORDS.remedy(Remedy("repair", str(target))))


@main.command("eval")
@index_option
@click.option("--topics", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Queries, 'qid<TAB>query' per line.")
@click.option("--qrels", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Judgements, TREC format 'qid 0 docid relevance'.")
@mode_option(multiple=True, help="Modes to compare (default: every mode the index supports).")
@json_option()
@fusion_options
@min_score_option
def eval_command(index_dir: Path | None, topics: Path, qrels: Path, modes: tuple[str, ...], as_json: bool,
                 fusion: str | None, weight: float | None, latin_weight: float | None,
                 min_score: float | None) -> None:
    """nDCG@10, MRR@10, Recall@10 and Recall@100 per mode, side by side."""
    from .engine import SearchEngine, SearchSettings
    from .evaluation import MEASURES, RUN_DEPTH, evaluate, run_topics
    from .modes import modes_for
    from .serialize import to_json
    from .topics import read_qrels, read_topics

    check_fusion_applies(list(modes), fusion=fusion, weight=weight, latin_weight=latin_weight)
    queries, judgements = read_topics(topics), read_qrels(qrels)
    settings = SearchSettings(fusion=fusion_settings(fusion, weight, latin_weight, min_score), preload=True)
    table: dict[str, dict[str, float]] = {}
    with SearchEngine(resolve_index(index_dir), settings) as engine:
        chosen = list(modes) or modes_for(engine.has_vectors)
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
@click.option("--ray", "ray_address", is_flag=False, flag_value="local", default=None, metavar="[ADDRESS]",
              help="Serve a sharded index on Ray Serve, one deployment per shard: 'auto' or HOST:PORT joins a "
                   "running cluster; no value starts a private one on this machine (needs hsearch[serve]).")
@click.option("--replicas", type=click.IntRange(min=1), default=1, show_default=True, metavar="R",
              help="With --ray: replicas of each shard (2 or more: a replica that dies costs no request).")
def serve_command(index_dir: Path | None, host: str, port: int, ray_address: str | None, replicas: int) -> None:
    """Serve the search page at / and the JSON API at /api/ with one index open and warm."""
    from .server import serve

    if ray_address is None and replicas != 1:
        raise click.UsageError("--replicas goes with --ray [ADDRESS]")
    if ray_address is not None:
        from .serve_ray import serve_sharded

        return serve_sharded(resolve_index(index_dir), address=ray_address, host=host, port=port, replicas=replicas)
    serve(resolve_index(index_dir), host=host, port=port)


from .cli_follow import follow_command  # noqa: E402 - registered after the group it joins
from .cli_alerts import alerts_group  # noqa: E402

main.add_command(follow_command)
main.add_command(alerts_group)


@main.command("split")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
@index_option
@click.option("--shards", type=click.IntRange(min=1), required=True, metavar="N", help="Shards of the new index.")
def split_command(target: Path, index_dir: Path | None, shards: int) -> None:
    """Copy the index into a new sharded index of N shards at TARGET (vectors and stories kept, nothing re-embedded)."""
    from hsearch.index.shards import split_index

    source = resolve_index(index_dir)
    report = split_index(source, target, shards)
    click.echo(f"split {counted(report.total_articles, 'article')} of {source} into {shards} shards in {target}")


if __name__ == "__main__":
    main()
