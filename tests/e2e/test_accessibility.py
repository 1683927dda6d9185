"""axe-core on every page, in the light and the dark theme: no serious or critical violation
(contrast, names of buttons and fields, labels that say what is shown, ARIA misuse)."""

from __future__ import annotations

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
        "/admin/audit",
        "/admin/org",
        "/settings/tokens",
        "/design",
        "/no-such-page",
    ]


def _check(page: Page, path: str, theme: str) -> list[str]:
    page.goto(path)
    expect(page.locator("main h1").first).to_be_visible(timeout=30_000)
    if path.startswith("/workloads/"):  # its data comes once the cluster cache is fed
        expect(page.locator("#pinapp-name")).not_to_be_empty(timeout=90_000)
    wait_loaded(page)
    page.wait_for_timeout(300)  # transitions (a theme's colours) settle
    return [
        f"{path} ({theme}): {v['impact']} {v['id']}: {v['help']} at {', '.join(v['nodes'])}"
        for v in violations(page)
    ]


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
    ]
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
