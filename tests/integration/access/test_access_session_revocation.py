"""Revoking a user's UI sessions: the cookie stops working in this process and in others, the
browser state signs out, a new sign-in works; CLI and API (admins only), audited."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import pytest
from fastapi.testclient import TestClient
from fixtures.browser_state import tab_with_cookie
from typer.testing import CliRunner

from pinconsole.access import AuditFilter, list_audit, resolve_principal
from pinconsole.access.sessions import (
    read_session,
    read_session_async,
    revoke_sessions,
    sign_session,
)
from pinconsole.access.tokens import create_token
from pinconsole.cli import app
from pinconsole.errors import Forbidden, Invalid
from pinconsole.settings import get_settings
from pinconsole.state.base import AppState

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


def _browser(value: str) -> AppState:
    """A browser's state tree holding the session cookie ``value``."""
    return tab_with_cookie(value)


def test_revoked_sessions_end_and_a_new_sign_in_works(org: str) -> None:
    old = sign_session("ada", now=time.time() - 60)
    other = sign_session("grace", now=time.time() - 60)
    assert read_session(old) == "ada"  # cached as not revoked: the revocation must get past it
    revoke_sessions("ADA", actor="margaret")
    assert read_session(old) is None
    assert asyncio.run(read_session_async(old)) is None
    assert read_session(other) == "grace"
    assert read_session(sign_session("ada", now=time.time() + 1)) == "ada"

    (row,), _ = list_audit(AuditFilter(action="admin.sessions.revoke"))
    assert row.actor == "margaret" and row.target == "user:default/ada"


def test_the_browser_state_signs_out_at_its_next_event(
    org: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PINCONSOLE_AUTH_MODE", "ldap")  # a cookie mode allowed on PostgreSQL
    get_settings.cache_clear()
    state = _browser(sign_session("ada", now=time.time() - 60))
    assert asyncio.run(state._check()) and state.user_name == "ada"
    revoke_sessions("ada")
    assert not asyncio.run(state._check())  # within the minute the groups stay cached
    assert state.user_name == "" and not state.signed_in


def test_another_process_revoking_is_seen_at_once(org: str) -> None:
    """The revocation cache is dropped by the commit of another process (PostgreSQL NOTIFY,
    SQLite data_version), not after a TTL."""
    value = sign_session("grace", now=time.time() - 60)
    assert read_session(value) == "grace"
    env = {**os.environ, "PYTHONPATH": ROOT}
    done = subprocess.run(
        [sys.executable, "-m", "pinconsole.cli", "sessions", "revoke", "--user", "grace"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "sessions of grace signed before" in done.stdout
    deadline = time.monotonic() + 5
    while read_session(value) is not None and time.monotonic() < deadline:
        time.sleep(0.05)  # PostgreSQL's notification arrives asynchronously
    assert read_session(value) is None


def test_only_admins_revoke_through_the_domain(org: str) -> None:
    with pytest.raises(Forbidden):
        revoke_sessions("ada", actor=resolve_principal("linus"))
    _, denied = list_audit(AuditFilter(action="admin.sessions.revoke", outcome="denied"))
    assert denied == 1
    with pytest.raises(Invalid):
        revoke_sessions("  ")


def test_cli_revoke(org: str) -> None:
    value = sign_session("ada", now=time.time() - 60)
    result = CliRunner().invoke(app, ["sessions", "revoke", "--user", "ada"])
    assert result.exit_code == 0, result.output
    assert read_session(value) is None


def test_api_revoke_is_for_admins(access_client: TestClient) -> None:
    value = sign_session("ada", now=time.time() - 60)
    linus = bearer(create_token("linus"))
    refused = access_client.post("/api/v1/users/ada/sessions/revoke", headers=linus)
    assert refused.status_code == 403
    assert read_session(value) == "ada"
    admin = bearer(create_token("ops-bot", admin=True))
    done = access_client.post("/api/v1/users/ada/sessions/revoke", headers=admin)
    assert done.status_code == 200, done.text
    assert done.json()["user"] == "ada"
    assert read_session(value) is None
    (row,), _ = list_audit(AuditFilter(action="admin.sessions.revoke", outcome="ok"))
    assert row.actor == "ops-bot"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
