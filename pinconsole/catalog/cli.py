"""``pinconsole catalog ...``: import descriptors, list registered locations, purge orphans."""

from __future__ import annotations

import typer

app = typer.Typer(help="Software catalog: import Backstage descriptors.", no_args_is_help=True)


@app.command("import")
def import_command(
    targets: list[str] = typer.Argument(..., help="Files, directories or http(s) URLs"),
    register: bool = typer.Option(
        False, "--register", help="Also register the targets for scheduled refresh"
    ),
) -> None:
    """Import descriptors; print a summary and every error; exit 1 on any error."""
    from pinconsole.catalog.ingest import import_locations
    from pinconsole.catalog.locations import register_location

    if register:
        for target in targets:
            register_location(target, "cli", refresh=False)
    summary = import_locations(targets, actor="cli")
    typer.echo(str(summary))
    for error in summary.errors:
        typer.echo(str(error), err=True)
    if summary.errors:
        raise typer.Exit(1)


@app.command("refresh")
def refresh_command() -> None:
    """Import every registered location now."""
    from pinconsole.catalog.locations import refresh_locations

    failed = False
    for key, summary in refresh_locations().items():
        typer.echo(f"{key}: {summary}")
        failed = failed or bool(summary.errors)
    if failed:
        raise typer.Exit(1)


@app.command("purge-orphans")
def purge_command() -> None:
    """Remove entities orphaned for longer than the grace period."""
    from pinconsole.catalog.ingest import purge_orphans

    typer.echo(f"removed {purge_orphans()} orphaned entities")
