"""axe-core on every page, in the light and the dark theme: no serious or critical violation
(contrast, names of buttons and fields, labels that say what is shown, ARIA misuse)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe import violations
from conftest import sign_in
from e2e_harness import wait_loaded
from playwright.sync_api import Page, expect
from sqlmodel import col, select

from pinconsole.db import session_scope
from pinconsole.models import Entity


def _pinapp(database_url: str) -> str:
    """The page of a demo PinApp (a service with a kubernetes id, in its owner's namespace)."""
    with session_scope(database_url) as s:
        for comp in s.exec(select(Entity).where(col(Entity.kind) == "component")).all():
            annotations = (comp.body.get("metadata") or {}).get("annotations") or {}
            kube_id = annotations.get("backstage.io/kubernetes-id")
            if kube_id and comp.owner_ref:
                return f"/workloads/sandbox/{comp.owner_ref.rsplit('/', 1)[-1]}/{kube_id}"
    raise AssertionError("the demo has no kubernetes service")


def _pages(console: Any) -> list[str]:
    """Every page kind, with real names from the demo."""
    with session_scope(console.database_url) as s:
        component = s.exec(
            select(Entity).where(col(Entity.kind) == "component").order_by(Entity.name)
        ).first()
        team = s.exec(
            select(Entity).where(col(Entity.kind) == "group").order_by(Entity.name)
        ).first()
        user = s.exec(
            select(Entity).where(col(Entity.kind) == "user").order_by(Entity.name)
        ).first()
    assert component and team and user, "is the demo seeded?"
    return [
        "/",
        "/catalog",
        "/catalog?kind=nothing-matches",
        f"/catalog/component/{component.namespace}/{component.name}",
        "/catalog/errors",
        "/teams",
        f"/teams/{team.name}",
        f"/users/{user.name}",
        "/workloads",
        _pinapp(console.database_url),
        _pinapp(console.database_url) + "?tab=pods",
        _pinapp(console.database_url) + "?tab=scaler",
        _pinapp(console.database_url) + "?tab=yaml",
        "/admin/audit",
        "/admin/org",
        "/settings/tokens",
        "/design",
        "/no-such-page",
    ]


# Controls inside controls: two Tab stops for one thing, and no telling which one Enter presses.
NESTED = "a button, button a, a a, button button"

# The outermost elements that show a hand cursor but are no control, and hold none: a row or a
# tile that reacts to the mouse only. (Cursors are inherited: only the outermost one counts.)
# Plotly's legend toggles are left out: a chart's own extra, its data is in the tables too.
MOUSE_ONLY = """() => {
    const control = 'a[href], button, input, select, textarea, summary, label, '
        + '[role=tab], [role=option], [role=menuitem], [role=checkbox], [role=radio], '
        + '[role=switch], [role=combobox], [tabindex="0"]';
    const pointer = (el) => el && getComputedStyle(el).cursor === 'pointer';
    return Array.from(document.querySelectorAll('body *'))
        .filter((el) => pointer(el) && !pointer(el.parentElement))
        .filter((el) => !el.closest('.js-plotly-plot'))
        .filter((el) => !el.closest(control) && !el.querySelector(control))
        .map((el) => el.outerHTML.slice(0, 160));
}"""


def _structure(page: Page, where: str) -> list[str]:
    """Nested controls and mouse-only clickables on the page as it is now."""
    nested = page.evaluate(
        "(q) => Array.from(document.querySelectorAll(q)).map(e => e.outerHTML.slice(0, 160))",
        NESTED,
    )
    found = [f"{where}: a control inside a control: {html}" for html in nested]
    mouse_only = page.evaluate(MOUSE_ONLY)
    return found + [f"{where}: clickable but no link or button: {html}" for html in mouse_only]


def _check(page: Page, path: str, theme: str) -> list[str]:
    page.goto(path)
    expect(page.locator("main h1").first).to_be_visible(timeout=30_000)
    if path.startswith("/workloads/"):  # its data comes once the cluster cache is fed
        expect(page.locator("#pinapp-name")).not_to_be_empty(timeout=90_000)
        if "tab=pods" in path:
            expect(page.locator("#pods-table .pc-table-row").first).to_be_visible(timeout=90_000)
    wait_loaded(page)
    page.wait_for_timeout(300)  # transitions (a theme's colours) settle
    return [
        f"{path} ({theme}): {v['impact']} {v['id']}: {v['help']} at {', '.join(v['nodes'])}"
        for v in violations(page)
    ] + _structure(page, f"{path} ({theme})")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_no_page_has_a_serious_accessibility_violation(
    console: Any, page: Page, theme: str
) -> None:
    sign_in(page)
    if theme == "dark":
        page.get_by_role("button", name="Toggle light/dark theme").click()
        page.wait_for_function("() => document.documentElement.classList.contains('dark')")
    found = [line for path in _pages(console) for line in _check(page, path, theme)]
    page.context.clear_cookies()
    page.goto("/signin")
    expect(page.locator(".pc-signin-person").first).to_be_visible(timeout=60_000)
    found += [
        f"/signin ({theme}): {v['impact']} {v['id']}: {v['help']} at {', '.join(v['nodes'])}"
        for v in violations(page)
    ] + _structure(page, f"/signin ({theme})")
    assert found == [], "\n".join(found)


def test_the_skip_link_is_the_first_stop_and_moves_the_focus_to_the_content(
    signed_in_page: Page,
) -> None:
    page = signed_in_page
    page.goto("/catalog")
    expect(page.locator("main h1")).to_be_visible(timeout=30_000)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0  # shown while it has the focus
    page.keyboard.press("Enter")
    expect(page.locator("main#main-content")).to_be_focused()


def _component_path(database_url: str) -> str:
    with session_scope(database_url) as s:
        comp = s.exec(
            select(Entity).where(col(Entity.kind) == "component").order_by(Entity.name)
        ).first()
    assert comp is not None, "is the demo seeded?"
    return f"/catalog/component/{comp.namespace}/{comp.name}"


def _assert_ring(page: Page) -> None:
    """The focused element shows a focus ring of at least 2 px."""
    ring = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth),"
        " document.activeElement.outerHTML.slice(0, 120)]; }"
    )
    assert ring[0] != "none" and ring[1] >= 2, f"no visible focus: {ring}"


def _dark(page: Page) -> None:
    page.get_by_role("button", name="Toggle light/dark theme").click()
    page.wait_for_function("() => document.documentElement.classList.contains('dark')")


def test_entity_tabs_answer_the_arrow_keys_enter_space_home_and_end(
    console: Any, signed_in_page: Page, shot: Any
) -> None:
    page = signed_in_page
    path = _component_path(console.database_url)
    page.goto(path)
    bar = page.locator("#entity-tabs")
    tabs = bar.get_by_role("tab")
    overview, relations = (
        bar.get_by_role("tab", name="Overview"),
        bar.get_by_role("tab", name="Relations"),
    )
    expect(overview).to_have_attribute("aria-selected", "true", timeout=30_000)
    wait_loaded(page)
    count = tabs.count()
    assert count >= 2
    expect(tabs.nth(1)).to_have_text("Relations")
    # Roving tabindex: the bar is one Tab stop, on the selected tab; every tab names the panel.
    expect(overview).to_have_attribute("tabindex", "0")
    for i in range(1, count):
        expect(tabs.nth(i)).to_have_attribute("tabindex", "-1")
        expect(tabs.nth(i)).to_have_attribute("aria-selected", "false")
    panel = page.get_by_role("tabpanel")
    expect(panel).to_have_count(1)
    panel_id = panel.get_attribute("id")
    assert panel_id and all(
        tabs.nth(i).get_attribute("aria-controls") == panel_id for i in range(count)
    )
    expect(panel).to_have_attribute("aria-labelledby", str(overview.get_attribute("id")))
    expect(panel).to_have_attribute("tabindex", "0")

    # An arrow moves the focus only (manual activation); Enter opens the focused tab.
    overview.focus()
    page.keyboard.press("ArrowRight")
    expect(relations).to_be_focused()
    _assert_ring(page)
    shot(page, "a11y-tab-focus")
    expect(page).to_have_url(re.compile(rf"{re.escape(path)}/?$"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"\?tab=relations$"))
    expect(relations).to_have_attribute("aria-selected", "true", timeout=30_000)
    expect(relations).to_have_attribute("tabindex", "0")
    expect(overview).to_have_attribute("aria-selected", "false")
    expect(overview).to_have_attribute("tabindex", "-1")
    expect(panel).to_have_attribute("aria-labelledby", str(relations.get_attribute("id")))
    expect(page.locator("#entity-relations")).to_be_visible(timeout=30_000)
    expect(relations).to_be_focused()

    # End and Home jump to the ends; the arrows wrap around.
    page.keyboard.press("End")
    expect(tabs.nth(count - 1)).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(overview).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(tabs.nth(count - 1)).to_be_focused()
    page.keyboard.press("Home")
    expect(overview).to_be_focused()
    # Space opens a link tab as Enter does (a link alone would scroll the page).
    page.keyboard.press("Space")
    expect(page).to_have_url(re.compile(rf"{re.escape(path)}/?$"))
    expect(overview).to_have_attribute("aria-selected", "true", timeout=30_000)
    expect(page.locator("#entity-about")).to_be_visible(timeout=30_000)
    # From the bar, Tab goes into the panel (the other tabs are no stops).
    overview.focus()
    page.keyboard.press("Tab")
    expect(panel).to_be_focused()


def test_button_tabs_answer_space_and_enter(signed_in_page: Page) -> None:
    page = signed_in_page
    page.goto("/design")
    bar = page.locator("#design-tabs")
    overview = bar.get_by_role("tab", name="Overview")
    expect(overview).to_have_attribute("aria-selected", "true", timeout=30_000)
    wait_loaded(page)
    overview.focus()
    page.keyboard.press("ArrowRight")
    deploys = bar.get_by_role("tab", name="Deploys")
    expect(deploys).to_be_focused()
    page.keyboard.press("Space")
    expect(deploys).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel")).to_contain_text("Twelve deploys this week.")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")  # wraps to the last
    api = bar.get_by_role("tab", name="API")
    expect(api).to_be_focused()
    page.keyboard.press("Enter")
    expect(api).to_have_attribute("aria-selected", "true")
    expect(deploys).to_have_attribute("tabindex", "-1")


def test_pods_and_health_tiles_work_from_the_keyboard_with_visible_focus(
    console: Any, signed_in_page: Page, shot: Any
) -> None:
    page = signed_in_page
    page.goto("/workloads")
    tile = page.locator("#health-healthy")
    expect(tile).to_have_attribute("aria-pressed", "false", timeout=60_000)
    wait_loaded(page)
    tile.focus()
    page.keyboard.press("Enter")
    expect(tile).to_have_attribute("aria-pressed", "true", timeout=30_000)
    _assert_ring(page)
    shot(page, "a11y-health-tile-focus")
    page.keyboard.press("Space")
    expect(tile).to_have_attribute("aria-pressed", "false", timeout=30_000)

    # A pod's name is a button: Tab reaches it, Enter opens its logs; in the dark theme too.
    page.goto(_pinapp(console.database_url) + "?tab=pods")
    _dark(page)
    pod = page.locator("#pods-table .pc-pod-name").first
    expect(pod).to_be_visible(timeout=90_000)
    wait_loaded(page)
    assert pod.evaluate("el => el.tagName === 'BUTTON' && el.tabIndex === 0")
    # From the Pods tab, Tab goes into its panel, then to the first pod.
    page.get_by_role("tab", name=re.compile("^Pods")).focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("tabpanel")).to_be_focused()
    page.keyboard.press("Tab")
    expect(pod).to_be_focused()
    _assert_ring(page)
    shot(page, "a11y-pod-focus-dark")
    page.keyboard.press("Enter")  # the logs open in the Logs tab
    expect(page).to_have_url(re.compile(r"[?&]tab=logs\b"))
    expect(page.locator("#log-lines")).not_to_be_empty(timeout=30_000)

    # Links and buttons in the dark theme: Tab past the skip link lands on the brand link.
    page.goto("/catalog")
    expect(page.locator("main h1")).to_be_visible(timeout=30_000)
    wait_loaded(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    _assert_ring(page)
    shot(page, "a11y-link-focus-dark")
