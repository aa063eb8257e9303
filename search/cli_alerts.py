"""``hsearch alerts``: saved searches, the CLI edge of :mod:`hsearch.search.alerts`."""

from __future__ import annotations

from pathlib import Path

import click

from hsearch.index.wording import counted

from .cli_options import filter_options, index_option, json_option, mode_option, resolve_index


@click.group("alerts")
def alerts_group() -> None:
    """Saved searches: new articles that match them, once each (also as Atom feeds under hsearch serve)."""


@alerts_group.command("add")
@click.argument("name")
@click.argument("query")
@index_option
@mode_option(help="Ranking for this search (default: the index's, as hsearch query).")
@filter_options
def add_command(name: str, query: str, index_dir: Path | None, mode: str | None, date_from: str | None,
                date_to: str | None, source: str | None, category: str | None) -> None:
    """Save QUERY as NAME; articles indexed from now on that match it are new to it."""
    from .alerts import add_alert

    alert = add_alert(resolve_index(index_dir), name, query, mode=mode,
                      filters={"date_from": date_from, "date_to": date_to, "source": source, "category": category})
    click.echo(f"saved {alert.name}: {alert.describe()} (hsearch alerts check {alert.name}; "
               f"its feed under hsearch serve: /feeds/{alert.name}.xml)")


@alerts_group.command("list")
@index_option
@json_option(help="One JSON object per saved search.")
def list_command(index_dir: Path | None, as_json: bool) -> None:
    """The saved searches and when each was last checked."""
    from dataclasses import asdict

    from .alerts import list_alerts
    from .serialize import to_json

    alerts = list_alerts(resolve_index(index_dir))
    for alert in alerts:
        click.echo(to_json(asdict(alert)) if as_json else
                   f"{alert.name}\t{alert.describe()}\tlast checked {alert.checked_at}")
    if not alerts and not as_json:
        click.echo("no saved searches (hsearch alerts add NAME QUERY)")


@alerts_group.command("remove")
@click.argument("name")
@index_option
def remove_command(name: str, index_dir: Path | None) -> None:
    """Delete the saved search NAME."""
    from .alerts import remove_alert

    alert = remove_alert(resolve_index(index_dir), name)
    click.echo(f"removed {alert.name} ({alert.describe()})")


@alerts_group.command("check")
@click.argument("name", required=False)
@index_option
@json_option(help="One JSON object per new match, with its alert's name.")
def check_command(name: str | None, index_dir: Path | None, as_json: bool) -> None:
    """New articles matching NAME (or every saved search) since it was last checked, best first, once each."""
    from .alerts import check_alerts
    from .serialize import to_json

    def show(results: dict) -> None:  # type: ignore[type-arg]
        for alert_name, found in results.items():
            if as_json:
                for match in found:
                    click.echo(to_json({"alert": alert_name, **match.as_dict()}))
                continue
            click.echo(f"{alert_name}: {counted(len(found), 'new article')}")
            for match in found:
                when = f" ({match.date:%Y-%m-%d})" if match.date else ""
                click.echo(f" {match.rank:>2}. {match.title}{when}\n     id {match.id}"
                           + (f"  {match.url}" if match.url else ""))
        if not results and not as_json:
            click.echo("no saved searches (hsearch alerts add NAME QUERY)")

    check_alerts(resolve_index(index_dir), name, deliver=show)
