"""`pinconsole org sync|runs|check`, GET /api/v1/org/syncs and the health contribution."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from fixtures.ldap import BASE, Slapd
from typer.testing import CliRunner

from pinconsole.settings import get_settings

pytestmark = pytest.mark.slapd


@pytest.fixture
def cli() -> Callable[..., object]:
    from pinconsole.cli import build_app

    runner = CliRunner()
    app = build_app()
    return lambda *args: runner.invoke(app, list(args))


def test_cli_sync_force_runs_and_check(
    sqlite_db: str, directory: Slapd, write_config: Callable[..., Path], cli: Callable
) -> None:
    config = str(write_config(directory))
    res = cli("org", "check", "--config", config)
    assert res.exit_code == 0, res.output
    assert "corp (ldap://127.0.0.1" in res.output and "6 users, 6 groups" in res.output

    res = cli("org", "sync", "--config", config)
    assert res.exit_code == 0, res.output
    assert "org sync ok" in res.output and "users +6 ~0 -0, groups +6 ~0 -0" in res.output

    directory.delete(*(f"uid={u},ou=people,{BASE}" for u in ("alice", "bob", "carol")))
    res = cli("org", "sync", "--config", config)
    assert res.exit_code == 1
    assert "would remove 3 of 6 users (50%)" in res.output and "--force" in res.output

    res = cli("org", "sync", "--config", config, "--force")
    assert res.exit_code == 0, res.output
    assert "users +0 ~0 -3" in res.output

    res = cli("org", "runs")
    assert res.exit_code == 0 and "3 of 3 runs" in res.output
    assert "failed" in res.output and "cli" in res.output


def test_cli_bad_config_is_a_message(sqlite_db: str, tmp_path: Path, cli: Callable) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("catalog:\n  providers:\n    ldapOrg:\n      x:\n        target: ldap://h\n"
                   "        users: {options: {}}\n")  # fmt: skip
    res = cli("org", "sync", "--config", str(bad))
    assert res.exit_code == 2
    assert "catalog.providers.ldapOrg.x.users[0].dn: is required" in res.output


def test_api_history_and_health(
    sqlite_db: str,
    directory: Slapd,
    write_config: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pinconsole.access.tokens import create_token
    from pinconsole.api.app import create_api
    from pinconsole.org.sync import sync_org
    from pinconsole.plugins import get_registry

    config = write_config(directory)
    monkeypatch.setenv("PINCONSOLE_ORG_CONFIG", str(config))
    get_settings.cache_clear()
    client = TestClient(create_api(get_registry()))
    token = create_token("ops-bot", admin=False, description="test")
    headers = {"Authorization": f"Bearer {token}"}
    # The health check's details (last run, error texts) are for administrators.
    admin = {"Authorization": f"Bearer {create_token('root', admin=True)}"}

    health = client.get("/api/v1/health").json()
    assert health["checks"]["org_sync"]["status"] == "degraded"  # never synced

    assert sync_org().status == "ok"
    page = client.get("/api/v1/org/syncs", headers=admin).json()
    assert page["totalItems"] == 1 and page["items"][0]["usersAdded"] == 6
    assert client.get("/api/v1/org/syncs").status_code == 401
    # The history (error texts naming directory hosts) is for administrators only.
    assert client.get("/api/v1/org/syncs", headers=headers).status_code == 403

    check = client.get("/api/v1/health", headers=admin).json()["checks"]["org_sync"]
    assert check["status"] == "ok" and check["lastRun"]["status"] == "ok"
    assert check["lastRun"]["users"] == {"added": 6, "updated": 0, "removed": 0}
    assert check["lastRun"]["groups"] == {"added": 6, "updated": 0, "removed": 0}
    assert check["lastRun"]["finishedAt"] and check["lastRun"]["mode"] == "full"

    directory.stop()
    assert sync_org().status == "failed"
    check = client.get("/api/v1/health", headers=admin).json()["checks"]["org_sync"]
    assert check["status"] == "degraded" and "cannot reach" in check["lastRun"]["error"]
