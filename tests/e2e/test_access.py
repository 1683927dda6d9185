"""Sign-in, page guards, the admin-only audit log and sign-out in a production build."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import col, select

from pinconsole.access.principal import ancestor_groups
from pinconsole.db import session_scope
from pinconsole.models import Entity, Relation

ADMIN_GROUP = "group:default/platform"  # the e2e console runs with PINCONSOLE_ADMIN_GROUP


def _people(console: Any) -> tuple[str, str]:
    """A demo user inside the admin group (through nesting) and one outside it (and not one
    of the console's configured admins)."""
    admin = other = ""
    named_admins = {getattr(console, "admin", None)}
    with session_scope(console.database_url) as s:
        users = s.exec(
            select(Entity).where(col(Entity.kind) == "user").order_by(Entity.name).limit(200)
        ).all()
        for user in users:
            direct = set(
                s.exec(
                    select(Relation.target_ref).where(
                        Relation.source_ref == user.ref, Relation.type == "memberOf"
                    )
                ).all()
            )
            groups = ancestor_groups(s, direct)
            if ADMIN_GROUP in groups and not admin:
                admin = user.name
            elif (
                ADMIN_GROUP not in groups and groups and not other and user.name not in named_admins
            ):
                other = user.name
            if admin and other:
                return admin, other
    pytest.skip("the demo organisation has no admin-group member (is the demo seeded?)")


def _choose(page: Page, name: str) -> None:
    page.locator(".pc-signin-person").first.wait_for(timeout=60_000)
    page.locator("#signin-search").fill(name)
    person = page.locator(".pc-signin-person", has_text=name)
    expect(person).to_have_count(1, timeout=30_000)
    person.click()


def test_guard_signin_audit_and_sign_out(console: Any, page: Page, shot: Any) -> None:
    admin, _ = _people(console)
    page.goto("/admin/audit")
    expect(page).to_have_url(re.compile(r"/signin/?\?next=%2Fadmin%2Faudit"), timeout=30_000)
    shot(page, "signin")
    _choose(page, admin)
    expect(page).to_have_url(re.compile(r"/admin/audit/?$"), timeout=30_000)
    # The server set the session cookie HttpOnly: the page's scripts cannot read it.
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "pinconsole_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert "pinconsole_session" not in page.evaluate("document.cookie")
    rail = page.get_by_role("navigation", name="Main")
    expect(rail.get_by_role("link", name="Audit log")).to_be_visible(timeout=30_000)
    # The row only the backend knows: this very sign-in.
    row = page.locator(".pc-table-row", has_text="auth.sign_in").filter(has_text=admin)
    expect(row.first).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(r"^1-\d+ of \d+"))).to_be_visible()
    page.locator("#audit-actor").fill(admin)
    expect(page.locator(".pc-table-row").first).to_contain_text(admin, timeout=15_000)
    shot(page, "admin-audit")
    row.first.locator(".pc-audit-when").click()  # the time opens the details
    expect(page.get_by_role("dialog")).to_contain_text("auth.sign_in")
    page.get_by_role("button", name="Close").click()

    page.get_by_role("button", name="User menu").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/signin/?$"), timeout=30_000)
    assert not [c for c in page.context.cookies() if c["name"] == "pinconsole_session"]
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/signin/?\?next=%2F"), timeout=30_000)


def test_non_admins_are_turned_away_from_admin_pages(console: Any, page: Page) -> None:
    _, other = _people(console)
    page.goto("/signin")
    _choose(page, other)
    expect(page).to_have_url(re.compile(r":\d+/?$"), timeout=30_000)
    expect(page.get_by_role("button", name="User menu")).to_be_visible(timeout=30_000)
    page.goto("/admin/audit")
    # They stay, and are told it is an administrators' page (test_admin_and_errors.py says
    # more); nothing of the audit page is shown: no filters, no rows.
    expect(page.locator(".pc-admin-only")).to_contain_text("Administrators only", timeout=30_000)
    expect(page).to_have_url(re.compile(r"/admin/audit/?$"))
    assert page.locator("#audit-actor").count() == 0
    assert page.locator(".pc-table-row").count() == 0
    # The rail offers them no admin pages either.
    rail = page.get_by_role("navigation", name="Main")
    expect(rail.get_by_role("link", name="Catalog")).to_be_visible()
    expect(rail.get_by_role("link", name="Audit log")).to_have_count(0)


def test_api_and_reflex_routes_share_one_port(console: Any) -> None:
    """The FastAPI app is Reflex's api_transformer: both answer on the production port."""
    import httpx

    with httpx.Client(base_url=console.url, timeout=10) as http:
        assert http.get("/ping").status_code == 200  # Reflex, mounted under the API at ""
        health = http.get("/api/v1/health")
        assert health.status_code == 200 and health.json()["checks"]["database"]["status"] == "ok"
        me = http.get("/api/v1/me")
        assert me.status_code == 401 and me.headers["www-authenticate"].startswith("Bearer")
        assert me.json()["status"] == 401
        assert http.get("/api/v1/openapi.json").json()["info"]["title"] == "PinConsole API"
        metrics = http.get("/metrics").text
        assert 'route="/ping"' in metrics and 'route="/api/v1/me",status="401"' in metrics
