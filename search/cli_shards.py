"""The CLI's words for a sharded index: ``hsearch verify`` over every shard and the set's own tables."""

from __future__ import annotations

from pathlib import Path

import click

from hsearch.index.errors import Remedy
from hsearch.index.lock import OnWait
from hsearch.index.wording import counted

from .cli_options import CLI_WORDS


def verify_shards(target: Path, *, repair: bool, wait: bool, on_wait: OnWait | None = None) -> None:
    """Each shard's findings, named by shard, then one verdict for the set (``--repair``: repair, then verify)."""
    from hsearch.index import shards

    before = shards.verify_set(target)
    for line in shards.shard_health_words(before):
        click.echo(f"problem: {line}")
    articles = sum(r.articles for r in before.shards.values())
    passages = sum(r.passages for r in before.shards.values())
    if before.healthy:
        click.echo(f"ok: {counted(articles, 'article')}, {counted(passages, 'passage')} in "
                   f"{counted(len(before.shards), 'shard')}; both sides of every shard agree")
        return
    if not repair:
        raise click.ClickException("the index is inconsistent. " + CLI_WORDS.remedy(Remedy("repair", str(target))))
    after = shards.repair_set(target, wait=wait, on_wait=on_wait)
    click.echo(f"repaired: {counted(sum(r.articles for r in after.shards.values()), 'article')} in "
               f"{counted(len(after.shards), 'shard')}; {'both sides agree' if after.healthy else 'still inconsistent'}")
    if not after.healthy:
        for line in shards.shard_health_words(after):
            click.echo(f"problem: {line}")
        raise click.ClickException("repair did not bring the index in line. "
                                   + CLI_WORDS.remedy(Remedy("rebuild", str(target))))
