"""The catalog's filters as a Backstage user expects them: /catalog opens on components, all
owners; "Owned by me" narrows to what the user and their groups own; every filter lives in the
URL and survives a reload; a view that matches nothing says which filters, and Clear goes back;
empty values are blank. Screenshots: catalog-filtered, catalog-no-match."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from conftest import sign_in
from playwright.sync_api import Locator, Page, expect
from sqlmodel import col, func, select

from pinconsole.access.principal import resolve_principal
from pinconsole.db import session_scope
from pinconsole.models import Entity

# The table's columns: name, kind, type, owner, lifecycle, system, score.
KIND, OWNER, LIFECYCLE, SCORE = 1, 3, 4, 6


def _count(database_url: str, *conds: Any) -> int:
    with session_scope(database_url) as s:
        stmt = select(func.count()).select_from(Entity).where(*conds)
        return int(s.exec(stmt).one())


def _owners(database_url: str, user: str) -> set[str]:
    """The refs "Owned by me" stands for: the user's own and their groups' (the sign-in's)."""
    with session_scope(database_url) as s:
        principal = resolve_principal(user, session=s)
    return {principal.ref, *principal.groups}


def _query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query, keep_blank_values=True)


def _total(page: Page) -> Locator:
    return page.locator("#catalog-table .pc-pagination")


def _tab_to(page: Page, target: Locator, presses: int = 30) -> None:
    """Press Tab until ``target`` has the focus (it is reachable from the keyboard)."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{target} is not reached by {presses} presses of Tab")


def _cells(rows: Locator, column: int) -> list[str]:
    return [rows.nth(i).locator("td").nth(column).inner_text().strip() for i in range(rows.count())]


def test_catalog_opens_on_components_and_owned_by_me_survives_a_reload(
    console: Any, page: Page, shot: Any
) -> None:
    user = console.admin
    assert user, "the demo has no users (is it seeded?)"
    owners = _owners(console.database_url, user)
    components = _count(console.database_url, col(Entity.kind) == "component")
    mine = _count(
        console.database_url,
        col(Entity.kind) == "component",
        col(Entity.owner_ref).in_(sorted(owners)),
    )
    assert 0 < mine < components, "the first demo user should own some components, not all"
    sign_in(page)

    # No query: components, all owners, and the address bar says so.
    page.goto("/catalog")
    expect(page).to_have_url(re.compile(r"/catalog\?kind=component$"), timeout=60_000)
    expect(page.locator("#catalog-facet-kind")).to_have_text("component")
    expect(page.get_by_role("radio", name="All", exact=True)).to_have_attribute(
        "aria-checked", "true"
    )
    expect(_total(page)).to_contain_text(f"of {components:,}")
    rows = page.locator("#catalog-table .pc-table-row")
    assert set(_cells(rows, KIND)) == {"component"}
    expect(page.locator("#catalog-clear")).to_have_count(0)  # the opening view: nothing to clear

    # The switch from the keyboard: Shift+Tab from the search reaches it, the arrow moves to
    # "Owned by me", Space picks it.
    page.locator("#catalog-search").focus()
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("radio", name="All", exact=True)).to_be_focused()
    page.keyboard.press("ArrowLeft")
    owned = page.get_by_role("radio", name="Owned by me", exact=True)
    expect(owned).to_be_focused()
    assert page.evaluate("() => document.activeElement.matches(':focus-visible')")
    shot(page, "catalog-owned-focus")  # the focus ring, as a keyboard user sees it
    page.keyboard.press("Space")
    expect(page).to_have_url(re.compile(r"kind=component&owned=me"), timeout=30_000)
    expect(owned).to_have_attribute("aria-checked", "true")
    expect(_total(page)).to_contain_text(f"of {mine:,}")
    short = {ref.split(":", 1)[1].removeprefix("default/") for ref in owners}
    assert set(_cells(rows, OWNER)) <= short
    expect(page.locator("#catalog-clear")).to_be_visible()  # a filter is set: Clear shows

    # Narrow further from the page; the URL carries it all, and a reload restores it.
    page.locator("#catalog-facet-lifecycle").click()
    page.locator("#catalog-facet-lifecycle-options").get_by_role(
        "checkbox", name=re.compile(r"^production")
    ).click()
    expect(page).to_have_url(re.compile(r"lifecycle=production"), timeout=30_000)
    page.keyboard.press("Escape")
    page.locator("#catalog-table th button", has_text="Name").click()  # sort: Z-A
    expect(page).to_have_url(re.compile(r"sort=-name"), timeout=30_000)
    expect(page.locator('#catalog-table th[aria-sort="descending"]')).to_have_count(1)
    view = _query(page)
    assert view == {
        "kind": ["component"],
        "lifecycle": ["production"],
        "owned": ["me"],
        "sort": ["-name"],
    }
    names = _cells(rows, 0)
    page.reload()
    expect(page.locator("#catalog-facet-lifecycle")).to_have_text("production", timeout=60_000)
    expect(page.get_by_role("radio", name="Owned by me", exact=True)).to_have_attribute(
        "aria-checked", "true"
    )
    expect(rows.first).to_contain_text(names[0].splitlines()[0])
    assert _query(page) == view and _cells(rows, 0) == names
    assert set(_cells(rows, LIFECYCLE)) == {"production"}
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    shot(page, "catalog-filtered")

    # Clear, from the keyboard: back to the opening view (a sort is no filter: it stays).
    page.locator("#catalog-search").focus()
    _tab_to(page, page.locator("#catalog-clear"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/catalog\?kind=component&sort=-name$"), timeout=30_000)
    expect(page.get_by_role("radio", name="All", exact=True)).to_have_attribute(
        "aria-checked", "true"
    )
    expect(_total(page)).to_contain_text(f"of {components:,}")
    expect(page.locator("#catalog-clear")).to_have_count(0)


def test_a_view_that_matches_nothing_names_its_filters(console: Any, page: Page, shot: Any) -> None:
    components = _count(console.database_url, col(Entity.kind) == "component")
    sign_in(page)
    page.goto("/catalog?kind=component&lifecycle=experimental&text=zzz")
    empty = page.locator("#catalog-no-match")
    expect(empty).to_contain_text(
        'No entities match kind component, lifecycle experimental and "zzz"', timeout=60_000
    )
    expect(page.get_by_text("The catalog is empty")).to_have_count(0)
    expect(page.locator("#catalog-clear")).to_be_visible()  # set from the URL: Clear shows
    expect(page.locator("#catalog-search")).to_have_value("zzz")
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    shot(page, "catalog-no-match")

    # A search typed on the page that matches nothing says so too.
    page.locator("#catalog-search").fill("zzz-nothing-here")
    expect(empty).to_contain_text('and "zzz-nothing-here"', timeout=30_000)
    expect(page).to_have_url(re.compile(r"text=zzz-nothing-here"))

    # "Clear filters" is a real button: Tab reaches it, Enter goes back to the opening view.
    page.locator("#catalog-search").focus()
    _tab_to(page, page.locator("#catalog-empty-clear"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/catalog\?kind=component$"), timeout=30_000)
    expect(_total(page)).to_contain_text(f"of {components:,}")
    expect(page.locator("#catalog-search")).to_have_value("")


def test_an_explicit_kind_is_kept_and_empty_values_are_blank(
    console: Any, page: Page, shot: Any
) -> None:
    everything = _count(console.database_url)
    apis_and_components = _count(console.database_url, col(Entity.kind).in_(["api", "component"]))
    sign_in(page)

    # ``?kind=`` is "any kind", not "no choice": kept, users and groups included.
    page.goto("/catalog?kind=")
    expect(page.locator("#catalog-facet-kind")).to_have_text("Any kind", timeout=60_000)
    expect(_total(page)).to_contain_text(f"of {everything:,}")
    expect(page.locator("#catalog-clear")).to_be_visible()
    assert _query(page) == {"kind": [""]}
    page.reload()
    expect(page.locator("#catalog-facet-kind")).to_have_text("Any kind", timeout=60_000)
    expect(_total(page)).to_contain_text(f"of {everything:,}")

    # Several kinds are kept as well.
    page.goto("/catalog?kind=api,component")
    expect(page.locator("#catalog-facet-kind")).to_have_text("api, component", timeout=60_000)
    expect(_total(page)).to_contain_text(f"of {apis_and_components:,}")

    # Links elsewhere (a team's "Open in catalog", a tag) name no kind: every kind they reach.
    with session_scope(console.database_url) as s:
        owner = s.exec(
            select(Entity.owner_ref)
            .where(
                col(Entity.owner_ref).startswith("group:default/"),
                col(Entity.kind) != "component",
            )
            .limit(1)
        ).one()
    assert owner
    team = owner.split("/", 1)[1]
    page.goto(f"/catalog?owner={team}")
    expect(page.locator("#catalog-facet-kind")).to_have_text("Any kind", timeout=60_000)
    owned_total = _count(console.database_url, col(Entity.owner_ref) == owner)
    expect(_total(page)).to_contain_text(f"of {owned_total:,}")
    assert _query(page) == {"kind": [""], "owner": [team]}

    # A group has no owner, lifecycle or score: those cells are blank, no dash, no pill.
    page.goto("/catalog?kind=group")
    rows = page.locator("#catalog-table .pc-table-row")
    expect(rows.first).to_be_visible(timeout=60_000)
    expect(page.locator("#catalog-facet-kind")).to_have_text("group")
    row = rows.first
    for column in (OWNER, LIFECYCLE, SCORE):
        cell = row.locator("td").nth(column)
        expect(cell).to_have_text("")
        expect(cell.locator(".rt-Badge")).to_have_count(0)
    shot(page, "catalog-blank-values")
