"""``pinconsole catalog ...``: import descriptors, list, refresh and remove locations, purge
orphans. The CLI is an operator's on the server: it acts as an administrator."""

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


@app.command("locations")
def locations_command() -> None:
    """List configured and registered locations."""
    from pinconsole.catalog.locations import list_locations

    for view in list_locations():
        who = "settings" if view.configured else f"{view.registered_by}"
        trust = "trusted" if view.trusted else "catalog_rules"
        typer.echo(f"{view.id or '-'}\t{view.target}\t{who}\t{trust}")


@app.command("unregister")
def unregister_command(
    location: str = typer.Argument(..., help="A location id or its target"),
) -> None:
    """Remove a registered location; its entities become orphans (purged after the grace)."""
    from pinconsole.catalog.locations import unregister_location
    from pinconsole.errors import DomainError

    try:
        view = unregister_location(location, "cli")
    except DomainError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"removed location {view.id} {view.target}")


@app.command("purge-orphans")
def purge_command() -> None:
    """Remove entities orphaned for longer than the grace period."""
    from pinconsole.catalog.ingest import purge_orphans

    typer.echo(f"removed {purge_orphans()} orphaned entities")
