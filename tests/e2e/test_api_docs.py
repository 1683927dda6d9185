"""``/api/v1/docs`` for script authors, offline: Swagger UI renders every route from the
console's own assets with no request leaving the console, and offers bearer authentication.
Screenshot: api-docs."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from playwright.sync_api import Page, Route, expect


def test_the_api_docs_work_offline_and_offer_bearer_auth(
    console: Any, page: Page, shot: Any
) -> None:
    own = urlparse(console.url).netloc
    outside: list[str] = []

    def only_the_console(route: Route) -> None:
        if urlparse(route.request.url).netloc != own:
            outside.append(route.request.url)
            route.abort()  # as on a network without the internet
        else:
            route.continue_()

    page.route("**/*", only_the_console)
    page.goto(f"{console.url}/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "PinConsole API", timeout=30_000
    )
    entities = page.locator(".opblock-summary-path", has_text="/api/v1/entities").first
    expect(entities).to_be_visible()
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_role("heading", name="token (http, Bearer)")).to_be_visible()
    page.keyboard.press("Escape")
    assert outside == [], outside
    shot(page, "api-docs")
