"""``pinconsole org ...``: sync the organisation from LDAP, show the history, check a config."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(
    help="Organisation: users and groups from LDAP (Backstage ldapOrg config).",
    no_args_is_help=True,
)

CONFIG_OPTION = typer.Option(
    None, "--config", "-c", help="app-config YAML with catalog.providers.ldapOrg (default: setting)"
)


def _counts(run) -> str:  # type: ignore[no-untyped-def]
    return (
        f"users +{run.users_added} ~{run.users_updated} -{run.users_removed}, "
        f"groups +{run.groups_added} ~{run.groups_updated} -{run.groups_removed}"
    )


@app.command("sync")
def sync_command(
    config: Path | None = CONFIG_OPTION,
    force: bool = typer.Option(
        False, "--force", help="Apply even if more than the allowed share would be removed"
    ),
) -> None:
    """Read the directory and apply it to the catalog; exit 1 when the sync failed."""
    from pinconsole.org.sync import sync_org

    run = sync_org(config, force=force, triggered_by="cli")
    took = (run.finished_at - run.started_at).total_seconds() if run.finished_at else 0.0
    if run.status != "ok":
        typer.echo(f"org sync failed: {run.error}", err=True)
        raise typer.Exit(1)
    typer.echo(f"org sync ok in {took:.1f}s: {_counts(run)}")
    if run.error:
        typer.echo(run.error, err=True)


@app.command("runs")
def runs_command(limit: int = typer.Option(10, "--limit", help="How many, newest first")) -> None:
    """Show the sync history."""
    from pinconsole.org.sync import list_runs

    rows, total = list_runs(limit)
    for r in rows:
        typer.echo(
            f"{r.id}\t{r.started_at:%Y-%m-%d %H:%M:%S}\t{r.status}\t{r.triggered_by}\t"
            f"{_counts(r)}\t{r.error or ''}"
        )
    typer.echo(f"{len(rows)} of {total} runs")


@app.command("check")
def check_command(config: Path | None = CONFIG_OPTION) -> None:
    """Validate the config and read the directory without writing anything."""
    from pinconsole.org.reader import read_org
    from pinconsole.org.sync import _resolve_config

    _, providers = _resolve_config(config)
    for p in providers:
        snap = read_org(p)
        typer.echo(f"{p.id} ({p.target}): {len(snap.users)} users, {len(snap.groups)} groups")
        for warning in snap.warnings:
            typer.echo(f"  warning: {warning}", err=True)
