"""The `pinconsole` CLI through Typer's runner: tokens, db upgrade, errors without tracebacks."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlmodel import select
from typer.testing import CliRunner

from pinconsole.access.tokens import verify_token
from pinconsole.catalog.ingest import import_locations
from pinconsole.cli import app, needs_plugins, serve_command, serve_env
from pinconsole.db import dispose_engines, get_engine, session_scope
from pinconsole.models import AuditEvent

runner = CliRunner()
PG_ADMIN_URL = os.environ.get("PINCONSOLE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def pg_url(name: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}"


def test_help_everywhere() -> None:
    for args in (
        [],
        ["db"],
        ["db", "upgrade"],
        ["token"],
        ["token", "create"],
        ["demo"],
        ["demo", "seed"],
        ["serve"],
    ):
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0, (args, result.output)
        assert "Usage" in result.output


def test_token_create_prints_the_token_alone_on_the_last_line(db: str) -> None:
    result = runner.invoke(
        app,
        [
            "token",
            "create",
            "--user",
            "deploy-bot",
            "--service-account",
            "--admin",
            "--description",
            "CI",
        ],
    )
    assert result.exit_code == 0, result.output
    last = result.stdout.strip().splitlines()[-1]
    assert last == last.strip() and " " not in last
    principal = verify_token(last)
    assert principal.name == "deploy-bot" and principal.is_admin


def test_token_list_and_revoke(db: str) -> None:
    token = (
        runner.invoke(app, ["token", "create", "--user", "bot", "--service-account"])
        .stdout.strip()
        .splitlines()[-1]
    )
    listing = runner.invoke(app, ["token", "list"])
    assert listing.exit_code == 0 and token[:12] in listing.stdout and token not in listing.stdout
    token_id = listing.stdout.split()[0]
    assert runner.invoke(app, ["token", "revoke", token_id]).exit_code == 0
    assert "revoked" in runner.invoke(app, ["token", "list"]).stdout


def test_domain_errors_are_messages_not_tracebacks(db: str) -> None:
    invalid = runner.invoke(app, ["token", "create", "--user", "two words"])
    assert invalid.exit_code == 2
    assert invalid.stderr.startswith("Error: user:") and "Traceback" not in invalid.output
    missing = runner.invoke(app, ["token", "revoke", "424242"])
    assert missing.exit_code == 1 and "no API token" in missing.stderr
    assert missing.exception is None or isinstance(missing.exception, SystemExit)


def test_unreachable_database_is_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(
        app, ["db", "upgrade", "--url", "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"]
    )
    assert result.exit_code == 1
    assert "database is unreachable" in result.stderr and "Traceback" not in result.output


def test_db_upgrade_twice_on_an_empty_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "pinconsole.db"
    url = f"sqlite:///{path}"
    for _ in range(2):
        result = runner.invoke(app, ["db", "upgrade", "--url", url])
        assert result.exit_code == 0, result.output
    assert {"entity", "audit_event", "api_token"} <= set(inspect(get_engine(url)).get_table_names())


@pytest.mark.postgres
def test_db_upgrade_twice_on_an_empty_postgres_database() -> None:
    name = f"pc_cli_{uuid.uuid4().hex[:10]}"
    pg_admin(f'CREATE DATABASE "{name}"')
    try:
        url = pg_url(name)
        for _ in range(2):
            result = runner.invoke(app, ["db", "upgrade", "--url", url])
            assert result.exit_code == 0, result.output
        tables = set(inspect(get_engine(url)).get_table_names())
        assert {"entity", "audit_event", "api_token", "alembic_version"} <= tables
    finally:
        dispose_engines()
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_serve_refuses_demo_mode_on_postgres(monkeypatch: pytest.MonkeyPatch) -> None:
    from pinconsole.settings import get_settings

    monkeypatch.setenv("PINCONSOLE_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/x")
    monkeypatch.setenv("PINCONSOLE_AUTH_MODE", "demo")
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["serve", "--port", "3999"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and "embedded" in result.stderr


def test_serve_command_lines() -> None:
    full = serve_command(3100, backend_only=False)
    assert full[-7:] == [
        "--env",
        "prod",
        "--single-port",
        "--frontend-port",
        "3100",
        "--backend-port",
        "3100",
    ]
    assert serve_command(3100, backend_only=True)[-3:] == [
        "--backend-only",
        "--backend-port",
        "3100",
    ]


def test_serve_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINCONSOLE_FRONTEND_PORT", "1234")
    monkeypatch.delenv("PINCONSOLE_API_URL", raising=False)
    full = serve_env(3100)
    assert full["REFLEX_USE_NPM"] == "1"
    assert full["PINCONSOLE_FRONTEND_PORT"] == full["PINCONSOLE_BACKEND_PORT"] == "3100"
    assert full["PINCONSOLE_API_URL"] == "http://localhost:3100"
    assert str(Path(sys.executable).parent) in full["PATH"].split(os.pathsep)
    backend = serve_env(3100, backend_only=True)
    assert "PINCONSOLE_FRONTEND_PORT" not in backend  # reflex refuses one with --backend-only


def test_serve_gives_the_workers_one_metrics_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    assert serve_env(3100, metrics_dir="/tmp/m")["PROMETHEUS_MULTIPROC_DIR"] == "/tmp/m"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/srv/metrics")  # the operator's own wins
    assert serve_env(3100, metrics_dir="/tmp/m")["PROMETHEUS_MULTIPROC_DIR"] == "/srv/metrics"


def test_plugin_groups_are_commands() -> None:
    from pinconsole.plugins import get_registry

    groups = {name for p in get_registry().plugins.values() for name in p.cli}
    result = runner.invoke(app, ["--help"])
    for name in groups:
        assert name in result.output


def test_only_commands_that_need_them_load_the_plugins() -> None:
    assert not needs_plugins(["db", "upgrade", "--url", "sqlite://"])
    assert not needs_plugins(["token", "create", "--user", "bot"])
    assert not needs_plugins(["demo", "seed"])
    assert needs_plugins(["serve", "--port", "3000"])  # the ldap authenticator is a plugin's
    assert needs_plugins(["catalog", "import", "x"]) and needs_plugins(["--help"])
    assert needs_plugins([])


def test_the_console_script_runs_a_plugin_free_command_without_reflex(tmp_path: Path) -> None:
    """The installed ``pinconsole`` script: ``db upgrade`` works and never imports Reflex."""
    import subprocess

    url = f"sqlite:///{tmp_path / 'pc.db'}"
    probe = (
        "import sys; from pinconsole.cli import main; sys.argv = ['pinconsole', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        "print('reflex' in sys.modules, code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, "db", "upgrade", "--url", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip().splitlines()[-1] == "False 0", result.stdout + result.stderr
    assert "newest schema" in result.stdout


def test_demo_seed_leaves_an_audit_row(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from pinconsole.access.audit import AuditFilter, list_audit
    from pinconsole.catalog.ingest import ImportSummary

    monkeypatch.setattr("pinconsole.demo.seed.seed_demo", lambda: ImportSummary(added=3))
    result = runner.invoke(app, ["demo", "seed"])
    assert result.exit_code == 0, result.output
    rows, total = list_audit(AuditFilter(action="demo.seed"))
    assert total == 1 and rows[0].actor == "cli"
    assert rows[0].after == {"added": 3, "updated": 0, "unchanged": 0, "orphaned": 0, "errors": 0}


def test_serve_listens_where_it_is_told() -> None:
    """Loopback by default (a bare backend is for this machine); --host for anything else."""
    assert serve_command(3100, backend_only=True)[4:6] == ["--backend-host", "127.0.0.1"]
    wide = serve_command(3100, backend_only=False, host="0.0.0.0")
    assert wide[4:6] == ["--backend-host", "0.0.0.0"]
    result = runner.invoke(app, ["serve", "--help"])
    assert "--host" in result.stdout


def test_token_create_wants_a_person_of_the_directory_or_a_service_account(
    db: str, tmp_path: Path
) -> None:
    """A mistyped name would otherwise get a working token for nobody, whom no org sync ever
    revokes; a service account is said to be one, and the audit row says so too."""
    refused = runner.invoke(app, ["token", "create", "--user", "ada.lovelce"])
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert "the directory knows no user 'ada.lovelce'" in refused.stderr
    assert "--service-account" in refused.stderr
    assert "pct_" not in refused.output

    person = tmp_path / "catalog-info.yaml"
    person.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: User\n"
        "metadata: {name: ada.lovelace}\nspec: {memberOf: []}\n",
        encoding="utf-8",
    )
    assert not import_locations([str(person)], actor="test").errors
    made = runner.invoke(app, ["token", "create", "--user", "Ada.Lovelace"])
    assert made.exit_code == 0, made.output
    bot = runner.invoke(app, ["token", "create", "--user", "ci-bot", "--service-account"])
    assert bot.exit_code == 0, bot.output
    with session_scope() as s:
        rows = s.exec(select(AuditEvent).where(AuditEvent.action == "token.create")).all()
    flags = {r.after["user"]: r.after["service_account"] for r in rows if r.after}
    assert flags == {"ada.lovelace": False, "ci-bot": True}  # the directory's spelling
    assert verify_token(made.stdout.strip().splitlines()[-1]).name == "ada.lovelace"
