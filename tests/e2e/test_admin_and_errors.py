"""Admin pages and errors as people meet them in a production build: a non-administrator on an
admin page, the audit log's filters in the URL with its links and CSV export, an unknown
address, the favicon, and a signed-out visitor."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from e2e_harness import TOASTS, sign_in, wait_loaded
from playwright.sync_api import Page, expect
from test_access import ADMIN_GROUP, _choose, _people

MAIN_NAV = 'nav[aria-label="Main"]'


def _query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_a_non_administrator_is_told_whose_page_it_is(console: Any, page: Page, shot: Any) -> None:
    _, other = _people(console)
    page.goto("/signin")
    _choose(page, other)
    expect(page.get_by_role("button", name="User menu")).to_be_visible(timeout=30_000)
    page.goto("/admin/audit")
    panel = page.locator(".pc-admin-only")
    expect(panel).to_be_visible(timeout=30_000)
    expect(page).to_have_url(re.compile(r"/admin/audit/?$"))  # no silent redirect
    expect(panel.get_by_role("heading", name="Administrators only")).to_be_visible()
    expect(panel).to_contain_text("Audit log is a page for PinConsole's administrators")
    expect(panel).to_contain_text(
        re.compile(rf"You are signed in as .*{re.escape(other)}.*, who is not an administrator")
    )
    group = panel.get_by_role("link", name=ADMIN_GROUP)
    expect(group).to_have_attribute("href", "/teams/platform")
    # Nothing of the page itself: no filters, no rows, no export link.
    assert page.locator("#audit-actor, .pc-table-row, #audit-export").count() == 0
    # One toast at most (there were two: the guard's and the refused loader's).
    page.wait_for_timeout(1500)
    assert page.locator(TOASTS).count() <= 1
    shot(page, "admin-only")

    page.goto("/admin/org")
    expect(page.locator(".pc-admin-only")).to_contain_text("is a page for PinConsole's")
    # From the keyboard: the way home is a real link.
    home = page.locator(".pc-admin-only").get_by_role("link", name="Go home")
    home.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r":\d+/?$"), timeout=30_000)
    expect(page.locator("main h1")).to_contain_text(",", timeout=30_000)  # the greeting


def test_audit_filters_live_in_the_url_link_their_pages_and_export(
    console: Any, signed_in_page: Page, shot: Any, tmp_path: Any
) -> None:
    page, admin = signed_in_page, console.admin
    today = datetime.now(UTC).date().isoformat()
    page.goto(f"/admin/audit?actor={admin}&from={today}&to={today}")
    rows = page.locator(".pc-table-row")
    expect(rows.first).to_contain_text("auth.sign_in", timeout=30_000)  # this very sign-in
    expect(page.locator("#audit-actor")).to_have_value(admin)
    expect(page.locator("#audit-from")).to_have_value(today)
    expect(page.locator("#audit-to")).to_have_value(today)
    # Typing a filter writes it into the URL, with the ones already there.
    page.locator("#audit-action").fill("auth.sign")
    expect(page).to_have_url(re.compile(r"action=auth\.sign"), timeout=15_000)
    assert _query(page) == {
        "actor": [admin],
        "action": ["auth.sign"],
        "from": [today],
        "to": [today],
    }
    # ... and a reload opens the same view.
    page.reload()
    expect(page.locator("#audit-action")).to_have_value("auth.sign", timeout=30_000)
    expect(rows.first).to_contain_text("auth.sign_in", timeout=30_000)
    for text in rows.all_inner_texts():
        assert admin in text and "auth.sign" in text, text
    # The actor is a link to their user page; the sign-in's target (the user) too.
    actor = rows.first.get_by_role("link", name=admin, exact=True)
    expect(actor).to_have_attribute("href", f"/catalog/user/default/{admin}")
    expect(page.get_by_text("CSV of the matching events (at most 10,000)")).to_be_visible()
    shot(page, "audit-filtered")

    # The export carries the filters (days as UTC times, the To day included).
    export = page.locator("#audit-export")
    href = export.get_attribute("href") or ""
    sent = parse_qs(urlsplit(href).query)
    assert sent["actor"] == [admin] and sent["action"] == ["auth.sign"]
    assert sent["since"] == [f"{today}T00:00:00+00:00"]
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    assert sent["until"] == [f"{tomorrow}T00:00:00+00:00"]
    with page.expect_download() as download_info:
        export.focus()
        page.keyboard.press("Enter")  # a real link: the keyboard reaches it
    path = tmp_path / "audit.csv"
    download_info.value.save_as(path)
    exported = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert exported and {r["actor"] for r in exported} == {admin}
    assert all(r["action"].startswith("auth.sign") for r in exported)
    # The export itself is in the log.
    page.goto("/admin/audit?action=admin.audit.export")
    expect(rows.first).to_contain_text("admin.audit.export", timeout=30_000)
    expect(rows.first).to_contain_text(admin)

    # A link in a row opens that page, not the row's details; the time opens the details.
    page.goto(f"/admin/audit?actor={admin}&action=auth.sign")
    first = rows.first
    expect(first).to_contain_text("auth.sign_in", timeout=30_000)
    first.locator(".pc-audit-when").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_contain_text("auth.sign_in")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    first.get_by_role("link", name=admin, exact=True).click()
    expect(page).to_have_url(
        re.compile(rf"/catalog/user/default/{re.escape(admin)}/?$"), timeout=30_000
    )
    assert page.get_by_role("dialog").count() == 0

    # A URL's filters are checked: a day that does not exist and an unknown outcome are dropped.
    page.goto(f"/admin/audit?actor={admin}&outcome=maybe&from=2026-02-30")
    expect(page.locator("#audit-actor")).to_have_value(admin, timeout=30_000)
    expect(page.locator("#audit-from")).to_have_value("")
    expect(rows.first).to_contain_text(admin, timeout=30_000)


def test_an_unknown_address_is_the_consoles_own_page(
    console: Any, signed_in_page: Page, shot: Any
) -> None:
    page = signed_in_page
    response = page.goto("/no/such/page")
    assert response is not None and response.status == 404
    panel = page.locator(".pc-not-found")
    expect(panel).to_contain_text("Nothing in PinConsole lives at /no/such/page", timeout=30_000)
    expect(page.locator("main h1")).to_have_text("Page not found")
    expect(page.locator(MAIN_NAV).first.get_by_role("link", name="Catalog")).to_be_visible()
    expect(panel.get_by_role("link", name="Go home")).to_have_attribute("href", "/")
    expect(panel.get_by_role("link", name="Open the catalog")).to_have_attribute("href", "/catalog")
    shot(page, "not-found")
    # Client-side: to the catalog and back, the router renders the unknown address itself.
    panel.get_by_role("link", name="Open the catalog").click()
    expect(page.locator("main .pc-table-row").first).to_be_visible(timeout=30_000)
    page.go_back()
    expect(page.locator(".pc-not-found")).to_contain_text("/no/such/page", timeout=30_000)


def test_a_signed_out_visitor_gets_the_sign_in_page_never_an_empty_one(
    console: Any, page: Page
) -> None:
    # The prerendered page holds no page body for anyone: only the sign-in check.
    html = httpx.get(f"{console.url}/", timeout=30).text
    assert "Checking your sign-in" in html
    assert "Recent changes" not in html and "My services" not in html  # home's modules
    page.goto("/catalog?kind=api")
    expect(page).to_have_url(
        re.compile(r"/signin/?\?next=%2Fcatalog(%2F)?%3Fkind%3Dapi"), timeout=30_000
    )
    # An unknown address, signed out: the sign-in page, and after it a client-side
    # navigation to that address, which the router answers with the not-found page.
    page.goto("/gone/away?x=1")
    expect(page).to_have_url(re.compile(r"/signin/?\?next=%2Fgone%2Faway%3Fx%3D1"), timeout=30_000)
    sign_in_as_first(page)
    expect(page).to_have_url(re.compile(r"/gone/away\?x=1$"), timeout=30_000)
    expect(page.locator(".pc-not-found")).to_contain_text("/gone/away", timeout=30_000)


def sign_in_as_first(page: Page) -> None:
    """Choose the first person the sign-in page lists (the page keeps ``?next=``)."""
    people = page.locator(".pc-signin-person")
    people.first.wait_for(timeout=60_000)
    people.first.click()
    expect(page.get_by_role("button", name="User menu")).to_be_visible(timeout=60_000)


def test_sign_in_never_sends_people_to_another_site(console: Any, page: Page) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        page.context.clear_cookies()
        page.goto(f"/signin?next={target}")
        sign_in_as_first(page)
        expect(page).to_have_url(re.compile(rf"^{re.escape(console.url)}/?$"), timeout=30_000)


def test_the_favicon_is_served_and_linked(console: Any, page: Page) -> None:
    with httpx.Client(base_url=console.url, timeout=30) as http:
        svg = http.get("/favicon.svg")
        assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg")
        assert svg.text.lstrip().startswith("<svg")
        ico = http.get("/favicon.ico")
        assert ico.status_code == 200 and ico.headers["content-type"].startswith("image/")
        assert ico.content[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    sign_in(page)
    wait_loaded(page)
    icons = page.locator('head link[rel="icon"]')
    hrefs = sorted(icons.evaluate_all("els => els.map(e => e.getAttribute('href'))"))
    assert hrefs == ["/favicon.ico", "/favicon.svg"]
