"""``hsearch follow FEED...``: the CLI edge of :mod:`hsearch.index.follow`."""

from __future__ import annotations

import time
from pathlib import Path

import click

from hsearch.index.errors import IndexInterrupted
from hsearch.index.wording import counted

from .cli_options import index_option, resolve_index


@click.command("follow")
@click.argument("feeds", nargs=-1, required=True)
@index_option
@click.option("--once", is_flag=True, help="Poll every feed once and exit (for cron).")
@click.option("--every", type=click.FloatRange(min=1), default=None, metavar="MINUTES",
              help="Poll every MINUTES minutes until stopped (Ctrl-C).")
@click.option("--model", default=None, help="Encoder when the index is new (as hsearch index --model).")
@click.option("--delay", type=click.FloatRange(min=0), default=2.0, show_default=True, metavar="SECONDS",
              help="Pause between two requests to one host.")
@click.option("--timeout", type=click.FloatRange(min=1), default=30.0, show_default=True, metavar="SECONDS",
              help="Give up on a feed or page that does not answer within this.")
@click.option("-q", "--quiet", is_flag=True, help="Only the summary and the problems.")
def follow_command(feeds: tuple[str, ...], index_dir: Path | None, once: bool, every: float | None,
                   model: str | None, delay: float, timeout: float, quiet: bool) -> None:
    """Index the new articles of RSS/Atom FEEDS (URLs, feed files, or files listing feeds, one a line).

    \b
    Each new entry's page is fetched and its article extracted (the site's
    menus, related lists, comments and footer left out), indexed and committed
    as it goes. Entries already indexed (by guid or URL) are skipped; a feed or
    page that fails is reported and tried again at the next poll. Polite: a
    conditional GET (ETag/Last-Modified), a pause per host, a user agent naming
    hsearch, timeouts, a size cap.
    """
    from hsearch.index.feeds import expand_feed_list
    from hsearch.index.fetch import FetchSettings
    from hsearch.index.follow import Follower, FollowSettings
    from hsearch.index.settings import IndexSettings

    if once == (every is not None):
        raise click.UsageError("give --once (one poll, for cron) or --every MINUTES (poll until stopped)")
    target = resolve_index(index_dir)
    sources = expand_feed_list(list(feeds))
    settings = FollowSettings(fetch=FetchSettings(host_delay=delay, read_timeout=timeout,
                                                  connect_timeout=min(timeout, 10.0)),
                              index=IndexSettings(model=model))
    say = None if quiet else (lambda message: click.echo(message, err=True))
    follower = Follower(target, settings, on_event=say)
    committed = 0
    try:
        while True:
            try:
                report = follower.poll(sources)
            except IndexInterrupted as exc:
                if committed and not exc.checkpointed:
                    raise IndexInterrupted(target, committed=True, checkpointed=committed) from None
                raise
            committed += report.committed
            for problem in report.problems:
                click.echo(f"warning: {problem}", err=True)
            click.echo(_summary(report, target))
            if once:
                failed = sum(1 for p in report.problems if p.startswith("feed "))
                if failed and failed == report.feeds:
                    raise click.ClickException(f"no feed could be read ({counted(failed, 'feed')} failed)")
                return
            assert every is not None
            try:
                time.sleep(every * 60)
            except KeyboardInterrupt:
                raise IndexInterrupted(target, committed=committed > 0, checkpointed=committed) from None
    finally:
        follower.close()


def _summary(report, target: Path) -> str:  # type: ignore[no-untyped-def]
    from hsearch.index import manifest

    total = manifest.load(target).articles if manifest.exists(target) else 0
    unchanged = f", {report.unchanged} unchanged" if report.unchanged else ""
    problems = f"; {counted(len(report.problems), 'problem')}" if report.problems else ""
    return (f"followed {counted(report.feeds, 'feed')}{unchanged}: indexed {counted(len(report.added), 'new article')}, "
            f"{report.known} already indexed{problems}; {counted(total, 'article')} in {target}")
