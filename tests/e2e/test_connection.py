"""A lost websocket is shown by Reflex's own connection toast, and goes once it is back: the
outage banner of the layout covers a backend that answers but cannot reach its data."""

from __future__ import annotations

import re
from typing import Any

from e2e_harness import wait_loaded
from playwright.sync_api import Page, WebSocketRoute, expect


def test_a_lost_websocket_is_shown_until_it_is_back(signed_in_page: Page) -> None:
    page = signed_in_page
    cut = {"on": False}
    open_routes: list[WebSocketRoute] = []

    def through(ws: WebSocketRoute) -> Any:
        if cut["on"]:
            ws.close()  # the backend is unreachable: every reconnect fails
            return
        ws.connect_to_server()
        open_routes.append(ws)

    page.route_web_socket(re.compile(r"/_event"), through)
    page.goto("/catalog")
    expect(page.locator("main .pc-table-row").first).to_be_visible(timeout=30_000)
    wait_loaded(page)

    cut["on"] = True
    for ws in open_routes:
        ws.close()
    expect(page.get_by_text("Cannot connect to server", exact=False).first).to_be_visible(
        timeout=60_000
    )
    cut["on"] = False  # the next reconnect goes through
    expect(page.get_by_text("Cannot connect to server", exact=False)).to_have_count(
        0, timeout=60_000
    )
    page.get_by_placeholder("Search services, APIs, teams, people").fill("pay")
    expect(page.locator('[role="option"], .pc-search-result').first).to_be_visible(timeout=30_000)
