"""A refused administrator route leaves an audit row, against a real `pinconsole serve`: who
asked (a member, or anonymous with no or a bad token), which route, and the client behind the
trusted proxy; one caller from one client cannot flood the audit log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fixtures.backend import running_backend

from pinconsole.access.audit import AUDITED_REFUSALS_PER_MINUTE

_TOKENS = """
import json
from pinconsole.access.tokens import create_token
print(json.dumps({
    "admin": create_token("root", admin=True, actor="test"),
    "member": create_token("mallory", actor="test"),
}))
"""


@dataclass(frozen=True)
class Server:
    api: str
    admin: dict[str, str]
    member: dict[str, str]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The backend behind a trusted proxy at 127.0.0.1: each test names its clients in
    ``X-Forwarded-For`` (so they count apart)."""
    work: Path = tmp_path_factory.mktemp("admin-refusals")
    env = {"PINCONSOLE_TRUSTED_PROXIES": '["127.0.0.1"]'}
    with running_backend(work, env=env) as backend:
        tokens = json.loads(backend.run("-c", _TOKENS))
        yield Server(
            f"{backend.url}/api/v1",
            {"Authorization": f"Bearer {tokens['admin']}"},
            {"Authorization": f"Bearer {tokens['member']}"},
        )


def _from(client: str, headers: dict[str, str] | None = None) -> dict[str, str]:
    return {**(headers or {}), "X-Forwarded-For": client}


def _refusals(server: Server, client: str) -> list[dict[str, Any]]:
    page = httpx.get(
        f"{server.api}/audit",
        params={"action": "admin.api_route", "limit": 500},
        headers=server.admin,
    )
    assert page.status_code == 200, page.text
    return [r for r in page.json()["items"] if r["after"]["client"] == client]


def test_refused_admin_routes_are_audited(server: Server) -> None:
    """The attack went unseen: a member, or anyone without a token, tried the administrators'
    routes and nothing was recorded."""
    member, anonymous, guesser = "203.0.113.7", "203.0.113.8", "203.0.113.9"
    api = server.api
    assert httpx.get(f"{api}/audit", headers=_from(member, server.member)).status_code == 403
    revoke = f"{api}/users/ada/sessions/revoke"
    assert httpx.post(revoke, headers=_from(member, server.member)).status_code == 403
    assert httpx.get(f"{api}/audit", headers=_from(anonymous)).status_code == 401
    bad = {"Authorization": "Bearer pct_not-a-token"}
    assert httpx.post(revoke, headers=_from(guesser, bad)).status_code == 401
    # Not administrator routes: a refusal there is no attempt at one.
    assert httpx.get(f"{api}/me", headers=_from(anonymous)).status_code == 401
    assert httpx.get(f"{api}/me", headers=_from(member, server.member)).status_code == 200
    # An administrator is not refused.
    assert httpx.get(f"{api}/audit", headers=_from(member, server.admin)).status_code == 200

    rows = {c: _refusals(server, c) for c in (member, anonymous, guesser)}
    seen = {c: sorted((r["actor"], r["target"]) for r in rows[c]) for c in rows}
    assert seen == {
        member: [
            ("mallory", "GET /api/v1/audit"),
            ("mallory", "POST /api/v1/users/{name}/sessions/revoke"),
        ],
        anonymous: [("anonymous", "GET /api/v1/audit")],
        guesser: [("anonymous", "POST /api/v1/users/{name}/sessions/revoke")],
    }
    for client, found in rows.items():
        for row in found:
            assert row["outcome"] == "denied"
            assert f"(client {client})" in row["detail"]
    member_audit = next(r for r in rows[member] if r["target"] == "GET /api/v1/audit")
    assert member_audit["detail"].startswith("mallory is not an administrator")
    assert rows[guesser][0]["after"]["path"] == "/api/v1/users/ada/sessions/revoke"
    assert "unknown" in rows[guesser][0]["detail"] or "revoked" in rows[guesser][0]["detail"]


def test_one_caller_cannot_flood_the_audit_log(server: Server) -> None:
    """Every refused request is one row, up to a bound per caller and client a minute: past
    it, refusals are logged and the answer is the same."""
    flooder, other = "198.51.100.1", "198.51.100.2"
    for _ in range(AUDITED_REFUSALS_PER_MINUTE + 5):
        assert httpx.get(f"{server.api}/audit", headers=_from(flooder)).status_code == 401
    assert httpx.get(f"{server.api}/audit", headers=_from(other)).status_code == 401
    flood = _refusals(server, flooder)
    assert len(flood) == AUDITED_REFUSALS_PER_MINUTE
    assert "logged, not audited" in flood[0]["detail"]  # newest first: the last one says so
    assert not any("not audited" in r["detail"] for r in flood[1:])
    assert len(_refusals(server, other)) == 1
