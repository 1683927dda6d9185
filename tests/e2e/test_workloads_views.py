"""Workloads and the PinApp page as an on-call engineer uses them: filters in the URL, a team
picker and "My team", health tiles that act (and read) as filters; the PinApp page in tabs kept
in the URL, charts with a time range and the pods' requests and limits, a link to its catalog
entity, and charts whose toolbar leaves their titles alone on a phone.
Screenshots: workloads-filtered, pinapp-overview, pinapp-phone."""

from __future__ import annotations

import re
from typing import Any

from conftest import sign_in
from playwright.sync_api import Page, expect
from test_workloads import _candidates


def test_filters_live_in_the_url(console: Any, page: Page, shot: Any) -> None:
    service, team, owner, _other = _candidates(console.database_url)[0]
    sign_in(page, owner)
    page.goto("/workloads?health=healthy")
    rows = page.locator("#workloads-table .pc-table-row")
    expect(rows.first).to_be_visible(timeout=90_000)
    healthy = page.locator("#health-healthy")
    expect(healthy).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#health-down")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#workloads-clear")).to_be_visible()

    healthy.focus()
    page.keyboard.press("Enter")  # a tile is a button: pressing the selected one shows all
    expect(healthy).to_have_attribute("aria-pressed", "false")
    expect(page).not_to_have_url(re.compile(r"health="))
    expect(page.locator("#workloads-clear")).to_have_count(0)

    # "My team" picks the team owning my namespace; the picker names it.
    page.locator("#workloads-my-team").click()
    expect(page).to_have_url(re.compile(rf"[?&]team={re.escape(team)}\b"))
    expect(rows.filter(has_text=service)).to_have_count(1, timeout=30_000)
    for text in rows.locator("td:nth-child(5)").all_inner_texts():  # the namespace column
        assert text.strip() == team, text
    page.locator("#health-down").click()
    expect(page).to_have_url(re.compile(r"[?&]health=down\b"))
    page.locator("#workloads-search").fill(service)
    expect(page).to_have_url(re.compile(rf"[?&]text={re.escape(service)}\b"))
    shot(page, "workloads-filtered")

    # The view is a link: another tab opens it as it was.
    url = page.url
    page.goto("about:blank")
    page.goto(url)
    expect(page.locator("#health-down")).to_have_attribute("aria-pressed", "true", timeout=30_000)
    expect(page.locator("#workloads-search")).to_have_value(service)
    expect(page.locator("#workloads-team")).to_have_attribute(
        "aria-label", re.compile(rf"Team: {re.escape(team)}")
    )

    # The picker lists teams by name; "All teams" drops the filter.
    page.locator("#workloads-team").click()
    page.get_by_role("option", name="All teams").click()
    expect(page).not_to_have_url(re.compile(r"team="))
    page.locator("#workloads-clear").click()
    expect(page).to_have_url(re.compile(r"/workloads/?$"))


def test_pinapp_page_in_tabs(console: Any, page: Page, shot: Any) -> None:
    service, team, owner, _other = _candidates(console.database_url)[0]
    sign_in(page, owner)
    page.goto(f"/workloads/sandbox/{team}/{service}")
    expect(page.locator("#pinapp-name")).to_have_text(service, timeout=90_000)
    entity = page.locator("#pinapp-entity")
    expect(entity).to_have_attribute("href", f"/catalog/component/default/{service}")

    tab_names = ["Overview", "Pods", "Events", "Logs", "Scaler", "YAML"]
    tabs = page.locator("#pinapp-tabs [role=tab]")
    expect(tabs).to_have_count(len(tab_names))
    for i, name in enumerate(tab_names):
        expect(tabs.nth(i)).to_contain_text(name)
    overview = page.get_by_role("tab", name=re.compile("^Overview"))
    expect(overview).to_have_attribute("aria-selected", "true")

    # The usage chart draws the requests and limits (the demo's main container: 250m/1 CPU,
    # 256Mi/512Mi memory; its sidecar's have no limits, so those lines show where it has none).
    legend = page.locator("#chart-usage .legendtext")
    expect(legend.filter(has_text="CPU requested")).to_have_count(1, timeout=30_000)
    expect(legend.filter(has_text="Memory requested")).to_have_count(1)
    page.locator("#chart-range").get_by_role("radio", name="6 h").click()
    expect(page).to_have_url(re.compile(r"[?&]range=6h\b"))
    page.locator("#chart-range").get_by_role("radio", name="15 min").click()
    expect(page).to_have_url(re.compile(r"[?&]range=15m\b"))
    shot(page, "pinapp-overview")

    page.get_by_role("tab", name=re.compile("^YAML")).click()
    expect(page).to_have_url(re.compile(r"[?&]tab=yaml\b"))
    expect(page.get_by_role("region", name="PinApp YAML")).to_contain_text("kind: PinApp")
    page.reload()  # the tab and the range survive a reload
    expect(page.get_by_role("region", name="PinApp YAML")).to_contain_text(
        "kind: PinApp", timeout=30_000
    )
    expect(page.get_by_role("tab", name=re.compile("^YAML"))).to_have_attribute(
        "aria-selected", "true"
    )
    expect(page).to_have_url(re.compile(r"[?&]range=15m\b"))

    page.get_by_role("tab", name=re.compile("^Events")).click()
    expect(page.locator("#events-table")).to_be_visible()
    page.get_by_role("tab", name=re.compile("^Pods")).click()
    pod = page.locator("#pods-table .pc-pod-name").first
    expect(pod).to_be_visible(timeout=30_000)
    pod.focus()
    page.keyboard.press("Enter")  # a pod is a button: its logs open in the Logs tab
    expect(page).to_have_url(re.compile(r"[?&]tab=logs\b"))
    expect(page.locator("#log-lines")).to_be_visible(timeout=30_000)

    entity.click()
    expect(page).to_have_url(re.compile(rf"/catalog/component/default/{service}/?$"))


def test_charts_on_a_phone(console: Any, page: Page, shot: Any) -> None:
    service, team, owner, _other = _candidates(console.database_url)[0]
    sign_in(page, owner)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/workloads/sandbox/{team}/{service}")
    chart = page.locator("#chart-replicas")
    expect(chart.locator(".main-svg").first).to_be_visible(timeout=90_000)
    expect(chart.locator(".scatterlayer .point").first).to_be_visible(timeout=60_000)
    usage = page.locator("#chart-usage")
    expect(usage.locator(".scatterlayer .point").first).to_be_visible(timeout=60_000)
    chart.scroll_into_view_if_needed()
    chart.hover()  # the toolbar shows on hover
    title = chart.locator(".gtitle").bounding_box()
    bar = chart.locator(".modebar").bounding_box()
    box = chart.bounding_box()
    assert title and bar and box
    overlap = not (
        bar["x"] >= title["x"] + title["width"]
        or title["x"] >= bar["x"] + bar["width"]
        or bar["y"] >= title["y"] + title["height"]
        or title["y"] >= bar["y"] + bar["height"]
    )
    assert not overlap, (title, bar)
    assert box["x"] + box["width"] <= 390 + 1, box  # no sideways scrolling
    # Six lines' legend fits without a scrollbar of its own.
    bar_height = usage.locator(".legend .scrollbar").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert all(h == 0 for h in bar_height), bar_height
    usage.scroll_into_view_if_needed()
    shot(page, "pinapp-phone")
