"""Click through the shell of a production build: home, every side-navigation entry, /design,
and the dark theme, saving a screenshot of each under screenshots/."""

from __future__ import annotations

import re
from typing import Any

from e2e_harness import wait_loaded
from playwright.sync_api import Page, expect

NAV_LINKS = 'nav[aria-label="Main"] a.pc-nav-link'


def _slug(href: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", href.lower()).strip("-") or "home"


def _collect_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def _is_dark(page: Page) -> bool:
    return bool(page.evaluate("() => document.documentElement.classList.contains('dark')"))


def test_home_shows_the_signed_in_user_and_its_modules(signed_in_page: Page, shot: Any) -> None:
    page = signed_in_page
    errors = _collect_errors(page)
    page.goto("/")
    menu_text = page.get_by_role("button", name="User menu").inner_text()
    lines = [line.strip() for line in menu_text.splitlines() if line.strip()]
    name = [line for line in lines if line != ", user menu"][-1]  # that one is for screen readers
    first = name.split()[0]
    # The greeting's name comes from the backend: the prerendered page says "there".
    expect(page.locator("main h1")).to_contain_text(f", {first}", timeout=30_000)
    for title in ("My services", "My team", "Recent changes", "Workload health"):
        expect(page.get_by_text(title, exact=True).first).to_be_visible()
    expect(page.get_by_placeholder("Search services, APIs, teams, people")).to_be_visible()
    # The modules show skeletons until their data arrived (shot() waits for them to go).
    wait_loaded(page)
    services = page.locator("main .pc-table-row").or_(page.get_by_text("No services yet"))
    expect(services.first).to_be_visible()
    shot(page, "home-light")
    assert not errors


def test_side_navigation_reaches_every_page(signed_in_page: Page, shot: Any) -> None:
    page = signed_in_page
    errors = _collect_errors(page)
    page.goto("/")
    page.locator(NAV_LINKS).first.wait_for()
    entries = [
        (link.inner_text().strip(), link.get_attribute("href") or "")
        for link in page.locator(NAV_LINKS).all()
    ]
    labels = [label for label, _ in entries]
    assert "Home" in labels and len(entries) >= 2, labels
    for label, href in entries:
        page.locator(NAV_LINKS, has_text=label).first.click()
        expect(page).to_have_url(re.compile(re.escape(href) + r"/?$"))
        active = page.locator(f'{NAV_LINKS}[aria-current="page"]')
        expect(active).to_have_count(1)
        expect(active).to_have_text(label)
        if href != "/":
            # Every page but home has breadcrumbs from Home to it, and its title in an h1.
            crumbs = page.locator('main nav[aria-label="Breadcrumb"]').first
            expect(crumbs.get_by_role("link", name="Home")).to_be_visible()
            current = crumbs.locator('[aria-current="page"]')
            expect(page.locator("main h1").first).to_have_text(current.inner_text())
        shot(page, f"nav-{_slug(href)}")
    assert not errors


def test_design_page_is_live_and_the_theme_toggles(signed_in_page: Page, shot: Any) -> None:
    page = signed_in_page
    errors = _collect_errors(page)
    page.goto("/design")
    expect(page.locator("main h1")).to_have_text("Design system")
    for module in ("Color", "Typography", "Button", "Badge and Status", "Table", "Tabs"):
        expect(page.get_by_text(module, exact=True).first).to_be_visible()
    # The table's rows are paged on the server: the label appears only over the websocket.
    expect(page.get_by_text("1\u20138 of 47")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name=re.compile("next", re.I)).last.click()
    expect(page.get_by_text("9\u201316 of 47")).to_be_visible()
    page.get_by_role("button", name=re.compile("previous|prev", re.I)).last.click()
    expect(page.get_by_text("1\u20138 of 47")).to_be_visible()
    assert not _is_dark(page)
    shot(page, "design-light")
    shot(page, "design-light-full", full_page=True)

    page.get_by_role("button", name="Toggle light/dark theme").click()
    page.wait_for_function("() => document.documentElement.classList.contains('dark')")
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    shot(page, "design-dark")
    shot(page, "design-dark-full", full_page=True)

    # The choice survives navigation; home renders dark too.
    page.locator(NAV_LINKS, has_text="Home").first.click()
    expect(page.locator("main h1")).to_contain_text(",")
    expect(page.locator("main h1")).not_to_contain_text(", there")  # the prerendered greeting
    assert _is_dark(page)
    shot(page, "home-dark")
    assert background != "rgb(255, 255, 255)"
    assert not errors
