"""The audit log as CSV (``GET /api/v1/audit/export``) and the audit page's links: the filtered
rows, capped, safe to open in a spreadsheet, for administrators only (by API token or the
console's session cookie, from the console's own pages), every export and refusal audited."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from pinconsole.access.audit import (
    EXPORT_COLUMNS,
    AuditFilter,
    export_audit,
    list_audit,
    read_audit_page,
)
from pinconsole.access.principal import resolve_principal
from pinconsole.access.sessions import revoke_sessions, sign_session
from pinconsole.access.tokens import create_token
from pinconsole.db import session_scope
from pinconsole.errors import Forbidden, Invalid
from pinconsole.models import AuditEvent
from pinconsole.settings import get_settings

EXPORT = "/api/v1/audit/export"
DAY = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def client(org: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The API with the access plugin's routes; margaret administers through her group, and
    the UI signs people in with cookies (ldap mode: a cookie mode on either database)."""
    from pinconsole.access.plugin import plugin
    from pinconsole.api.app import create_api
    from pinconsole.plugins import Registry

    monkeypatch.setenv("PINCONSOLE_ADMIN_GROUP", "group:default/console-admins")
    monkeypatch.setenv("PINCONSOLE_AUTH_MODE", "ldap")
    get_settings.cache_clear()
    registry = Registry()
    registry.register(plugin())
    with TestClient(create_api(registry)) as c:
        yield c


def _rows(*events: tuple[int, str, str, str, str]) -> None:
    """Audit rows at ``DAY + hours``: (hours, actor, action, target, outcome)."""
    with session_scope() as s:
        for i, (hours, actor, action, target, outcome) in enumerate(events):
            s.add(
                AuditEvent(
                    uid=f"export-test-{i}",
                    at=DAY + timedelta(hours=hours),
                    actor=actor,
                    action=action,
                    target=target,
                    outcome=outcome,
                    after={"n": i},
                    detail=f"row {i}",
                )
            )


def _csv(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == EXPORT_COLUMNS
    return list(reader)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_export_is_the_filtered_log_newest_first_and_is_audited(client: TestClient) -> None:
    _rows(
        (-30, "ada", "catalog.location.register", "url:https://example.org/a.yaml", "ok"),
        (1, "ada", "pinapp.scale", "pinapp:sandbox/team-a/web", "ok"),
        (2, "grace", "pinapp.scale", "pinapp:sandbox/team-a/web", "denied"),
        (3, "ada", "pinapp.restart", "pinapp:sandbox/team-a/api", "error"),
        (30, "ada", "pinapp.scale", "pinapp:sandbox/team-a/web", "ok"),
    )
    admin = _bearer(create_token("root", admin=True))
    since, until = DAY.isoformat(), (DAY + timedelta(days=1)).isoformat()
    got = client.get(EXPORT, params={"actor": "AD", "since": since, "until": until}, headers=admin)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("text/csv")
    assert got.headers["content-disposition"].startswith("attachment; filename=")
    assert got.headers["cache-control"] == "no-store"
    rows = _csv(got.text)
    # ada's two rows inside the day, newest first; the ones before and after it are not there
    assert [(r["action"], r["outcome"]) for r in rows] == [
        ("pinapp.restart", "error"),
        ("pinapp.scale", "ok"),
    ]
    assert rows[0]["at"] == (DAY + timedelta(hours=3)).isoformat()
    assert rows[0]["after"] == '{"n": 3}' and rows[0]["detail"] == "row 3"
    assert got.headers["x-total-count"] == got.headers["x-exported-count"] == "2"

    only_denied = client.get(EXPORT, params={"outcome": "denied"}, headers=admin)
    assert [r["actor"] for r in _csv(only_denied.text)] == ["grace"]

    # Each export is an audit row of its own, naming the filters and what it held.
    exports, _ = list_audit(AuditFilter(action="admin.audit.export"))
    assert [e.actor for e in exports] == ["root", "root"]
    assert exports[1].after == {
        "filters": {"actor": "AD", "since": since, "until": until},
        "rows": 2,
        "total": 2,
    }


def test_the_export_is_capped_and_cells_cannot_become_formulas(org: str) -> None:
    _rows(
        *[(h, "ada", "x.do", f"component:default/c{h}", "ok") for h in range(5)],
        (9, "=cmd|' /C calc'!A0", "x.do", '=HYPERLINK("https://evil.example")', "ok"),
    )
    root = resolve_principal("root", force_admin=True)
    result = export_audit(root, AuditFilter(action="x.do"), max_rows=3)
    assert (result.rows, result.total, result.capped) == (3, 6, True)
    rows = _csv(result.text)
    assert len(rows) == 3
    assert rows[0]["actor"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["target"].startswith("'=HYPERLINK(")
    assert rows[1]["target"] == "component:default/c4"  # plain values stay as they are
    with pytest.raises(Forbidden):
        export_audit(resolve_principal("linus"), AuditFilter())
    with pytest.raises(Invalid):
        export_audit(root, AuditFilter(target="a\x00b"))


def test_only_administrators_export_and_refusals_are_audited(client: TestClient) -> None:
    _rows((1, "ada", "pinapp.scale", "pinapp:sandbox/team-a/web", "ok"))
    no_one = client.get(EXPORT, headers={"X-Forwarded-For": "203.0.113.5"})
    assert no_one.status_code == 401 and no_one.headers["www-authenticate"].startswith("Bearer")
    member = client.get(EXPORT, headers=_bearer(create_token("linus")))
    assert member.status_code == 403
    assert member.headers["content-type"].startswith("application/problem+json")
    refused, _ = list_audit(AuditFilter(action="admin.api_route"))
    assert {(r.actor, r.target, r.outcome) for r in refused} == {
        ("anonymous", f"GET {EXPORT}", "denied"),
        ("linus", f"GET {EXPORT}", "denied"),
    }
    # Invalid filters are refused by name, never a 500 (PostgreSQL refuses NUL in text).
    admin = _bearer(create_token("root", admin=True))
    for params in ({"actor": "x" * 201}, {"outcome": "maybe"}, {"since": "yesterday"}):
        assert client.get(EXPORT, params=params, headers=admin).status_code == 422, params
    assert client.get(EXPORT, params={"target": "a\x00b"}, headers=admin).status_code == 422


def test_a_browser_exports_with_its_session_cookie_from_the_console_only(
    client: TestClient,
) -> None:
    """The audit page's link is a plain download: it carries the session cookie, no token."""
    _rows((1, "ada", "pinapp.scale", "pinapp:sandbox/team-a/web", "ok"))
    admin_cookie = sign_session("margaret", now=time.time() - 5)

    def get(cookie: str, **headers: str) -> int:
        client.cookies.set("pinconsole_session", cookie)
        try:
            return client.get(EXPORT, headers=headers).status_code
        finally:
            client.cookies.clear()

    assert get(admin_cookie, **{"Sec-Fetch-Site": "same-origin"}) == 200
    assert get(admin_cookie) == 200  # no Sec-Fetch-Site: no browser's cross-site request
    assert get(sign_session("linus")) == 403  # signed in, no administrator
    assert get(admin_cookie, **{"Sec-Fetch-Site": "cross-site"}) == 403  # a link elsewhere
    assert get(admin_cookie, **{"Sec-Fetch-Site": "same-site"}) == 403
    assert get("margaret.forged.signature") == 401
    assert get(sign_session("nobody-we-know")) == 401  # the catalog does not know them
    # A token wins over the cookie: a member's token with an admin's cookie is the member.
    member = _bearer(create_token("linus"))
    assert get(admin_cookie, **member) == 403
    revoke_sessions("margaret", actor="cli")
    assert get(admin_cookie) == 401
    # The export by cookie is audited as the person who made it.
    exports, _ = list_audit(AuditFilter(action="admin.audit.export"))
    assert [e.actor for e in exports] == ["margaret", "margaret"]


def test_header_mode_ignores_the_cookie(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Behind the authenticating proxy the proxy's header says who it is, never a cookie."""
    monkeypatch.setenv("PINCONSOLE_AUTH_MODE", "header")
    get_settings.cache_clear()
    client.cookies.set("pinconsole_session", sign_session("margaret"))
    assert client.get(EXPORT).status_code == 401


def test_the_audit_page_links_actors_and_targets_that_have_pages(org: str) -> None:
    _rows(
        (1, "ada", "pinapp.scale", "pinapp:sandbox/team-a/web", "ok"),
        (2, "cli", "catalog.import", "component:default/payments-api", "ok"),
        (3, "Grace", "token.create", "user:grace", "ok"),
        (4, "deploy-bot", "catalog.delete", "component:default/gone", "ok"),
        (5, "ada", "admin.audit.view", "ui:AuditState.load", "denied"),
        (6, "ada", "x", "pinapp:only/two", "ok"),
    )
    day = AuditFilter(since=DAY, until=DAY + timedelta(days=1))  # not the org's import
    page = read_audit_page(day, limit=10)
    assert page.total == 6
    assert page.links == {
        "actor:ada": "/catalog/user/default/ada",
        "actor:Grace": "/catalog/user/default/grace",
        "target:pinapp:sandbox/team-a/web": "/workloads/sandbox/team-a/web",
        "target:component:default/payments-api": "/catalog/component/default/payments-api",
        "target:user:grace": "/catalog/user/default/grace",
    }
