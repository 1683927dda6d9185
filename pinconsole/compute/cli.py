"""``pinconsole controller``: run the PinApp/PinScaler controller until stopped.

One process reconciles every cluster in ``settings.clusters``; run two or more (on other hosts,
or as replicas of one Deployment) and each cluster's Lease elects one to act. SIGTERM and
Ctrl-C stop it cleanly: it gives its Leases up, so another instance takes over at once.
"""

from __future__ import annotations

import logging
import signal
import threading

import typer

app = typer.Typer(
    help="The PinApp/PinScaler controller (a separate process, one active per cluster).",
    invoke_without_command=True,
    add_completion=False,
)


@app.callback()
def controller(
    cluster: list[str] = typer.Option(
        [], "--cluster", help="Only this configured cluster (repeatable; default: all)"
    ),
    identity: str | None = typer.Option(
        None, "--identity", help="Name in the Leases (default: <host>_<random>)"
    ),
) -> None:
    """Reconcile PinApps into Deployments and Services, PinScalers into HPAs, until stopped."""
    from pinconsole.compute.constants import CONTROLLER_LEASE
    from pinconsole.compute.controller import Controller
    from pinconsole.settings import get_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = get_settings()
    clusters = [c for c in settings.clusters if not cluster or c.name in cluster]
    unknown = sorted(set(cluster) - {c.name for c in settings.clusters})
    if unknown or not clusters:
        what = f"unknown cluster(s) {', '.join(unknown)}" if unknown else "no clusters configured"
        typer.echo(f"Error: {what} (settings.clusters / PINCONSOLE_CLUSTERS)", err=True)
        raise typer.Exit(2)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    running = Controller.from_settings(
        settings.model_copy(update={"clusters": clusters}), identity=identity
    ).start()
    typer.echo(
        f"controller {running.identity} on {', '.join(c.name for c in clusters)} "
        f"(Lease {settings.controller_namespace}/{CONTROLLER_LEASE})"
    )
    try:
        while not stop.wait(1.0):
            pass
    finally:
        running.stop()
    typer.echo("controller stopped")
